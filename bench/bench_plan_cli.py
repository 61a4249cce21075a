"""Wall time of ``panhuo plan`` on a 100 demand × 20 candidate instance, start-up included.

The instance (seeded): 20 analysed candidate parcels (50 m squares on a 5 × 4 grid, 200 m apart,
all idle) and 100 demand points (weights 1..10) in the same 1 km square, EPSG:4546; scenario
``max_coverage``, one clinic type, ``count: 3``, radius 250 m, CBC. Each run is a fresh
``python -m panhuo plan SCENARIO --out DIR`` (what a user types), timed from outside; the
median of ``--repeats`` runs is reported beside the min and max, and the time the command itself
reports for building and solving, and the CPU time (user + system) of the command and its solver —
on a shared machine the CPU time is the steadier figure.

``--baseline DIR`` also times a checkout of an older commit (``git archive REV | tar -x -C DIR``)
on the same instance, its runs interleaved with the current tree's so both see the same load; the
JSON then holds both medians and the ratio.

``--profile`` runs one plan under pyinstrument in this process and writes its text report to
``bench/results/plan_cli_profile.txt`` (where the start-up goes).

Run under the shared lock::

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_plan_cli.py

Writes ``bench/results/plan_cli.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
X0, Y0 = 400_000.0, 2_500_000.0


def make_instance(folder: Path, seed: int = 7) -> Path:
    """Write ``park.gpkg`` (parcels, demand) and ``scenario.yaml``; return the scenario."""
    import geopandas as gpd
    import yaml
    from shapely.geometry import Point, box

    rng = np.random.default_rng(seed)
    cells = [(100 + 200 * c, 100 + 200 * r) for r in range(4) for c in range(5)]
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:02d}" for k in range(20)],
            "idle_status": ["idle"] * 20,
            "low_efficiency": [False] * 20,
            "area_m2": [2500.0] * 20,
            "tax_per_mu": [0.0] * 20,
            "idle_fee_wan": [0.0] * 20,
        },
        geometry=[box(X0 + x, Y0 + y, X0 + x + 50, Y0 + y + 50) for x, y in cells],
        crs="EPSG:4546",
    )
    xy = rng.uniform(0, 1000, size=(100, 2))
    demand = gpd.GeoDataFrame(
        {"weight": rng.integers(1, 11, size=100).astype(float)},
        geometry=[Point(X0 + x, Y0 + y) for x, y in xy],
        crs="EPSG:4546",
    )
    gpkg = folder / "park.gpkg"
    parcels.to_file(gpkg, layer="parcels")
    demand.to_file(gpkg, layer="demand")
    scenario = {
        "name": "bench 100x20",
        "parcels": {"path": "park.gpkg", "layer": "parcels"},
        "candidates": "all",
        "demand": {"path": "park.gpkg", "layer": "demand", "weight": "weight"},
        "facilities": [{"type": "clinic", "count": 3, "radius_m": 250}],
        "objective": "max_coverage",
        "solver": {"name": "cbc", "time_limit_s": 60},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    return path


def run_once(scenario: Path, out: Path, root: Path = ROOT) -> tuple[float, dict]:
    """One ``panhuo plan`` in a fresh interpreter (code of ``root``); wall seconds and the plan's timings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "panhuo", "plan", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,  # ``python -m`` puts the working directory first on sys.path
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"panhuo plan failed ({done.returncode}): {done.stderr[-2000:]}")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    plan["_cpu_seconds"] = cpu  # the command and its solver, user + system
    return wall, plan


def profile(scenario: Path, out: Path) -> Path:
    """Profile one in-process run (imports included) with pyinstrument; write the text report."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    from panhuo.cli import main

    with contextlib.suppress(SystemExit):  # typer exits at the end of a command
        main(["plan", str(scenario), "--out", str(out)])
    profiler.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "plan_cli_profile.txt"
    path.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return path


def main() -> None:
    """Build the instance, time the runs, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="a checkout of an older commit to time beside this one")
    parser.add_argument("--profile", action="store_true", help="one pyinstrument run instead of the timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="panhuo-bench-plan-") as tmp:
        folder = Path(tmp)
        scenario = make_instance(folder)
        if args.profile:
            print(f"profile → {profile(scenario, folder / 'out')}")
            return
        run_once(scenario, folder / "warm")  # the first run fills the OS page cache and __pycache__
        if args.baseline is not None:
            run_once(scenario, folder / "warm_base", args.baseline)
        walls, plans, base_walls, base_plans = [], [], [], []
        for k in range(args.repeats):
            wall, plan = run_once(scenario, folder / f"out{k}")
            walls.append(wall)
            plans.append(plan)
            if args.baseline is not None:
                wall, plan = run_once(scenario, folder / f"base{k}", args.baseline)
                base_walls.append(wall)
                base_plans.append(plan)
    result = _summary(args.repeats, walls, plans)
    if args.baseline is not None:
        result["baseline"] = _summary(args.repeats, base_walls, base_plans)
        result["baseline"]["root"] = str(args.baseline)
        result["speedup_wall_median"] = round(
            result["baseline"]["wall_seconds_median"] / result["wall_seconds_median"], 2
        )
        result["same_plan_as_baseline"] = all(
            _answer(a) == _answer(b) for a, b in zip(plans, base_plans, strict=True)
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "plan_cli.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


def _answer(plan: dict) -> dict:
    """What must not change between two trees: the keys of plan.json and the plan itself."""
    fixed = (
        "status",
        "objective",
        "mip_gap",
        "covered_demand",
        "coverage_ratio",
        "total_cost_wan",
        "selected",
    )
    return {"keys": sorted(plan), **{k: plan.get(k) for k in fixed}}


def _summary(repeats: int, walls: list[float], plans: list[dict]) -> dict:
    """Medians of the runs of one tree."""
    return {
        "case": "panhuo plan, 100 demand x 20 candidates, max_coverage p=3, CBC",
        "repeats": repeats,
        "wall_seconds_median": round(statistics.median(walls), 3),
        "wall_seconds_min": round(min(walls), 3),
        "wall_seconds_max": round(max(walls), 3),
        "cpu_seconds_median": round(statistics.median(p["_cpu_seconds"] for p in plans), 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "build_seconds_median": round(statistics.median(p["build_seconds"] for p in plans), 3),
        "solve_seconds_median": round(statistics.median(p["solve_seconds"] for p in plans), 3),
        "status": sorted({p["status"] for p in plans}),
        "objective": sorted({p["objective"] for p in plans}),
        "target_seconds": 2.0,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "note": "shared 2 cores"},
    }


if __name__ == "__main__":
    main()
