"""Benchmark: read a 1 000 000-parcel GeoParquet into canonical form, validation included.

Issue 2 target: under 30 s and under 4 GB peak RSS on the 2-core build machine.

The input is synthetic but shaped like a real park's table: a 1000 × 1000 grid of 20 m parcels
(slightly jittered quadrilaterals, 1 in 2 000 a bow-tie that must be repaired) in EPSG:4546 near
Yulin, with every canonical column of ``geo/schema.py`` under its Chinese alias, and the awkward
storage real tables have: dates as text in four spellings (ISO, ``2023/5/1``, ``2023年5月1日``,
Excel serials), booleans as 是/否, numbers as text, supply types in Chinese and English. It is
generated vectorised (a few seconds) and cached in ``/tmp/panhuo-bench/`` (``--rebuild`` redoes it).

Each run is a fresh child process that times :func:`geo.io.read_parcels` (format sniffing, CRS
check, alias matching, id uniqueness, coercion of every column, geometry validity and repair) and
reports its wall time and peak RSS (``resource.getrusage``). For comparison the same run times a
bare ``geopandas.read_parquet`` of the same file (no validation). Medians of ``--runs`` runs are
printed and written to ``bench/results/ingest.json``.

Usage (under the shared benchmark lock)::

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_ingest.py [--runs 3] [--rebuild]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/panhuo-bench")
RESULTS = ROOT / "bench" / "results" / "ingest.json"
N_SIDE = 1000
CELL_M = 20.0
X0, Y0 = 402_000.0, 2_494_000.0  # EPSG:4546, Yulin
SEED = 20260630
TARGET_SECONDS = 30.0
TARGET_RSS_GB = 4.0


def build(path: Path, n_side: int = N_SIDE) -> dict[str, object]:
    """Write the synthetic GeoParquet (vectorised); return what it holds."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    t0 = time.perf_counter()
    rng = np.random.default_rng(SEED)
    n = n_side * n_side
    i, j = np.divmod(np.arange(n), n_side)
    x = X0 + j * CELL_M
    y = Y0 + i * CELL_M
    jitter = rng.uniform(-2.0, 2.0, size=(n, 4, 2))
    corners = np.array([[0.0, 0.0], [CELL_M, 0.0], [CELL_M, CELL_M], [0.0, CELL_M]])
    ring = corners[None, :, :] + jitter
    ring[:, :, 0] += x[:, None]
    ring[:, :, 1] += y[:, None]
    bowtie = rng.random(n) < 1 / 2000
    ring[bowtie] = ring[bowtie][:, [0, 2, 1, 3], :]  # crossing edges: invalid, repaired by ingest
    closed = np.concatenate([ring, ring[:, :1, :]], axis=1)
    geometry = shapely.polygons(closed)

    def pick(options: list[str]) -> np.ndarray:
        return np.asarray(options, dtype=object)[rng.integers(0, len(options), size=n)]

    days = rng.integers(
        np.datetime64("2005-01-01").astype(int), np.datetime64("2025-12-31").astype(int), size=n
    )
    stamp = pd.to_datetime(days, unit="D")
    form = rng.integers(0, 4, size=n)
    iso = stamp.strftime("%Y-%m-%d").to_numpy(dtype=object)
    slash = (stamp.year.astype(str) + "/" + stamp.month.astype(str) + "/" + stamp.day.astype(str)).to_numpy(
        object
    )
    zh = (
        stamp.year.astype(str) + "年" + stamp.month.astype(str) + "月" + stamp.day.astype(str) + "日"
    ).to_numpy(object)
    serial = (days - np.datetime64("1899-12-30").astype(int)).astype(str).astype(object)
    date_text = np.select([form == 0, form == 1, form == 2], [iso, slash, zh], serial)
    shifted = pd.Series(stamp + pd.to_timedelta(rng.integers(180, 900, size=n), unit="D"))
    started = rng.random(n) < 0.8

    def num_text(values: np.ndarray) -> np.ndarray:
        return np.char.mod("%.2f", values).astype(object)

    area = CELL_M * CELL_M
    columns = {
        "宗地代码": np.char.add("YL", np.char.zfill(np.arange(n).astype(str), 7)).astype(object),
        "地块名称": np.char.add("地块", np.arange(n).astype(str)).astype(object),
        "用地单位": pick(
            ["广西玉柴配件有限公司", "玉林机械厂", "桂东电子科技有限公司", "玉林制药有限责任公司"]
        ),
        "地类编码": pick(["100101", "100102", "0901", "0801", "1207"]),
        "规划用途": pick(["1001", "0901", "0801"]),
        "供地方式": pick(["出让", "划拨", "leased", "租赁", "未供", "allocated"]),
        "合同签订日期": date_text,
        "到期日期": (stamp + pd.DateOffset(years=50)).strftime("%Y/%m/%d").to_numpy(dtype=object),
        "约定动工日期": shifted.dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "约定竣工日期": (shifted + pd.DateOffset(years=2)).dt.strftime("%Y年%m月%d日").to_numpy(dtype=object),
        "实际动工日期": np.where(started, shifted.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), None),
        "停工日期": np.where(rng.random(n) < 0.02, "2024-03-01", None),
        "政府原因": pick(["是", "否", "否", "否"]),
        "已开发面积": rng.uniform(0, area, n),
        "计划总投资": num_text(rng.uniform(100, 20000, n)),
        "已完成投资": rng.uniform(0, 20000, n),
        "土地价款": rng.uniform(10, 3000, n),
        "计容建筑面积": num_text(rng.uniform(0, 3 * area, n)),
        "建筑占地面积": rng.uniform(0, area, n),
        "行政办公及生活服务设施用地面积": rng.uniform(0, 0.1 * area, n),
        "绿地面积": rng.uniform(0, 0.2 * area, n),
        "行业代码": pick(["13", "26", "27", "34", "35", "39"]),
        "固定资产投资额": rng.uniform(50, 30000, n),
        "实缴税金": num_text(rng.uniform(0, 500, n)),
        "主营业务收入": rng.uniform(0, 100000, n),
        "工业增加值": rng.uniform(0, 30000, n),
        "综合能耗": rng.uniform(0, 5000, n),
        "职工人数": rng.integers(0, 2000, n).astype(float),
        "研发经费": rng.uniform(0, 2000, n),
        "投产年份": rng.integers(1995, 2026, n).astype(str).astype(object),
        "规模以上": pick(["是", "否", "Y", "N"]),
        "高企": pick(["是", "否", "1", "0"]),
        "产业政策类别": pick(["鼓励", "允许", "限制", "淘汰"]),
        "房屋安全等级": pick(["A", "B", "c", "D"]),
        "备注": pick(["", "历史遗留", "已整改"]),
    }
    frame = gpd.GeoDataFrame(columns, geometry=geometry, crs=4546)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, row_group_size=100_000)
    tmp.replace(path)
    return {
        "parcels": n,
        "bowties": int(bowtie.sum()),
        "columns": len(columns),
        "bytes": path.stat().st_size,
        "build_seconds": round(time.perf_counter() - t0, 2),
    }


def child(mode: str, path: Path) -> None:
    """Time one read in this (fresh) process; print a JSON line."""
    import geopandas as gpd

    from geo.io import read_parcels

    t0 = time.perf_counter()
    if mode == "read_parcels":
        gdf, report = read_parcels(path)
        extra = {
            "rows": len(gdf),
            "repaired": report.geometry.repaired_count,
            "unreadable": len(report.unreadable),
            "columns_matched": len(report.columns_matched),
        }
    else:
        gdf = gpd.read_parquet(path)
        extra = {"rows": len(gdf)}
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_gb": peak_kb / 1024**2, **extra}))


def run(mode: str, path: Path) -> dict[str, float]:
    """Run :func:`child` in a new interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--path", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--child", choices=("read_parcels", "read_parquet"))
    parser.add_argument("--path", type=Path, default=CACHE / "parcels_1m.parquet")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.path)
        return

    info: dict[str, object] = {}
    if args.rebuild or not args.path.exists():
        info = build(args.path)
        print(f"built {args.path}: {info}")
    runs = [run("read_parcels", args.path) for _ in range(args.runs)]
    bare = [run("read_parquet", args.path) for _ in range(args.runs)]
    med = statistics.median(r["seconds"] for r in runs)
    rss = max(r["peak_rss_gb"] for r in runs)
    bare_med = statistics.median(r["seconds"] for r in bare)
    result = {
        "benchmark": "read_parcels on a 1 000 000-parcel GeoParquet (validation included)",
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_ingest.py --runs 3",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "input": {"path": str(args.path), "bytes": args.path.stat().st_size, **info},
        "runs": args.runs,
        "read_parcels_seconds": [round(r["seconds"], 2) for r in runs],
        "read_parcels_median_seconds": round(med, 2),
        "read_parcels_peak_rss_gb": round(rss, 2),
        "bare_read_parquet_seconds": [round(r["seconds"], 2) for r in bare],
        "bare_read_parquet_median_seconds": round(bare_med, 2),
        "bare_read_parquet_peak_rss_gb": round(max(r["peak_rss_gb"] for r in bare), 2),
        "rows": runs[0]["rows"],
        "repaired": runs[0]["repaired"],
        "unreadable": runs[0]["unreadable"],
        "target": {"seconds": TARGET_SECONDS, "peak_rss_gb": TARGET_RSS_GB},
        "meets_target": med < TARGET_SECONDS and rss < TARGET_RSS_GB,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"read_parcels 1M parcels: median {med:.2f} s over "
        f"{args.runs} runs {result['read_parcels_seconds']}, "
        f"peak RSS {rss:.2f} GB (target < {TARGET_SECONDS:.0f} s, < {TARGET_RSS_GB:.0f} GB: "
        f"{'met' if result['meets_target'] else 'NOT met'}); "
        f"bare geopandas.read_parquet median {bare_med:.2f} s"
    )
    print(f"figures → {RESULTS}")


if __name__ == "__main__":
    main()
