"""Size and load-time budget of the analysis map: 50 000 parcels under 15 MB, ready in Chromium within 5 s.

Builds a synthetic park of N parcels (8-vertex lots of ~0.6–1.4 ha, jittered, in EPSG:4546 around Yulin)
with every contract §3 column, renders the analysis map online and offline, and loads the offline page in
Debian's headless Chromium with the network cut. Reported per size (medians of --repeat runs):

* build_s — ``analysis_map`` + ``render_html`` (Python side);
* size_mb — the offline HTML file;
* ready_ms — the page's own ``performance.now()`` when the last map script finished (all layers built,
  legends and controls on the map): the "interactive" signal;
* chromium_s — wall time of the whole headless run (process start-up and DOM dump included), and the same
  for a 12-parcel page measured in the same run, so start-up can be subtracted.

Run: ``flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_maps.py [--sizes 12 50000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from maps.web import analysis_map, render_html, write_atomic

# the Chromium driver is a test helper (tests/chromium.py); run as `python bench/bench_maps.py`, the
# project root is not on sys.path by itself
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.chromium import load_page  # noqa: E402

STATUSES = np.array(
    ["not_idle"] * 14
    + ["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled", "not_applicable", "unknown"]
)
REASONS = np.array(
    [
        "",
        "",
        "",
        "",
        "far_below_min",
        "coef_below_min;invest_below_min",
        "tax_below_avg_share",
        "dangerous_building",
    ]
)


def synthetic_park(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    cx = 412_617.9 + (i % side) * 110.0
    cy = 2_503_812.7 + (i // side) * 110.0
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    radius = rng.uniform(38, 52, (n, 8))
    xs = cx[:, None] + radius * np.cos(angles)
    ys = cy[:, None] + radius * np.sin(angles)
    rings = np.stack([xs, ys], axis=-1)
    geoms = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
    area = shapely.area(geoms)
    status = STATUSES[rng.integers(0, len(STATUSES), n)]
    reasons = REASONS[rng.integers(0, len(REASONS), n)]
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"YL-{k:05d}" for k in i],
            "enterprise": [f"玉林市示例制造有限公司{k % 997}" for k in i],
            "area_m2": area,
            "area_mu": area * 3 / 2000,
            "far": rng.uniform(0.2, 2.5, n),
            "building_coef": rng.uniform(0.1, 0.7, n),
            "tax_per_mu": rng.uniform(0, 40, n),
            "idle_status": status,
            "idle_basis": np.where(
                np.char.startswith(status.astype(str), "idle"),
                "《闲置土地处置办法》第二条：超过约定动工日期满一年未动工",
                "",
            ),
            "idle_fee_wan": np.where(status == "idle", rng.uniform(50, 400, n), 0.0),
            "low_efficiency": reasons != "",
            "low_eff_reasons": reasons,
            "mujun_class": np.array(["A", "B", "C", "D"], dtype=object)[rng.integers(0, 4, n)],
        },
        geometry=geoms,
        crs=4546,
    )


def measure(n: int, repeat: int, workdir: Path) -> dict[str, float | int]:
    parcels = synthetic_park(n)
    builds, loads, readies, sizes, online_sizes = [], [], [], [], []
    paths = None
    for _ in range(repeat):
        start = time.perf_counter()
        m = analysis_map(parcels, {"zone_type": "industry_led", "overall_far": 1.1})
        html = render_html(m, offline=True)
        builds.append(time.perf_counter() - start)
        online_sizes.append(len(render_html(m).encode("utf-8")) / 1e6)
        out = write_atomic(workdir / f"map_{n}.html", html.encode("utf-8"))
        sizes.append(out.stat().st_size / 1e6)
        page = load_page(out, virtual_time_ms=None, timeout=300)
        if page.ready_ms is None:
            raise RuntimeError(f"{n} parcels: the page never signalled ready")
        loads.append(page.seconds)
        readies.append(page.ready_ms)
        paths = page.paths
    return {
        "parcels": n,
        "build_s": statistics.median(builds),
        "size_mb": statistics.median(sizes),
        "online_size_mb": statistics.median(online_sizes),
        "chromium_s": statistics.median(loads),
        "ready_ms": statistics.median(readies),
        "paths_drawn": int(paths or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 1000, 10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "bench_maps.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="panhuo-bench-maps-") as tmp:
        for n in args.sizes:
            row = measure(n, args.repeat, Path(tmp))
            rows.append(row)
            print(
                f"{n:>6} parcels: build {row['build_s']:.2f} s, offline {row['size_mb']:.1f} MB "
                f"(online {row['online_size_mb']:.1f} MB), ready {row['ready_ms']:.0f} ms in page, "
                f"chromium run {row['chromium_s']:.2f} s, {row['paths_drawn']} paths",
                flush=True,
            )
    base = rows[0]["chromium_s"] if rows and rows[0]["parcels"] <= 100 else None
    budget = next((r for r in rows if r["parcels"] == 50_000), None)
    verdict = None
    if budget:
        verdict = {
            "size_mb": budget["size_mb"],
            "size_ok": budget["size_mb"] < 15.0,
            "ready_s": budget["ready_ms"] / 1000,
            "ready_ok": budget["ready_ms"] / 1000 < 5.0,
            "chromium_minus_startup_s": (budget["chromium_s"] - base) if base is not None else None,
        }
        print(f"budget (50 000 parcels): {json.dumps(verdict, ensure_ascii=False)}")
    result = {
        "benchmark": "bench_maps",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "repeat": args.repeat,
        "rows": rows,
        "budget_50k": verdict,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
