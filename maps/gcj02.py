"""WGS-84 → GCJ-02 display shift for Gaode (高德/AutoNavi) basemaps, vectorised with numpy.

GCJ-02 is the obfuscated datum Chinese web maps are published in (GB 20263-2006 requires
"空间位置技术处理"); Gaode tiles are drawn in it, so a CGCS2000/WGS-84 overlay lands about
0.5 km off unless it is shifted the same way (domain.md §8: ≈ +460 m east, −305 m north at Yulin).
There is no official formula; this is the widely circulated open-source approximation (the
"eviltransform"/coordtransform family), accurate to a few metres against Gaode's own tiles.

The shift is for *display only*: panhuo never writes GCJ-02 coordinates into stored data.
CGCS2000 is treated as WGS-84 here (they differ by centimetres; domain.md §8).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Krasovsky 1940 semi-major axis and eccentricity² used by the GCJ-02 formula
_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return where the GCJ-02 shift applies (the formula's own rough bounding box of China).

    Outside 72.004–137.8347°E, 0.8293–55.8271°N the published formula leaves points unshifted.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (lon_a >= 72.004) & (lon_a <= 137.8347) & (lat_a >= 0.8293) & (lat_a <= 55.8271)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift WGS-84 (≈ CGCS2000) longitudes/latitudes to GCJ-02, element-wise.

    Parameters
    ----------
    lon, lat
        Degrees, any broadcastable shapes.

    Returns
    -------
    (lon_gcj, lat_gcj)
        Shifted degrees; points outside China (:func:`in_china`) are returned unchanged.

    Notes
    -----
    With x = lon − 105, y = lat − 35, θ = lat in radians and m = 1 − e² sin²θ:
    Δlat = T_lat(x, y)·180 / ((a(1 − e²) / m^1.5)·π),  Δlon = T_lon(x, y)·180 / ((a / √m)·cos θ·π)
    on the Krasovsky ellipsoid (a = 6 378 245 m, e² = 0.006693421622965943).

    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    x = lon_a - 105.0
    y = lat_a - 35.0
    dlat = _transform_lat(x, y)
    dlon = _transform_lon(x, y)
    radlat = lat_a / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def shift_coords(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """Shift an (N, 2) array of lon/lat to GCJ-02 (for :func:`shapely.transform`)."""
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])
