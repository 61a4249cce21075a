"""Benchmark: ``run_analysis`` (rules, 亩均 grading, zone indicators; no raster) on synthetic parcels.

Each repeat runs in a fresh child process so that its peak memory (``ru_maxrss``) is its own. The
parcels (square polygons with every canonical column filled, a few per cent left empty) are generated
vectorised in the child before the clock starts. Target (issue 3): 1 000 000 parcels in < 60 s and
< 6 GB peak.

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_analyze.py            # 1 000 000 × 3
    .venv/bin/python bench/bench_analyze.py --parcels 100000 --repeats 1           # quick look

Writes ``bench/results/analyze.json``.
"""

from __future__ import annotations

import argparse
import itertools
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
TARGET_SECONDS = 60.0
TARGET_GB = 6.0


def make_parcels(n: int, seed: int = 2026):
    """N square parcels (500–40 000 m²) in EPSG:4546 with every canonical column, vectorised."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    side = np.sqrt(rng.uniform(500, 40_000, n))
    cols = 1000
    x = 400_000 + (np.arange(n) % cols) * 250.0
    y = 2_400_000 + (np.arange(n) // cols) * 250.0
    geometry = shapely.box(x, y, x + side, y + side)
    area = side**2

    def pick(values, p=None):
        return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]

    def maybe_empty(values, share=0.03):
        out = pd.Series(values)
        return out.mask(rng.random(n) < share)

    def dates(start: str, days: int, empty_share: float):
        d = np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")
        s = pd.Series(d.astype("datetime64[ns]"))
        return s.mask(rng.random(n) < empty_share)

    land_use = pick(["100101", "100102", "110101", "090101", "070101", "1207", "1401", "080403", "0101"],
                    [0.35, 0.1, 0.08, 0.1, 0.12, 0.08, 0.07, 0.04, 0.06])  # fmt: skip
    supply = pick(["出让", "划拨", "租赁", "未供"], [0.75, 0.12, 0.03, 0.10])
    supply_date = dates("2005-01-01", 7500, 0.02)
    agreed = supply_date + pd.to_timedelta(rng.integers(30, 400, n), unit="D")
    started = rng.random(n) < 0.8
    actual = (agreed + pd.to_timedelta(rng.integers(-20, 500, n), unit="D")).where(started)
    suspended = (actual + pd.to_timedelta(rng.integers(100, 2000, n), unit="D")).where(rng.random(n) < 0.1)
    floor = area * rng.uniform(0.0, 2.5, n) * started
    frame = pd.DataFrame(
        {
            "parcel_id": pd.Series(np.char.add("P", np.arange(n).astype(str)), dtype=object),
            "name": None,
            "enterprise": pick(["甲公司", "乙公司", "丙公司", None], [0.3, 0.3, 0.3, 0.1]),
            "land_use": land_use,
            "planned_use": np.where(rng.random(n) < 0.95, land_use, "0701"),
            "supply_type": supply,
            "supply_date": supply_date,
            "lease_end_date": supply_date + pd.to_timedelta(50 * 365, unit="D"),
            "agreed_start_date": agreed,
            "agreed_completion_date": agreed + pd.to_timedelta(730, unit="D"),
            "actual_start_date": actual,
            "suspended_since": suspended.where(suspended < pd.Timestamp("2026-06-30")),
            "gov_cause": pd.array(rng.random(n) < 0.05, dtype="boolean"),
            "developed_area_m2": maybe_empty(area * rng.uniform(0, 1, n)),
            "total_investment_wan": maybe_empty(rng.uniform(1000, 50_000, n)),
            "invested_wan": maybe_empty(rng.uniform(0, 40_000, n)),
            "land_price_wan": maybe_empty(area * rng.uniform(0.02, 0.06, n)),
            "floor_area_m2": maybe_empty(floor),
            "footprint_m2": maybe_empty(area * rng.uniform(0, 0.7, n) * started),
            "admin_area_m2": maybe_empty(area * rng.uniform(0, 0.1, n)),
            "green_area_m2": maybe_empty(area * rng.uniform(0, 0.25, n)),
            "industry_code": pick(["13", "26", "27", "34", "35", "39", "40", "38"]),
            "fixed_assets_wan": maybe_empty(area / 10_000 * rng.uniform(300, 6000, n)),
            "tax_wan": maybe_empty(area / 666.67 * rng.uniform(0, 15, n)),
            "revenue_wan": maybe_empty(area / 666.67 * rng.uniform(10, 500, n)),
            "value_added_wan": maybe_empty(area / 666.67 * rng.uniform(5, 150, n)),
            "energy_tce": maybe_empty(rng.uniform(10, 5000, n)),
            "employees": maybe_empty(rng.integers(5, 2000, n).astype(float)),
            "rd_wan": maybe_empty(rng.uniform(0, 500, n)),
            "production_year": pd.array(rng.integers(2000, 2026, n), dtype="Int64"),
            "above_scale": pd.array(rng.random(n) < 0.4, dtype="boolean"),
            "high_tech": pd.array(rng.random(n) < 0.2, dtype="boolean"),
            "policy_class": pick(["鼓励", "允许", "限制", "淘汰", None], [0.2, 0.6, 0.1, 0.02, 0.08]),
            "building_grade": pick(["A", "B", "C", "D", None], [0.5, 0.3, 0.08, 0.02, 0.1]),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4546)


def child(n: int) -> None:
    """Generate, then time run_analysis once; print one JSON line."""
    sys.path.insert(0, str(ROOT))
    from geo.analysis import run_analysis

    t0 = time.perf_counter()
    gdf = make_parcels(n)
    generated = time.perf_counter() - t0
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()
    result = run_analysis(
        gdf, as_of="2026-06-30", progress=lambda s, f: steps.append((s, time.perf_counter()))
    )
    seconds = time.perf_counter() - start
    # progress is reported as each step starts: a step lasts until the next report
    per_step = {"prepare": round(steps[0][1] - start, 3)} if steps else {}
    for (name, began), (_, ended) in itertools.pairwise(steps):
        per_step[name] = round(ended - began, 3)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "generate_seconds": generated,
                "steps_seconds": per_step,
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "idle": result.summary["idle"]["count"],
                "low_efficiency_true": result.summary["low_efficiency"]["true"]["count"],
                "data_issues": len(result.data_issues),
                "intensity_score": result.indicators["intensity_score"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "analyze.json")
    args = parser.parse_args()
    if args.child:
        child(args.parcels)
        return
    runs = []
    for i in range(args.repeats):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--parcels", str(args.parcels)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if proc.returncode != 0:
            sys.exit(f"child run {i + 1} failed:\n{proc.stderr}")
        run = json.loads(proc.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(
            f"run {i + 1}: run_analysis {run['seconds']:.2f} s, peak {run['maxrss_kb'] / 1024**2:.2f} GB "
            f"(generation {run['generate_seconds']:.1f} s, not timed)",
            flush=True,
        )
    children_peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    median = statistics.median(r["seconds"] for r in runs)
    peak_gb = max(r["maxrss_kb"] for r in runs) / 1024**2
    figures = {
        "benchmark": "run_analysis: idle + low-efficiency rules, 亩均 grading, zone indicators; no raster",
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_analyze.py "
        f"--parcels {args.parcels}",
        "parcels": args.parcels,
        "repeats": args.repeats,
        "median_seconds": round(median, 3),
        "seconds": [round(r["seconds"], 3) for r in runs],
        "peak_memory_gb": round(peak_gb, 3),
        "peak_memory_children_gb": round(children_peak_kb / 1024**2, 3),
        "note": "peak includes the synthetic layer (generated in the same process before timing)",
        "target_seconds": TARGET_SECONDS,
        "target_memory_gb": TARGET_GB,
        "meets_target": median < TARGET_SECONDS and peak_gb < TARGET_GB,
        "steps_seconds_last_run": runs[-1]["steps_seconds"],
        "results_last_run": {
            k: runs[-1][k] for k in ("idle", "low_efficiency_true", "data_issues", "intensity_score")
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"median {median:.2f} s over {args.repeats} runs on {args.parcels:,} parcels "
        f"(target < {TARGET_SECONDS:.0f} s); peak {peak_gb:.2f} GB (target < {TARGET_GB:.0f} GB) → {args.out}"
    )


if __name__ == "__main__":
    main()
