"""Load: 50 concurrent clients read results and maps for 60 s while two plan jobs run.

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/load_api.py [--clients 50] [--seconds 60]

A `panhuo serve` process on 127.0.0.1 (embedded SQLite store, two job workers) gets the sample
park (data/make_sample.py) and the sample scenario (data/scenarios/yulin_revitalise.yaml); one
plan and one analysis run first so there are results and maps to read. Then, for the measured
window, two plan jobs are kept running at all times (a new run is started whenever one ends) while
each client loops: pick one of GET /jobs/{id}/results, /jobs/{id}/map.html, /jobs/{id},
/datasets, /jobs/{id}/layers/plan?format=geojson; record the latency; wait 0.2–1.0 s (a person
clicking). The server's RSS is sampled every second.

Pass: p95 < 200 ms, no error answers, RSS flat (last 10 s within 15 % of the 10 s after warm-up).
Figures go to bench/results/load_api.json. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
import psutil
from api_common import ROOT, Server, make_token, sample_park, scenario_json, upload, wait_job, write_result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def reader(
    client: httpx.AsyncClient, token: str, targets: list[str], stop_at: float, out: list, errors: list
) -> None:
    rng = random.Random()
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < stop_at:
        path = rng.choice(targets)
        t0 = time.perf_counter()
        try:
            r = await client.get(path, headers=headers, timeout=30)
            await r.aread()
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                errors.append((path, r.status_code))
            out.append((path, ms))
        except httpx.HTTPError as error:
            errors.append((path, type(error).__name__))
        await asyncio.sleep(rng.uniform(0.2, 1.0))


def keep_two_plans_running(
    base: str, token: str, scenario_id: str, stop: threading.Event, started: list[str], running: list[int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        active: list[str] = []
        deadline = time.monotonic() + 3600
        while not stop.is_set() and time.monotonic() < deadline:
            active = [j for j in active if client.get(f"/jobs/{j}", headers=headers).json()["status"]
                      in ("accepted", "running")]  # fmt: skip
            while len(active) < 2:
                r = client.post(f"/scenarios/{scenario_id}/runs", headers=headers)
                if r.status_code != 202:
                    break
                active.append(r.json()["job_id"])
                started.append(active[-1])
            states = [client.get(f"/jobs/{j}", headers=headers).json()["status"] for j in active]
            running.append(sum(s == "running" for s in states))
            stop.wait(0.5)
        for j in active:
            client.delete(f"/jobs/{j}", headers=headers)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--name", default="load_api", help="results file name (bench/results/NAME.json)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="panhuo-load-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        data_dir.mkdir()
        token = make_token(data_dir, "bench-planner", "planner")
        server = Server(data_dir, env={"PANHUO_JOB_WORKERS": "2", "PANHUO_JOB_QUEUE": "8"})
        server.start()
        try:
            proc = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
            with httpx.Client(base_url=server.url, timeout=60) as client:
                h = {"Authorization": f"Bearer {token}"}
                t0 = time.perf_counter()
                dataset = upload(client, token, sample_park(tmpdir / "sample"))
                upload_s = time.perf_counter() - t0
                body = scenario_json(ROOT / "data" / "scenarios" / "yulin_revitalise.yaml", dataset)
                scenario_id = client.post("/scenarios", headers=h, json=body).json()["id"]
                t0 = time.perf_counter()
                first_plan = client.post(f"/scenarios/{scenario_id}/runs", headers=h).json()["job_id"]
                plan = wait_job(client, token, first_plan)
                plan_s = time.perf_counter() - t0
                analysis = client.post(
                    "/analyses",
                    headers=h,
                    json={"dataset_id": dataset, "as_of": "2026-06-30", "layer": "parcels"},
                )
                analysis_job = wait_job(client, token, analysis.json()["job_id"])
                if plan["status"] != "successful" or analysis_job["status"] != "successful":
                    raise SystemExit(f"setup jobs failed: {plan} {analysis_job}")
                aid, pid = analysis_job["id"], plan["id"]
                map_bytes = len(client.get(f"/jobs/{aid}/map.html", headers=h).content)

            targets = [
                f"/jobs/{aid}/results",
                f"/jobs/{pid}/results",
                f"/jobs/{aid}/map.html",
                f"/jobs/{pid}/map.html",
                f"/jobs/{pid}",
                "/datasets",
                f"/jobs/{pid}/layers/plan?format=geojson",
            ]
            stop = threading.Event()
            started: list[str] = []
            running: list[int] = []
            feeder = threading.Thread(
                target=keep_two_plans_running, args=(server.url, token, scenario_id, stop, started, running)
            )
            feeder.start()
            time.sleep(3)  # let both plan workers get going
            rss: list[tuple[float, int]] = []
            sampling = threading.Event()

            def sample() -> None:
                t_start = time.monotonic()
                while not sampling.is_set():
                    rss.append((time.monotonic() - t_start, proc.memory_info().rss))
                    sampling.wait(1.0)

            sampler = threading.Thread(target=sample)
            sampler.start()
            samples: list[tuple[str, float]] = []
            errors: list = []

            async def run_clients() -> None:
                limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
                async with httpx.AsyncClient(base_url=server.url, limits=limits) as client:
                    stop_at = time.monotonic() + args.seconds
                    await asyncio.gather(
                        *(
                            reader(client, token, targets, stop_at, samples, errors)
                            for _ in range(args.clients)
                        )
                    )

            asyncio.run(run_clients())
            sampling.set()
            sampler.join()
            stop.set()
            feeder.join(timeout=60)
        finally:
            server.stop()

    latencies = [ms for _, ms in samples]
    by_path: dict[str, list[float]] = {}
    for path, ms in samples:
        key = path.split("?")[0].replace(aid, "{analysis}").replace(pid, "{plan}")
        by_path.setdefault(key, []).append(ms)
    warm = [r for t, r in rss if 5 <= t < 15]
    last = [r for t, r in rss if t >= max(t for t, _ in rss) - 10]
    rss_growth = (
        (statistics.median(last) - statistics.median(warm)) / statistics.median(warm)
        if warm and last
        else None
    )
    result = {
        "machine": f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB",
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/load_api.py",
        "clients": args.clients,
        "seconds": args.seconds,
        "think_time_s": [0.2, 1.0],
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / args.seconds, 1),
        "errors": len(errors),
        "error_examples": errors[:5],
        "latency_ms": {
            "median": round(statistics.median(latencies), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(max(latencies), 1),
        },
        "p95_by_route_ms": {k: round(percentile(v, 0.95), 1) for k, v in sorted(by_path.items())},
        "map_html_bytes": map_bytes,
        "plan_runs_started_during_window": len(started),
        "plan_jobs_running_median": statistics.median(running) if running else 0,
        "server_rss_mb": {
            "first": round(rss[0][1] / 2**20, 1),
            "warm_median": round(statistics.median(warm) / 2**20, 1) if warm else None,
            "last10s_median": round(statistics.median(last) / 2**20, 1) if last else None,
            "max": round(max(r for _, r in rss) / 2**20, 1),
            "growth_after_warmup": round(rss_growth, 3) if rss_growth is not None else None,
        },
        "rss_series_mb_every_10s": [round(r / 2**20, 1) for t, r in rss if int(t) % 10 == 0],
        "setup": {"upload_s": round(upload_s, 2), "first_plan_s": round(plan_s, 2)},
    }
    result["pass"] = bool(
        result["latency_ms"]["p95"] < 200 and not errors and rss_growth is not None and abs(rss_growth) < 0.15
    )
    out = write_result(args.name, result)
    print(
        f"{len(latencies)} requests from {args.clients} clients in {args.seconds:g} s with "
        f"{result['plan_jobs_running_median']} plan jobs running (median): median "
        f"{result['latency_ms']['median']} ms, p95 {result['latency_ms']['p95']} ms, errors {len(errors)}, "
        f"RSS {result['server_rss_mb']['warm_median']} → {result['server_rss_mb']['last10s_median']} MB "
        f"({'PASS' if result['pass'] else 'FAIL'}) → {out}"
    )
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
