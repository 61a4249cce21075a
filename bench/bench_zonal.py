"""Benchmark: panhuo zonal statistics vs exactextract on 90 000 parcels over a 5 000 × 5 000 raster.

Run it under the shared benchmark lock (it does not take the lock itself):

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_zonal.py

Data (seeded, generated once and cached in ``/tmp/panhuo-bench/``):

* ``zonal_5000_v1.tif`` — 5 000 × 5 000 float32 GeoTIFF, 2 m pixels in EPSG:4546 (10 km × 10 km),
  tiled 256 × 256, DEFLATE-compressed with the floating-point predictor; an NDVI-like field
  (smooth Gaussian-filtered noise plus pixel noise, values about 0.05–0.95) with nodata = −9999
  in a lake-shaped patch and along a road strip.
* ``zonal_parcels_90000_v1.parquet`` — 90 000 parcels (GeoParquet): centres on a jittered
  300 × 300 grid, 70 % rotated rectangles and 30 % jittered 12-gons; areas from a mixture —
  8 % slivers below one pixel (0.4–3.6 m²), 60 % lognormal around 400 m², 30 % around 1 500 m²,
  2 % large (10 000–60 000 m²) — so 55 785 parcels have 100 pixels or more, 7 185 are below one
  pixel, about 124 000 pairs of parcels overlap and 643 parcels run off the raster's edge.

Each engine runs 3 times in a fresh subprocess, alternating (same files, same run of this
script); the script prints and writes medians of wall-clock and CPU time (the machine is shared,
so CPU time is the steadier figure), the speed-up, peak RSS of each worker and the agreement of
the means for parcels of at least 100 pixels to ``bench/results/zonal.json``. A scale check then
runs panhuo alone on 1 000 000 small boxes (2–9 m sides) over the same raster (hardening E3) and
records its time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("PANHUO_BENCH_CACHE", "/tmp/panhuo-bench"))
RESULTS = ROOT / "bench" / "results" / "zonal.json"
SEED = 20261126
SIZE = 5000
PIXEL = 2.0
N_PARCELS = 90_000
ORIGIN = (500_000.0, 3_000_000.0)  # top-left corner, EPSG:4546
CRS = "EPSG:4546"
DATA_VERSION = "v1"


def raster_path() -> Path:
    return CACHE / f"zonal_{SIZE}_{DATA_VERSION}.tif"


def parcels_path() -> Path:
    return CACHE / f"zonal_parcels_{N_PARCELS}_{DATA_VERSION}.parquet"


def make_raster(path: Path) -> None:
    import rasterio
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(SEED)
    coarse = rng.normal(0, 1, (SIZE // 4, SIZE // 4))
    smooth = gaussian_filter(coarse, 12)
    smooth = np.kron(smooth / smooth.std(), np.ones((4, 4)))
    field = 0.5 + 0.15 * smooth + rng.normal(0, 0.05, (SIZE, SIZE))
    field = np.clip(field, 0.05, 0.95).astype("float32")
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    lake = ((yy - 3600) / 260.0) ** 2 + ((xx - 1200) / 420.0) ** 2 < 1
    road = np.abs(yy - 0.4 * xx - 900) < 6
    field[lake | road] = -9999.0
    profile = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": rasterio.Affine(PIXEL, 0.0, ORIGIN[0], 0.0, -PIXEL, ORIGIN[1]),
        "nodata": -9999.0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(field, 1)
    tmp.replace(path)


def make_parcels(path: Path) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED + 1)
    side = int(np.sqrt(N_PARCELS))
    extent = SIZE * PIXEL
    slot = extent / side
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    cx = ORIGIN[0] + (gx.ravel() + 0.5 + rng.uniform(-0.35, 0.35, N_PARCELS)) * slot
    cy = ORIGIN[1] - (gy.ravel() + 0.5 + rng.uniform(-0.35, 0.35, N_PARCELS)) * slot
    kind = rng.choice(4, N_PARCELS, p=[0.08, 0.60, 0.30, 0.02])
    area = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [
            rng.uniform(0.4, 3.6, N_PARCELS),
            rng.lognormal(np.log(400.0), 0.6, N_PARCELS),
            rng.lognormal(np.log(1500.0), 0.5, N_PARCELS),
            rng.uniform(10_000.0, 60_000.0, N_PARCELS),
        ],
    )
    angle = rng.uniform(0, np.pi, N_PARCELS)
    rect = rng.random(N_PARCELS) < 0.7
    # rotated rectangles with aspect 0.4–2.5
    aspect = np.exp(rng.uniform(np.log(0.4), np.log(2.5), N_PARCELS))
    w = np.sqrt(area * aspect)
    h = area / w
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    rx = corners[None, :, 0] * w[:, None]
    ry = corners[None, :, 1] * h[:, None]
    # jittered 12-gons with the requested area (regular 12-gon area = 3 r²)
    k = 12
    theta = np.linspace(0, 2 * np.pi, k, endpoint=False)
    radius = np.sqrt(area / 3.0)[:, None] * rng.uniform(0.8, 1.2, (N_PARCELS, k))
    px = np.cos(theta)[None, :] * radius
    py = np.sin(theta)[None, :] * radius
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    rect_xy = np.stack([cx[:, None] + rx * cos - ry * sin, cy[:, None] + rx * sin + ry * cos], axis=-1)
    poly_xy = np.stack([cx[:, None] + px * cos - py * sin, cy[:, None] + px * sin + py * cos], axis=-1)
    rects = shapely.polygons(rect_xy)
    polys = shapely.polygons(np.concatenate([poly_xy, poly_xy[:, :1]], axis=1))
    geoms = np.where(rect, rects, polys)
    gdf = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:06d}" for i in range(N_PARCELS)], "kind": kind},
        geometry=geoms,
        crs=CRS,
    )
    tmp = path.with_suffix(".tmp.parquet")
    gdf.to_parquet(tmp)
    tmp.replace(path)


def ensure_data() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    if not raster_path().exists():
        print(f"generating {raster_path()} …", flush=True)
        make_raster(raster_path())
    if not parcels_path().exists():
        print(f"generating {parcels_path()} …", flush=True)
        make_parcels(parcels_path())


def million_parcels():
    """1 000 000 small boxes (2–9 m sides, ≈ 1–20 pixels) on a 1 000 × 1 000 grid (hardening E3)."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(SEED + 2)
    side = 1000
    slot = SIZE * PIXEL / side
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    cx = ORIGIN[0] + (gx.ravel() + 0.5) * slot
    cy = ORIGIN[1] - (gy.ravel() + 0.5) * slot
    w = rng.uniform(2, 9, side * side)
    h = rng.uniform(2, 9, side * side)
    return gpd.GeoDataFrame(geometry=shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), crs=CRS)


def worker(engine: str, out: Path) -> None:
    """Run one engine once and write its timing, peak RSS and results."""
    import geopandas as gpd

    if engine == "panhuo-1m":
        parcels = million_parcels()
        engine = "panhuo"
    else:
        parcels = gpd.read_parquet(parcels_path())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    if engine == "panhuo":
        sys.path.insert(0, str(ROOT))
        from geo.zonal import zonal_stats

        frame = zonal_stats(parcels, raster_path(), "ndvi")
        result = {
            "mean": frame["rs_ndvi_mean"].to_numpy(),
            "min": frame["rs_ndvi_min"].to_numpy(),
            "max": frame["rs_ndvi_max"].to_numpy(),
            "std": frame["rs_ndvi_std"].to_numpy(),
            "count": frame["rs_ndvi_count"].to_numpy(),
        }
    else:
        from exactextract import exact_extract

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = exact_extract(
                str(raster_path()), parcels, ["mean", "min", "max", "stdev", "count"], output="pandas"
            )
        result = {
            "mean": frame["mean"].to_numpy(dtype=float),
            "min": frame["min"].to_numpy(dtype=float),
            "max": frame["max"].to_numpy(dtype=float),
            "std": frame["stdev"].to_numpy(dtype=float),
            "count": frame["count"].to_numpy(dtype=float),
        }
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = usage.ru_utime + usage.ru_stime - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    np.savez(out, seconds=seconds, cpu_seconds=cpu_seconds, peak_mb=peak_mb, **result)


def run_engine(engine: str, run: int) -> dict:
    out = CACHE / f"zonal_{engine}_{run}.npz"
    subprocess.run([sys.executable, __file__, "--worker", engine, "--out", str(out)], check=True)
    with np.load(out) as data:
        return {key: data[key] for key in data.files}


def relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.abs(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["panhuo", "exactextract", "panhuo-1m"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.out)
        return

    import geopandas as gpd
    import shapely

    ensure_data()
    parcels = gpd.read_parquet(parcels_path())
    pixels = shapely.area(parcels.geometry.array) / (PIXEL * PIXEL)
    big = pixels >= 100

    runs: dict[str, list[dict]] = {"panhuo": [], "exactextract": []}
    for run in range(args.runs):
        for engine in ("panhuo", "exactextract"):
            res = run_engine(engine, run)
            runs[engine].append(res)
            print(
                f"run {run + 1}: {engine:13s} {float(res['seconds']):7.2f} s wall, "
                f"{float(res['cpu_seconds']):7.2f} s CPU, peak RSS {float(res['peak_mb']):.0f} MB",
                flush=True,
            )

    # scale check (hardening E3): panhuo alone on 1 000 000 small parcels over the same raster
    million = run_engine("panhuo-1m", 0)
    print(
        f"1 000 000 parcels: panhuo {float(million['seconds']):.2f} s wall, "
        f"{float(million['cpu_seconds']):.2f} s CPU, peak RSS {float(million['peak_mb']):.0f} MB",
        flush=True,
    )

    ours, theirs = runs["panhuo"][-1], runs["exactextract"][-1]
    both = np.isfinite(ours["mean"]) & np.isfinite(theirs["mean"])
    rel_big = relative(ours["mean"][big & both], theirs["mean"][big & both])
    rel_all = relative(ours["mean"][both], theirs["mean"][both])
    agreement = {
        "parcels_ge_100_px": int(big.sum()),
        "parcels_lt_1_px": int((pixels < 1).sum()),
        "compared_ge_100_px": int((big & both).sum()),
        "mean_rel_diff_ge_100_px_max": float(rel_big.max()),
        "mean_rel_diff_ge_100_px_median": float(np.median(rel_big)),
        "mean_rel_diff_all_max": float(rel_all.max()),
        "mean_rel_diff_all_median": float(np.median(rel_all)),
        "null_mismatches": int((np.isfinite(ours["mean"]) != np.isfinite(theirs["mean"])).sum()),
        "min_abs_diff_max": float(np.nanmax(np.abs(ours["min"] - theirs["min"]))),
        "max_abs_diff_max": float(np.nanmax(np.abs(ours["max"] - theirs["max"]))),
        "std_abs_diff_max": float(np.nanmax(np.abs(ours["std"] - theirs["std"]))),
        "count_abs_diff_max": float(np.nanmax(np.abs(ours["count"] - theirs["count"]))),
    }
    med = {e: statistics.median(float(r["seconds"]) for r in runs[e]) for e in runs}
    peak = {e: max(float(r["peak_mb"]) for r in runs[e]) for e in runs}
    speedup = med["exactextract"] / med["panhuo"]
    cpu_med = {e: statistics.median(float(r["cpu_seconds"]) for r in runs[e]) for e in runs}
    cpu_speedup = cpu_med["exactextract"] / cpu_med["panhuo"]

    import exactextract
    import rasterio

    report = {
        "benchmark": "zonal statistics: panhuo geo.zonal vs exactextract",
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_zonal.py",
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "exactextract": exactextract.__version__,
            "rasterio": rasterio.__version__,
            "gdal": rasterio.__gdal_version__,
        },
        "data": {
            "raster": (
                f"{SIZE} x {SIZE} float32, {PIXEL} m pixels, {CRS}, tiled 256x256, DEFLATE + predictor 3"
            ),
            "parcels": N_PARCELS,
            "seed": SEED,
            "cache": str(CACHE),
        },
        "runs": args.runs,
        "seconds": {e: [round(float(r["seconds"]), 3) for r in runs[e]] for e in runs},
        "median_seconds": {e: round(v, 3) for e, v in med.items()},
        "cpu_seconds": {e: [round(float(r["cpu_seconds"]), 3) for r in runs[e]] for e in runs},
        "median_cpu_seconds": {e: round(v, 3) for e, v in cpu_med.items()},
        "cpu_speedup": round(cpu_speedup, 2),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": {e: round(v) for e, v in peak.items()},
        "speedup": round(speedup, 2),
        "agreement": agreement,
        "million_parcels_panhuo": {
            "seconds": round(float(million["seconds"]), 3),
            "cpu_seconds": round(float(million["cpu_seconds"]), 3),
            "peak_rss_mb": round(float(million["peak_mb"])),
            "parcels_with_values": int(np.isfinite(million["mean"]).sum()),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"median wall: panhuo {med['panhuo']:.2f} s, exactextract {med['exactextract']:.2f} s "
        f"→ {speedup:.1f}× faster (CPU time: {cpu_speedup:.1f}×)\n"
        f"means, parcels ≥ 100 px ({agreement['compared_ge_100_px']}): max rel. diff "
        f"{agreement['mean_rel_diff_ge_100_px_max']:.2e}, "
        f"median {agreement['mean_rel_diff_ge_100_px_median']:.2e}\n"
        f"written to {RESULTS}"
    )


if __name__ == "__main__":
    main()
