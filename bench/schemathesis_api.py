"""Schemathesis over every operation of the service, authenticated (hardening B10).

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/schemathesis_api.py [--max-time 180]

A `panhuo serve` on 127.0.0.1 is seeded with the sample park, a scenario and finished plan and
analysis jobs, then ``schemathesis run`` (bench extra) generates positive and negative cases for
every operation in the OpenAPI document, with an admin token, and checks: no 5xx
(``not_a_server_error``), every response matches its documented schema, status code and content
type. The summary goes to bench/results/schemathesis_api.json (the full log beside it).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from api_common import ROOT, Server, make_token, sample_park, scenario_json, upload, wait_job, write_result

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-time", type=int, default=180)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="panhuo-st-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        data_dir.mkdir()
        token = make_token(data_dir, "bench-admin", "admin")
        server = Server(data_dir, env={"PANHUO_JOB_QUEUE": "64", "PANHUO_EXPENSIVE_PER_MINUTE": "100000"})
        server.start()
        try:
            h = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, timeout=120) as client:
                dataset = upload(client, token, sample_park(tmpdir / "sample"))
                body = scenario_json(ROOT / "data" / "scenarios" / "yulin_revitalise.yaml", dataset)
                sid = client.post("/scenarios", headers=h, json=body).json()["id"]
                plan = client.post(f"/scenarios/{sid}/runs", headers=h).json()["job_id"]
                analysis = client.post(
                    "/analyses",
                    headers=h,
                    json={"dataset_id": dataset, "layer": "parcels", "as_of": "2026-06-30"},
                ).json()["job_id"]
                wait_job(client, token, plan)
                wait_job(client, token, analysis)
            log = ROOT / "bench" / "results" / "schemathesis_api.log"
            t0 = time.perf_counter()
            command = [
                str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/openapi.json",
                "--header", f"Authorization: Bearer {token}", "--checks", CHECKS, "--phases", args.phases,
                "--max-time", str(args.max_time), "--workers", "1", "--request-timeout", "60",
                "--suppress-health-check", "all", "--no-color",
            ]  # fmt: skip
            done = subprocess.run(
                command, capture_output=True, text=True, cwd=tmpdir, timeout=args.max_time * 3 + 300
            )
            seconds = time.perf_counter() - t0
            output = done.stdout + done.stderr
            log.write_text(output.replace(token, "<token>"), encoding="utf-8")
            server_log = (data_dir / "server.log").read_text(encoding="utf-8", errors="replace")
        finally:
            server.stop()

    def count(pattern: str) -> int:
        found = re.search(pattern, output)
        return int(found.group(1)) if found else 0

    result = {
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/schemathesis_api.py",
        "checks": CHECKS.split(","),
        "phases": args.phases.split(","),
        "seconds": round(seconds, 1),
        "exit_code": done.returncode,
        "operations_line": next(
            (ln.strip() for ln in output.splitlines() if "operations" in ln.lower()), None
        ),
        "test_cases": count(r"(\d+) generated"),
        "failures": count(r"(\d+) (?:unique )?failures?"),
        "server_5xx_in_log": server_log.count('"status": 500'),
        "summary_tail": output.strip().splitlines()[-12:],
    }
    result["pass"] = done.returncode == 0 and result["server_5xx_in_log"] == 0
    out = write_result("schemathesis_api", result)
    print("\n".join(result["summary_tail"]))
    print(f"{'PASS' if result['pass'] else 'FAIL'} → {out}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
