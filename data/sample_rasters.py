"""10 m NDVI and built-up rasters consistent with the sample park's parcels.

Each pixel is given a surface class — roof, paving, planted green, bare soil, vegetation or water —
drawn from the parcel it lies in: the parcel's shares of roofs (building coefficient), green
(green ratio), paving (the rest of a built parcel) or bare soil and vegetation (unbuilt, idle,
cleared land). A spatially smooth random field decides *which* pixels of a parcel get which class,
so roofs and lawns form patches rather than salt-and-pepper; the field is ranked within each
parcel, so every parcel shows exactly its shares. Class means follow typical
Sentinel-2 values (NDVI: roofs ≈ 0.05, paving ≈ 0.12, bare soil ≈ 0.18, lawns ≈ 0.55, natural
vegetation ≈ 0.68, water < 0); seeded Gaussian noise is added.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from rasterio.features import rasterize
from scipy.ndimage import gaussian_filter
from shapely.geometry.base import BaseGeometry

from data import sample_params as sp

ROOF, PAVED, GREEN, BARE, VEG, WATER, FOREST = range(7)
NDVI_MEAN = np.array([0.05, 0.12, 0.55, 0.18, 0.68, -0.08, 0.78], dtype=np.float32)
BUILTUP_MEAN = np.array([0.92, 0.78, 0.12, 0.28, 0.05, 0.02, 0.03], dtype=np.float32)
NODATA = -9999.0


def surface_shares(frame: pd.DataFrame, area_m2: np.ndarray) -> np.ndarray:
    """Per-parcel shares ``(roof, paved, green, bare)`` of the surface; vegetation is the rest.

    Built parcels: roofs = footprint / area, green = green area / area, paving = the rest.
    Unbuilt land: mostly vegetation with some bare soil; building sites mostly bare; parcels
    recorded as built but built to show ``rs_unbuilt`` are vegetated and bare like idle land.
    """
    n = len(frame)
    state = frame["_state"].to_numpy(dtype=object)
    role = frame["_role"].to_numpy(dtype=object)
    case = frame["_case"].to_numpy(dtype=object)
    roof = np.nan_to_num(frame["footprint_m2"].to_numpy(dtype=float) / area_m2)
    green = np.nan_to_num(frame["green_area_m2"].to_numpy(dtype=float) / area_m2)
    roof, green = np.clip(roof, 0, 0.9), np.clip(green, 0, 0.95)
    paved = np.clip(1.0 - roof - green, 0.0, 1.0)
    bare = np.zeros(n)
    shares = np.column_stack([roof, paved, green, bare])
    shares[role == "green"] = (0.02, 0.12, 0.86, 0.0)
    rules = {
        "construction": (0.15, 0.10, 0.0, 0.55),
        "pending": (0.0, 0.0, 0.0, 0.30),
        "not_started": (0.0, 0.0, 0.0, 0.25),
        "unsupplied": (0.0, 0.0, 0.0, 0.18),
    }
    for st, row in rules.items():
        shares[state == st] = row
    stalled = state == "stalled"
    roof[stalled] = 0.08  # foundations and an unfinished frame
    shares[stalled] = np.column_stack(
        [roof[stalled], np.zeros(stalled.sum()), np.zeros(stalled.sum()), np.full(stalled.sum(), 0.45)]
    )
    shares[case == "idle_recoverable"] = (0.0, 0.0, 0.0, 0.08)  # overgrown after years
    shares[case == "rs_unbuilt"] = (0.0, 0.0, 0.0, 0.12)
    return shares


def _uniform_field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Return a spatially smooth field with uniform marginal distribution on [0, 1)."""
    smooth = gaussian_filter(rng.standard_normal(shape), sigma=sigma)
    ranks = np.empty(smooth.size)
    ranks[np.argsort(smooth, axis=None, kind="stable")] = np.arange(smooth.size)
    return (ranks / smooth.size).reshape(shape)


def write_rasters(
    out_dir: Path,
    parcels: list[BaseGeometry],
    shares: np.ndarray,
    roads: BaseGeometry,
    red_line: BaseGeometry,
    river: BaseGeometry,
    boundary: BaseGeometry,
    rng: np.random.Generator,
) -> dict[str, object]:
    """Write ``ndvi.tif`` and ``builtup.tif`` (float32, 10 m, EPSG:4546, 256² tiles, deflate).

    Returns the grid description for ``sample_meta.json``.
    """
    res = sp.RASTER_RES_M
    minx, miny, maxx, maxy = boundary.bounds
    x0 = np.floor((minx - sp.RASTER_MARGIN_M) / res) * res
    y1 = np.ceil((maxy + sp.RASTER_MARGIN_M) / res) * res
    width = int(np.ceil((maxx + sp.RASTER_MARGIN_M - x0) / res))
    height = int(np.ceil((y1 - (miny - sp.RASTER_MARGIN_M)) / res))
    transform = Affine(res, 0.0, x0, 0.0, -res, y1)  # north-up, 10 m
    shape = (height, width)

    index = rasterize(
        ((g, i + 1) for i, g in enumerate(parcels)),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    field = _uniform_field(rng, shape, sigma=1.2)
    cls = np.where(field < 0.82, VEG, BARE).astype(np.int8)  # farmland and scrub around the park
    inside = rasterize([(boundary, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8") == 1
    cls[inside] = VEG
    cls[rasterize([(red_line, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8") == 1] = FOREST

    has = index > 0
    owner = index[has]
    cum = np.cumsum(shares, axis=1)[owner - 1]
    # rank the smooth field within each parcel so that every parcel gets exactly its shares
    order = np.lexsort((field[has], owner))
    counts = np.bincount(owner, minlength=len(parcels) + 1)
    starts = np.cumsum(counts) - counts
    u = np.empty(owner.size)
    u[order] = (np.arange(owner.size) - starts[owner[order]] + 0.5) / counts[owner[order]]
    cls[has] = np.select(
        [u < cum[:, 0], u < cum[:, 1], u < cum[:, 2], u < cum[:, 3]], [ROOF, PAVED, GREEN, BARE], VEG
    )
    cls[rasterize([(roads, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8") == 1] = PAVED
    water = river.buffer(45.0)
    cls[rasterize([(water, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8") == 1] = WATER

    texture = gaussian_filter(rng.standard_normal(shape), sigma=2.0)
    texture /= texture.std()
    ndvi = NDVI_MEAN[cls] + 0.035 * texture + 0.03 * rng.standard_normal(shape)
    builtup = BUILTUP_MEAN[cls] - 0.03 * texture + 0.04 * rng.standard_normal(shape)
    ndvi = np.clip(ndvi, -1.0, 1.0).astype(np.float32)
    builtup = np.clip(builtup, 0.0, 1.0).astype(np.float32)

    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{sp.CRS_EPSG}",
        "transform": transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
        "nodata": NODATA,
    }
    for name, data, desc in (
        ("ndvi.tif", ndvi, "NDVI (-1..1), synthetic Sentinel-2-like, 10 m"),
        ("builtup.tif", builtup, "built-up index (0..1), synthetic, 10 m"),
    ):
        with rasterio.open(out_dir / name, "w", **profile) as dst:
            dst.write(data, 1)
            dst.set_band_description(1, desc)
    return {
        "resolution_m": res,
        "width": width,
        "height": height,
        "bounds": [float(x0), float(y1 - height * res), float(x0 + width * res), float(y1)],
        "nodata": NODATA,
        "files": ["ndvi.tif", "builtup.tif"],
    }
