"""Run the whole panhuo job on the bundled sample park (what ``make demo`` does).

Each step is the ``panhuo`` command a user would type, run as a subprocess so the demo exercises
exactly the installed command line: inspect the awkward Shapefile, analyse the park, plan its
revitalisation, compare two scenarios, draw the web maps and write the 一事一议 briefing of the
idle parcels. It stops at the first step that fails and prints where every result is.

Usage::

    python data/run_demo.py --sample data/sample --out out/demo
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"


def _panhuo(*args: str | Path, log: Path | None = None) -> None:
    """Run one ``panhuo`` command; echo it, keep its output in ``log`` and stop the demo on failure."""
    command = [sys.executable, "-m", "panhuo", *map(str, args)]
    print("$ panhuo " + " ".join(map(str, args)), flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    if log is not None:
        log.write_text(output, encoding="utf-8")
    print("\n".join("  " + line for line in output.rstrip().splitlines()[-25:]), flush=True)
    if done.returncode != 0:
        sys.exit(f"demo stopped: `panhuo {args[0]}` failed with exit status {done.returncode}")
    print(f"  ({time.perf_counter() - started:.1f} s)\n", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the demo steps into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=HERE / "sample", help="the built sample park")
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="where the results go")
    args = parser.parse_args(argv)
    sample: Path = args.sample
    out: Path = args.out
    meta = json.loads((sample / "sample_meta.json").read_text(encoding="utf-8"))
    as_of = meta["as_of"]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    _panhuo("inspect", sample / "awkward" / "yulin_slice.shp", log=out / "inspect_awkward.txt")
    _panhuo(
        "analyze",
        sample / "yulin_park.gpkg",
        "--layer",
        "parcels",
        "--as-of",
        as_of,
        # a Yulin park: the provisional Guangxi preset (national criteria, labelled local values)
        "--rules",
        "guangxi-provisional",
        "--raster",
        f"ndvi={sample / 'ndvi.tif'}",
        "--raster",
        f"builtup={sample / 'builtup.tif'}",
        "--out",
        out / "analysis",
        "--no-progress",
    )
    _panhuo("map", out / "analysis", "--out", out / "analysis" / "map.html", "--offline")
    _panhuo(
        "brief",
        "--analysis",
        out / "analysis",
        "--out",
        out / "briefing.pdf",
        "--group",
        "idle",
        "--png",
        "--date",
        as_of,
        "--title",
        "玉林高新区闲置土地处置 一事一议简报",
    )
    scenario_a = SCENARIOS / "yulin_revitalise.yaml"
    scenario_b = SCENARIOS / "yulin_revitalise_lean.yaml"
    _panhuo("plan", scenario_a, "--out", out / "plan")
    _panhuo("compare", scenario_a, scenario_b, "--out", out / "compare")

    print("panhuo demo results:")
    missing = []
    for label, path in [
        ("awkward Shapefile ingest report", out / "inspect_awkward.txt"),
        ("analysed parcels (GeoPackage)", out / "analysis" / "parcels.gpkg"),
        ("analysed parcels (CSV for Excel)", out / "analysis" / "parcels.csv"),
        ("analysis report (Excel)", out / "analysis" / "report.xlsx"),
        ("zone indicators", out / "analysis" / "indicators.json"),
        ("analysis web map (offline)", out / "analysis" / "map.html"),
        ("一事一议 briefing of the idle parcels", out / "briefing.pdf"),
        ("revitalisation plan", out / "plan" / "plan.json"),
        ("plan layers", out / "plan" / "plan.gpkg"),
        ("plan web map", out / "plan" / "map.html"),
        ("scenario comparison", out / "compare" / "compare.csv"),
        ("comparison map", out / "compare" / "map.html"),
    ]:
        if not path.exists():
            missing.append(path)
        print(f"  {'ok ' if path.exists() else 'MISSING'} {label:40s} {path}")
    if missing:
        sys.exit(f"demo incomplete: {len(missing)} result(s) missing")


if __name__ == "__main__":
    main()
