"""Run every benchmark of the repository one after another (what ``make bench`` does).

Each script writes its figures to ``bench/results/<name>.json`` and prints its medians and the
comparison measured in the same run. They run strictly in sequence under the shared lock
``/tmp/panhuo-bench.lock`` so that no two compete for the two cores.

    .venv/bin/python bench/run_all.py            # core benchmarks (ingest, analyze, zonal, optimizer, maps)
    .venv/bin/python bench/run_all.py --api      # and the service's load, fault and schemathesis runs
"""

from __future__ import annotations

import argparse
import fcntl
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORE = ("bench_ingest.py", "bench_analyze.py", "bench_zonal.py", "bench_optimizer.py", "bench_maps.py")
API = ("load_api.py", "fault_api.py", "drills_api.py", "schemathesis_api.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", action="store_true", help="also run the service benchmarks")
    parser.add_argument("--only", nargs="*", help="run only these scripts (file names)")
    args = parser.parse_args()
    scripts = list(args.only or (CORE + API if args.api else CORE))
    failed = []
    with open("/tmp/panhuo-bench.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for script in scripts:
            print(f"=== {script}", flush=True)
            started = time.perf_counter()
            code = subprocess.call([sys.executable, str(HERE / script)])
            print(f"=== {script}: exit {code} after {time.perf_counter() - started:.0f} s\n", flush=True)
            if code:
                failed.append(script)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
