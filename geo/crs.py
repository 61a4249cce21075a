"""CGCS2000 Gauss–Krüger zone utilities and the CRS plausibility checks of ingest.

China's national grid (GB/T 18314, CGCS2000) uses 3-degree Gauss–Krüger zones: zone *n* has its
central meridian at ``3 n`` degrees east (zones 25–45, 75°E–135°E), a scale factor of 1, a false
northing of 0 and a false easting of 500 000 m. Survey offices often prefix the zone number to
the easting, so the false easting becomes ``n × 1 000 000 + 500 000`` m. EPSG codes both:

==============================  ===================  ===========================
grid                            EPSG                 easting of the meridian
==============================  ===================  ===========================
3-degree, zone-prefixed         4513 (zone 25) – 4533 (zone 45)   ``n`` 500 000
3-degree, not prefixed          4534 (75°E) – 4554 (135°E)        500 000
6-degree, zone-prefixed         4491 (zone 13) – 4501 (zone 23)   ``n`` 500 000
6-degree, not prefixed          4502 (75°E) – 4512 (135°E)        500 000
==============================  ===================  ===========================

So a Yulin (110.15°E) easting of about 37 411 000 m is EPSG:4525 (zone 37, CM 111°E), and the same
point without the prefix, about 411 000 m, is EPSG:4546.

Functions here are pure: they take numbers, :class:`pyproj.CRS` objects or GeoDataFrames and return
new values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
from pyproj.exceptions import CRSError as PyprojCRSError

from geo.errors import CRSError

CGCS2000_GEOGRAPHIC = 4490
#: 3-degree zones covering China: 25 (75°E) … 45 (135°E)
GK3_ZONES = range(25, 46)
#: 6-degree zones covering China: 13 (75°E) … 23 (135°E)
GK6_ZONES = range(13, 24)
_GK3_PREFIXED_BASE = 4513
_GK3_UNPREFIXED_BASE = 4534
_GK6_PREFIXED_BASE = 4491
_GK6_UNPREFIXED_BASE = 4502
_CGCS2000_A = 6378137.0
_CGCS2000_INV_F = 298.257222101

#: how far (m) from the central meridian a Gauss–Krüger easting may lie: 3° of longitude at the
#: equator is about 334 km, so ±340 km holds any point of a 3-degree zone and of a 6-degree zone in
#: China's latitudes, with a margin for parks that straddle a zone edge.
GK_EASTING_HALF_WIDTH_M = 340_000.0
#: northings of China's territory (3°N–54°N) lie between about 330 km and 6 000 km
GK_NORTHING_RANGE_M = (0.0, 6_200_000.0)


def gk3_zone_for_longitude(lon: float) -> int:
    """Return the 3-degree zone number holding a longitude: ``round(lon / 3)``.

    Zone *n* spans ``3n − 1.5`` to ``3n + 1.5`` degrees east (GB/T 17798 / GB/T 18314).
    """
    if not math.isfinite(lon) or not -180.0 <= lon <= 180.0:
        raise CRSError(f"经度 {lon} 不是有效经度 / longitude {lon} is not a valid longitude")
    return math.floor(lon / 3.0 + 0.5)


def gk3_epsg(zone: int, *, prefixed: bool) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger zone ``zone`` (25–45).

    Prefixed (false easting ``zone × 10⁶ + 500 000``): 4513–4533; not prefixed: 4534–4554.
    """
    if zone not in GK3_ZONES:
        raise CRSError(
            f"3度带带号 {zone} 不在中国范围（25–45）/ 3-degree zone {zone} is outside China's zones 25–45"
        )
    base = _GK3_PREFIXED_BASE if prefixed else _GK3_UNPREFIXED_BASE
    return base + zone - GK3_ZONES.start


def gk3_epsg_for_longitude(lon: float, *, prefixed: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree zone holding ``lon`` (unprefixed by default)."""
    return gk3_epsg(gk3_zone_for_longitude(lon), prefixed=prefixed)


@dataclass(frozen=True)
class GKZone:
    """A CGCS2000 Gauss–Krüger zone as identified from an EPSG code or a CRS's parameters."""

    epsg: int
    zone: int
    central_meridian: float
    prefixed: bool
    width_deg: int  # 3 or 6

    @property
    def false_easting(self) -> float:
        """False easting in metres (``zone × 10⁶ + 500 000`` when prefixed)."""
        return self.zone * 1_000_000.0 + 500_000.0 if self.prefixed else 500_000.0


def gk_zone_of_epsg(epsg: int | None) -> GKZone | None:
    """Describe a CGCS2000 Gauss–Krüger EPSG code (4491–4554), or ``None`` for any other code."""
    if epsg is None:
        return None
    if _GK3_PREFIXED_BASE <= epsg < _GK3_PREFIXED_BASE + len(GK3_ZONES):
        zone = GK3_ZONES.start + epsg - _GK3_PREFIXED_BASE
        return GKZone(epsg, zone, 3.0 * zone, True, 3)
    if _GK3_UNPREFIXED_BASE <= epsg < _GK3_UNPREFIXED_BASE + len(GK3_ZONES):
        zone = GK3_ZONES.start + epsg - _GK3_UNPREFIXED_BASE
        return GKZone(epsg, zone, 3.0 * zone, False, 3)
    if _GK6_PREFIXED_BASE <= epsg < _GK6_PREFIXED_BASE + len(GK6_ZONES):
        zone = GK6_ZONES.start + epsg - _GK6_PREFIXED_BASE
        return GKZone(epsg, zone, 6.0 * zone - 3.0, True, 6)
    if _GK6_UNPREFIXED_BASE <= epsg < _GK6_UNPREFIXED_BASE + len(GK6_ZONES):
        zone = GK6_ZONES.start + epsg - _GK6_UNPREFIXED_BASE
        return GKZone(epsg, zone, 6.0 * zone - 3.0, False, 6)
    return None


def gk_zone_from_parameters(crs: pyproj.CRS) -> GKZone | None:
    """Identify a CGCS2000 Gauss–Krüger zone from a CRS's projection parameters.

    Used for ESRI ``.prj`` variants (``PROJECTION["Gauss_Kruger"]`` with home-made names) that
    PROJ cannot match to an EPSG code by name. The CRS must be a transverse Mercator on the
    CGCS2000 ellipsoid (a = 6 378 137 m, 1/f = 298.257222101), in metres, with scale factor 1,
    latitude of origin 0, false northing 0, a central meridian that is a multiple of 3° and a false
    easting of 500 000 m (not prefixed) or ``zone × 10⁶ + 500 000`` m (prefixed). A central meridian
    that is both a 3-degree and a 6-degree meridian (e.g. 111°E) without a prefix defines the same
    projection either way; the 3-degree EPSG code is returned.
    """
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    ellipsoid = crs.ellipsoid
    if ellipsoid is None or not math.isclose(ellipsoid.semi_major_metre, _CGCS2000_A, abs_tol=1e-3):
        return None
    if not math.isclose(ellipsoid.inverse_flattening, _CGCS2000_INV_F, rel_tol=1e-9):
        return None
    method = crs.coordinate_operation.method_name.lower().replace("-", " ").replace("_", " ")
    if "transverse mercator" not in method and "gauss kruger" not in method:
        return None
    if not _is_metre(crs):
        return None
    params: dict[str, float] = {
        p.name.lower(): float(p.value) for p in crs.coordinate_operation.params if _numeric(p.value)
    }
    cm = _first(params, ("longitude of natural origin", "central meridian", "longitude of origin"))
    k = _first(params, ("scale factor at natural origin", "scale factor"))
    lat0 = _first(params, ("latitude of natural origin", "latitude of origin"))
    fe = _first(params, ("false easting",))
    fn = _first(params, ("false northing",))
    if None in (cm, k, lat0, fe, fn):
        return None
    assert cm is not None and k is not None and lat0 is not None and fe is not None and fn is not None
    if not (math.isclose(k, 1.0) and lat0 == 0.0 and fn == 0.0):
        return None
    if fe == 500_000.0:
        if cm % 3 == 0 and int(cm / 3) in GK3_ZONES:
            return gk_zone_of_epsg(gk3_epsg(int(cm / 3), prefixed=False))
        return None
    prefix, rest = divmod(fe, 1_000_000.0)
    if rest != 500_000.0:
        return None
    zone = int(prefix)
    if zone in GK3_ZONES and math.isclose(cm, 3.0 * zone):
        return gk_zone_of_epsg(gk3_epsg(zone, prefixed=True))
    if zone in GK6_ZONES and math.isclose(cm, 6.0 * zone - 3.0):
        return gk_zone_of_epsg(_GK6_PREFIXED_BASE + zone - GK6_ZONES.start)
    return None


def _numeric(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _first(params: dict[str, float], names: tuple[str, ...]) -> float | None:
    for name in names:
        if name in params:
            return float(params[name])
    return None


def _is_metre(crs: pyproj.CRS) -> bool:
    return all(
        (axis.unit_name or "").lower() in ("metre", "meter", "m") and axis.unit_conversion_factor == 1.0
        for axis in crs.axis_info
    )


def is_projected_metric(crs: pyproj.CRS | None) -> bool:
    """Tell whether ``crs`` is projected with metre axes (areas and distances can be measured in it)."""
    return crs is not None and crs.is_projected and _is_metre(crs)


def parse_crs(value: Any, *, what: str = "crs=") -> pyproj.CRS:
    """Read a user-given CRS: an EPSG number (4525), ``"4525"``, ``"EPSG:4525"``, WKT or a pyproj CRS."""
    if isinstance(value, pyproj.CRS):
        return value
    text = str(value).strip()
    try:
        if text.isdigit():
            return pyproj.CRS.from_epsg(int(text))
        return pyproj.CRS.from_user_input(text)
    except PyprojCRSError as error:
        raise CRSError(
            f"{what} 的值 {text!r} 不是可识别的坐标系 / {what} {text!r} is not a known CRS; "
            "give an EPSG code such as 4525 (CGCS2000 3度带 37带，带号前缀) or 4546 (CM 111E)"
        ) from error


def identify_epsg(crs: pyproj.CRS) -> tuple[int | None, str]:
    """Return ``(EPSG code or None, how)`` for a CRS: by PROJ's match, then by GK parameters."""
    code = crs.to_epsg(min_confidence=70)
    if code is not None:
        return code, "EPSG"
    zone = gk_zone_from_parameters(crs)
    if zone is not None:
        return zone.epsg, "Gauss–Krüger parameters"
    return None, "custom"


def describe_crs(crs: pyproj.CRS) -> str:
    """``"EPSG:4525 CGCS2000 / 3-degree Gauss-Kruger zone 37"`` (or the name for a custom CRS)."""
    code, _ = identify_epsg(crs)
    if code is not None:
        return f"EPSG:{code} {pyproj.CRS.from_epsg(code).name}"
    return crs.name or "custom CRS"


@dataclass(frozen=True)
class EastingGuess:
    """What an easting magnitude suggests (for messages; never applied silently)."""

    epsg: int
    zone: int
    prefixed: bool

    def describe(self) -> str:
        """English text, e.g. ``EPSG:4525 (zone-prefixed)``."""
        return f"EPSG:{self.epsg} ({'zone-prefixed' if self.prefixed else 'not prefixed'})"

    def hint(self) -> str:
        """Return the bilingual hint used in messages.

        E.g. ``坐标像 3 度带第 37 带（带号前缀）EPSG:4525 / looks like EPSG:4525 (zone-prefixed);
        pass --crs 4525``.
        """
        kind = "带号前缀" if self.prefixed else "无带号前缀"
        return (
            f"坐标像 3 度带第 {self.zone} 带（{kind}）EPSG:{self.epsg} / looks like {self.describe()}; "
            f"pass --crs {self.epsg}"
        )


def guess_gk3_from_easting(x: float, central_meridian: float | None = None) -> EastingGuess | None:
    """Suggest a CGCS2000 3-degree zone from an easting's magnitude.

    A prefixed easting ``n × 10⁶ + 500 000 ± 340 000`` with ``n`` in 25–45 fits EPSG:4513–4533;
    an easting of ``500 000 ± 340 000`` fits EPSG:4534–4554, whose zone cannot be told from the
    easting alone, so ``central_meridian`` (from a declared CRS) is needed to name one.
    """
    if not math.isfinite(x):
        return None
    if x >= 1_000_000.0:
        zone, rest = divmod(x, 1_000_000.0)
        if int(zone) in GK3_ZONES and abs(rest - 500_000.0) <= GK_EASTING_HALF_WIDTH_M:
            return EastingGuess(gk3_epsg(int(zone), prefixed=True), int(zone), True)
        return None
    if abs(x - 500_000.0) <= GK_EASTING_HALF_WIDTH_M and central_meridian is not None:
        zone = round(central_meridian / 3.0)
        if zone in GK3_ZONES:
            return EastingGuess(gk3_epsg(zone, prefixed=False), zone, False)
    return None


@dataclass(frozen=True)
class CoordinateCheck:
    """Result of :func:`check_coordinates`: rows that cannot be in the CRS, and why."""

    bad_rows: np.ndarray  # positions of geometries out of range
    reason: str  # empty when every row fits
    suggestion: str  # e.g. "looks like EPSG:4525 (zone-prefixed); pass --crs 4525"

    @property
    def ok(self) -> bool:
        """True when every geometry fits the CRS."""
        return self.bad_rows.size == 0


def check_coordinates(bounds: np.ndarray, crs: pyproj.CRS, epsg: int | None) -> CoordinateCheck:
    """Check that per-geometry bounds ``(n, 4)`` can be coordinates of ``crs``.

    Rules (hardening.md A12/A15): a geographic CRS needs longitudes in [-180, 180] and latitudes in
    [-90, 90]; a Gauss–Krüger zone needs eastings within ±340 km of its false easting (so a prefixed
    easting declared unprefixed, or the reverse, is caught) and northings of 0–6 200 km; any other
    projected CRS needs the bounds to transform to finite longitudes and latitudes. Rows whose bounds
    are not finite (empty geometries) are ignored here; NaN coordinates are checked elsewhere.
    """
    finite = np.isfinite(bounds).all(axis=1)
    minx, miny, maxx, maxy = (bounds[:, i] for i in range(4))
    bad = np.zeros(len(bounds), dtype=bool)
    reason = ""
    suggestion = ""
    zone = gk_zone_of_epsg(epsg) or gk_zone_from_parameters(crs)
    if crs.is_geographic:
        bad = finite & ((minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90))
        if bad.any():
            reason = "经纬度超出范围（经度须在 ±180、纬度须在 ±90 之内）/ longitude or latitude out of range"
            x = float(np.nanmedian(minx[bad]))
            guess = guess_gk3_from_easting(x)
            if guess is not None:
                suggestion = guess.hint()
            elif abs(x) > 180:
                suggestion = (
                    "坐标是米而不是度 coordinates look like metres, not degrees; "
                    "pass --crs with the projected CRS (e.g. 4513–4554 for CGCS2000 Gauss–Krüger)"
                )
    elif zone is not None:
        fe = zone.false_easting
        bad = finite & (
            (np.abs(minx - fe) > GK_EASTING_HALF_WIDTH_M)
            | (np.abs(maxx - fe) > GK_EASTING_HALF_WIDTH_M)
            | (miny < GK_NORTHING_RANGE_M[0])
            | (maxy > GK_NORTHING_RANGE_M[1])
        )
        if bad.any():
            reason = (
                f"东坐标应在 {fe - GK_EASTING_HALF_WIDTH_M:,.0f}–{fe + GK_EASTING_HALF_WIDTH_M:,.0f} m、"
                f"北坐标应在 0–6,200,000 m / eastings must lie within ±340 km of the false easting "
                f"{fe:,.0f} m"
            )
            x = float(np.nanmedian(minx[bad]))
            guess = guess_gk3_from_easting(x, central_meridian=zone.central_meridian)
            if guess is not None and guess.epsg != zone.epsg:
                suggestion = guess.hint()
            elif -180 <= x <= 180 and -90 <= float(np.nanmedian(miny[bad])) <= 90:
                suggestion = "坐标像经纬度 looks like degrees; pass --crs 4490 (CGCS2000 经纬度)"
    elif crs.is_projected:
        transformer = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        lon, lat = transformer.transform(np.where(finite, minx, 0.0), np.where(finite, miny, 0.0))
        lon2, lat2 = transformer.transform(np.where(finite, maxx, 0.0), np.where(finite, maxy, 0.0))
        corners = np.column_stack([lon, lat, lon2, lat2])
        bad = finite & ~(
            np.isfinite(corners).all(axis=1)
            & (np.abs(corners[:, [0, 2]]) <= 180).all(axis=1)
            & (np.abs(corners[:, [1, 3]]) <= 90).all(axis=1)
        )
        if bad.any():
            reason = (
                "坐标无法换算为有效经纬度 / coordinates do not transform to valid longitudes and latitudes"
            )
    return CoordinateCheck(np.flatnonzero(bad), reason, suggestion)


def suggest_for_missing_crs(bounds: np.ndarray) -> str:
    """Suggest a CRS for a layer without one, from its coordinates' magnitude (never applied silently)."""
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return ""
    x = float(np.median(bounds[finite, 0]))
    y = float(np.median(bounds[finite, 1]))
    guess = guess_gk3_from_easting(x)
    if guess is not None:
        return guess.hint()
    if -180 <= x <= 180 and -90 <= y <= 90:
        return "坐标像经纬度 looks like degrees; pass --crs 4490 (CGCS2000) or 4326 (WGS 84)"
    if abs(x - 500_000.0) <= GK_EASTING_HALF_WIDTH_M:
        return (
            "坐标像无带号前缀的高斯-克吕格投影 looks like an unprefixed Gauss–Krüger easting; "
            "pass --crs 4534–4554 for the zone's central meridian (e.g. 4546 for 111°E)"
        )
    return ""


def metric_crs_for(gdf: Any) -> pyproj.CRS:
    """Return the CRS to measure a GeoDataFrame in: its own when projected in metres, else its GK zone.

    For a geographic (or non-metric) layer this is the unprefixed CGCS2000 3-degree zone
    (EPSG:4534–4554) whose band holds the centre of the layer's bounds (contract.md §2).
    """
    crs = gdf.crs
    if crs is None:
        raise CRSError("图层没有坐标系 / the layer has no CRS; assign one first (crs=)")
    crs = pyproj.CRS.from_user_input(crs)
    if is_projected_metric(crs):
        return crs
    lon, _ = layer_centre_lonlat(gdf.total_bounds, crs)
    return pyproj.CRS.from_epsg(gk3_epsg_for_longitude(lon))


def layer_centre_lonlat(total_bounds: np.ndarray, crs: pyproj.CRS) -> tuple[float, float]:
    """Longitude and latitude of the centre of ``total_bounds`` given in ``crs``."""
    minx, miny, maxx, maxy = (float(v) for v in total_bounds)
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    if not (math.isfinite(cx) and math.isfinite(cy)):
        raise CRSError("图层没有有效坐标 / the layer has no finite coordinates to locate its zone")
    if crs.is_geographic:
        return cx, cy
    transformer = pyproj.Transformer.from_crs(crs, pyproj.CRS.from_epsg(CGCS2000_GEOGRAPHIC), always_xy=True)
    lon, lat = transformer.transform(cx, cy)
    return float(lon), float(lat)
