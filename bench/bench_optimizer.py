"""Benchmark panhuo's location models against spopt on the same seeded instances, same solver.

Instances (uniform in a 10 km square, integer weights 1..10, one seed each):

* ``mclp``        10 000 demand × 1 000 candidates, p = 30, radius 800 m
* ``pmedian``      1 000 demand ×   200 candidates, p = 10
* ``pmedian_big``  2 000 demand ×   300 candidates, p = 15 (panhuo: the proven gap in 120 s;
                   spopt: run with a timeout)

panhuo runs ``--repeats`` times (median reported); spopt once per case (its runs take minutes),
each in a child process group that is killed at ``--spopt-timeout`` seconds. Both use CBC
(PuLP's bundled binary, one thread). spopt's build time includes the dense distance matrix it
needs (``scipy.spatial.distance.cdist``), reported separately as ``matrix_seconds``.

Run under the shared lock:  ``flock /tmp/panhuo-bench.lock .venv/bin/python bench/bench_optimizer.py``
Writes ``bench/results/optimizer.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {
    "mclp": {"n": 10_000, "m": 1_000, "p": 30, "radius": 800.0, "seed": 42, "model": "mclp"},
    "pmedian": {"n": 1_000, "m": 200, "p": 10, "radius": None, "seed": 42, "model": "pmedian"},
    "pmedian_big": {"n": 2_000, "m": 300, "p": 15, "radius": None, "seed": 42, "model": "pmedian"},
}


def instance(case: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(case["seed"])
    demand = rng.uniform(0, 10_000, (case["n"], 2))
    sites = rng.uniform(0, 10_000, (case["m"], 2))
    weight = rng.integers(1, 11, case["n"]).astype(float)
    return demand, sites, weight


def run_panhuo(case: dict, time_limit: float, solver: str = "cbc") -> dict:
    from optimizer.models import FacilitySpec, MaxCoverage, PMedian
    from optimizer.solvers import SolverOptions

    demand, sites, weight = instance(case)
    t0 = time.perf_counter()
    if case["model"] == "mclp":
        model = MaxCoverage.from_arrays(
            demand, sites, [FacilitySpec("f", radius_m=case["radius"], count=case["p"])], demand_weight=weight
        )
    else:
        model = PMedian.from_arrays(demand, sites, [FacilitySpec("f", count=case["p"])], demand_weight=weight)
    res = model.solve(SolverOptions(name=solver, time_limit_s=time_limit))
    total = time.perf_counter() - t0
    return {
        "status": res.status,
        "objective": res.objective,
        "mip_gap": res.run.mip_gap,
        "bound": res.run.bound,
        "build_seconds": res.run.build_seconds,
        "solve_seconds": res.run.solve_seconds,
        "total_seconds": total,
        "solver_version": res.run.solver_version,
        "notes": res.notes,
    }


def spopt_worker(case_name: str, out: str, solve_limit: float) -> None:
    """Run spopt on one case (in a child process) and write its figures to ``out``."""
    import warnings

    warnings.simplefilter("ignore")
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP, PMedian

    case = CASES[case_name]
    demand, sites, weight = instance(case)
    answer: dict = {"status": "building"}

    def dump() -> None:
        Path(out).write_text(json.dumps(answer))

    t0 = time.perf_counter()
    cost = cdist(demand, sites)
    answer["matrix_seconds"] = time.perf_counter() - t0
    dump()
    if case["model"] == "mclp":
        model = MCLP.from_cost_matrix(cost, weight, service_radius=case["radius"], p_facilities=case["p"])
    else:
        model = PMedian.from_cost_matrix(cost, weight, p_facilities=case["p"])
    answer["build_seconds"] = time.perf_counter() - t0
    answer["status"] = "solving"
    dump()
    t1 = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=solve_limit, threads=1))
    answer["solve_seconds"] = time.perf_counter() - t1
    answer["total_seconds"] = time.perf_counter() - t0
    answer["pulp_status"] = pulp.LpStatus[model.problem.status]
    answer["sol_status"] = int(model.problem.sol_status)
    answer["objective"] = float(pulp.value(model.problem.objective))
    answer["status"] = "done"
    answer["spopt_version"] = __import__("spopt").__version__
    dump()


def run_spopt(case_name: str, timeout: float, solve_limit: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="panhuo-bench-") as tmp:
        out = Path(tmp) / "spopt.json"
        args = [sys.executable, __file__, "--spopt-worker", case_name, "--worker-out", str(out)]
        args += ["--spopt-solve-limit", str(solve_limit)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            timed_out, err = True, b""
        answer = json.loads(out.read_text()) if out.exists() else {"status": "not started"}
        answer["wall_seconds"] = time.perf_counter() - t0
        if timed_out:
            answer["timed_out_after_seconds"] = timeout
            answer["status"] = f"timeout during {answer.get('status')}"
        elif proc.returncode != 0:
            answer["status"] = "error"
            answer["error"] = err.decode(errors="replace")[-500:]
        return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--spopt-timeout", type=float, default=900.0)
    parser.add_argument("--spopt-timeout-big", type=float, default=300.0)
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--highs", action="store_true", help="also run panhuo with HiGHS (once per case)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "optimizer.json"))
    parser.add_argument(
        "--merge", action="store_true", help="add the new figures to the cases already in --out"
    )
    parser.add_argument("--spopt-worker")
    parser.add_argument("--worker-out")
    parser.add_argument("--spopt-solve-limit", type=float, default=600.0)
    args = parser.parse_args()
    if args.spopt_worker:
        spopt_worker(args.spopt_worker, args.worker_out, args.spopt_solve_limit)
        return

    import pulp

    results: dict = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_at_start": os.getloadavg(),
        },
        "versions": {"pulp": pulp.__version__},
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "cases": {},
    }
    try:
        import spopt

        results["versions"]["spopt"] = spopt.__version__
    except ImportError:
        pass
    old_results = None
    if args.merge and Path(args.out).exists():
        old_results = json.loads(Path(args.out).read_text())
        results["cases"] = dict(old_results.get("cases", {}))
        results["merged_runs"] = [
            *old_results.get("merged_runs", []),
            {"command": results["command"], "loadavg_at_start": results["machine"]["loadavg_at_start"]},
        ]
        results["machine"] = old_results.get("machine", results["machine"])
    for name in args.cases:
        case = CASES[name]
        big = name == "pmedian_big"
        limit = 120.0 if big else 600.0
        repeats = 1 if big else args.repeats
        runs = []
        for r in range(repeats):
            runs.append(run_panhuo(case, limit))
            print(f"{name} panhuo run {r + 1}: {json.dumps(runs[-1], ensure_ascii=False)}", flush=True)
        entry: dict = {"instance": case, "panhuo_cbc_runs": runs}
        entry["panhuo_cbc_median_total_seconds"] = statistics.median(x["total_seconds"] for x in runs)
        entry["panhuo_cbc_median_build_seconds"] = statistics.median(x["build_seconds"] for x in runs)
        entry["panhuo_cbc_median_solve_seconds"] = statistics.median(x["solve_seconds"] for x in runs)
        if args.highs:
            entry["panhuo_highs_run"] = run_panhuo(case, limit, "highs")
            print(
                f"{name} panhuo highs: {json.dumps(entry['panhuo_highs_run'], ensure_ascii=False)}",
                flush=True,
            )
        if not args.no_spopt:
            timeout = args.spopt_timeout_big if big else args.spopt_timeout
            sp = run_spopt(name, timeout, solve_limit=600.0)
            entry["spopt_cbc_single_run"] = sp
            print(f"{name} spopt: {json.dumps(sp)}", flush=True)
            if sp.get("status") == "done":
                entry["speedup_total"] = sp["total_seconds"] / entry["panhuo_cbc_median_total_seconds"]
                ours = runs[0]["objective"]
                entry["same_objective"] = bool(
                    ours is not None and abs(sp["objective"] - ours) <= 1e-6 * max(1.0, abs(ours))
                )
        if old_results is not None and args.no_spopt:
            # keep the earlier panhuo CBC and spopt figures; add only the HiGHS ones measured now
            old = old_results.get("cases", {}).get(name, {})
            entry = {**old, **{k: v for k, v in entry.items() if "highs" in k}}
        results["cases"][name] = entry
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(
        json.dumps(
            {k: {kk: v for kk, v in e.items() if "runs" not in kk} for k, e in results["cases"].items()},
            indent=1,
            ensure_ascii=False,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
