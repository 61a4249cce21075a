"""Faults: `kill -9` of the server during scenario saves and during a plan job (hardening D1, C5).

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/fault_api.py [--rounds 5]

Scenario saves: a client saves and edits scenarios as fast as the server answers; after a random
0.3–1.5 s the server gets SIGKILL. Then, on the files as the dead server left them:
``PRAGMA integrity_check`` must say ``ok``; every scenario must have all its versions
1..latest_version with a complete body, no version may be orphaned, and every save the client saw
acknowledged (201) must be there. The server is restarted on the same data directory for the next
round.

Plan job: a plan run of the sample scenario is started; once it is ``running`` (and, when
possible, once its CBC is running) the server gets SIGKILL. The worker's watchdog must take its
process group and the solver's down within a few seconds (no orphan ``cbc``); after restart the
job must read ``failed`` with ``error_code = interrupted`` and the database must pass its
integrity check, and the job's ``tmp`` folder (the solver's model file) must be gone (C5).
Figures go to bench/results/fault_api.json. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from api_common import ROOT, Server, make_token, sample_park, scenario_json, upload, write_result


def _proc_tree(root: int) -> dict[int, str]:
    """Pid → command line of ``root``'s descendants (from /proc)."""
    from api.worker import descendant_groups

    groups = descendant_groups(root) | {root}
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pgrp = int(stat[stat.rfind(")") + 2 :].split()[2])
            if pgrp in groups:
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
        except (OSError, ValueError):
            continue
    return out


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
            if state != "Z":
                alive.append(pid)
        except OSError:
            pass
    return alive


def check_db(db: Path) -> dict[str, Any]:
    """Integrity and wholeness of every scenario, read straight from the file."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        scenarios = con.execute("SELECT id, latest_version FROM scenarios").fetchall()
        versions: dict[str, list[int]] = {}
        bodies_ok = True
        for sid, version, body in con.execute("SELECT scenario_id, version, body FROM scenario_versions"):
            versions.setdefault(sid, []).append(version)
            try:
                bodies_ok &= "name" in json.loads(body)
            except ValueError:
                bodies_ok = False
        whole = all(sorted(versions.get(sid, [])) == list(range(1, latest + 1)) for sid, latest in scenarios)
        orphans = set(versions) - {sid for sid, _ in scenarios}
        return {
            "integrity": integrity,
            "scenarios": len(scenarios),
            "versions": sum(len(v) for v in versions.values()),
            "whole": whole and bodies_ok,
            "orphan_versions": len(orphans),
            "by_id": {sid: latest for sid, latest in scenarios},
        }
    finally:
        con.close()


def save_round(server: Server, token: str, body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    acknowledged: dict[str, int] = {}
    stop = threading.Event()
    attempts = [0]

    def hammer() -> None:
        h = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for i in range(100_000):
                if stop.is_set():
                    return
                attempts[0] += 1
                try:
                    if acknowledged and i % 3 == 2:
                        sid = rng.choice(list(acknowledged))
                        r = client.put(f"/scenarios/{sid}", headers=h, json={**body, "name": f"edit {i}"})
                    else:
                        r = client.post("/scenarios", headers=h, json={**body, "name": f"save {i}"})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    acknowledged[r.json()["id"]] = max(
                        acknowledged.get(r.json()["id"], 0), r.json()["version"]
                    )

    thread = threading.Thread(target=hammer)
    thread.start()
    delay = rng.uniform(0.3, 1.5)
    time.sleep(delay)
    server.kill9()
    stop.set()
    thread.join(timeout=30)
    state = check_db(server.data_dir / "panhuo.db")
    missing = [sid for sid, v in acknowledged.items() if state["by_id"].get(sid, 0) < v]
    return {
        "kill_after_s": round(delay, 2),
        "requests": attempts[0],
        "acknowledged_scenarios": len(acknowledged),
        "integrity_ok": state["integrity"] == [("ok",)],
        "all_whole": state["whole"],
        "orphan_versions": state["orphan_versions"],
        "acknowledged_missing": len(missing),
        "scenarios_in_db": state["scenarios"],
        "versions_in_db": state["versions"],
    }


def job_round(server: Server, token: str, scenario_id: str) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        job_id = client.post(f"/scenarios/{scenario_id}/runs", headers=h).json()["job_id"]
        deadline = time.monotonic() + 60
        tree: dict[int, str] = {}
        worker_pid = None
        saw_cbc = False
        while time.monotonic() < deadline:
            job = client.get(f"/jobs/{job_id}", headers=h).json()
            if job["status"] != "accepted":
                break
            time.sleep(0.05)
        assert job["status"] == "running", job
        con = sqlite3.connect(f"file:{server.data_dir / 'panhuo.db'}?mode=ro", uri=True)
        worker_pid = con.execute("SELECT pid FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        con.close()
        # wait (bounded) for the solver to start, so the kill lands mid-solve when it can
        solve_deadline = time.monotonic() + 20
        while time.monotonic() < solve_deadline:
            tree = _proc_tree(worker_pid)
            saw_cbc = any("cbc" in cmd for cmd in tree.values())
            if saw_cbc or not _alive([worker_pid]):
                break
            time.sleep(0.02)
        tree = _proc_tree(worker_pid) or tree
    tmp_dir = server.data_dir / "jobs" / job_id / "tmp"
    tmp_before = sum(f.stat().st_size for f in tmp_dir.rglob("*") if f.is_file()) if tmp_dir.exists() else 0
    t_kill = time.monotonic()
    server.kill9()
    pids = list(tree)
    gone_after = None
    while time.monotonic() - t_kill < 15:
        if not _alive(pids):
            gone_after = round(time.monotonic() - t_kill, 2)
            break
        time.sleep(0.1)
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        job = client.get(f"/jobs/{job_id}", headers=h).json()
    state = check_db(server.data_dir / "panhuo.db")
    return {
        "killed_mid_solve": saw_cbc,
        "worker_tree": sorted(set(tree.values())),
        "tree_gone_after_s": gone_after,
        "orphans_left": len(_alive(pids)),
        "job_status_after_restart": job["status"],
        "job_error_code": job["error_code"],
        "integrity_ok": state["integrity"] == [("ok",)],
        "tmp_bytes_at_kill": tmp_before,
        "tmp_left_after_restart": tmp_dir.exists(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261126)
    with tempfile.TemporaryDirectory(prefix="panhuo-fault-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        data_dir.mkdir()
        token = make_token(data_dir, "bench-planner", "planner")
        server = Server(data_dir)
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                dataset = upload(client, token, sample_park(tmpdir / "sample"))
                body = scenario_json(ROOT / "data" / "scenarios" / "yulin_revitalise.yaml", dataset)
                plan_scenario = client.post(
                    "/scenarios", headers={"Authorization": f"Bearer {token}"}, json=body
                ).json()["id"]
            saves = []
            for _ in range(args.rounds):
                saves.append(save_round(server, token, body, rng))
                server.start()
            jobs = [job_round(server, token, plan_scenario) for _ in range(max(1, args.rounds // 2))]
        finally:
            server.stop()
    result = {
        "command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/fault_api.py",
        "scenario_save_rounds": saves,
        "job_rounds": jobs,
    }
    result["pass"] = all(
        r["integrity_ok"] and r["all_whole"] and not r["orphan_versions"] and not r["acknowledged_missing"]
        for r in saves
    ) and all(
        r["integrity_ok"] and r["orphans_left"] == 0 and r["job_status_after_restart"] == "failed"
        and r["job_error_code"] == "interrupted" and not r["tmp_left_after_restart"]
        for r in jobs
    )  # fmt: skip
    out = write_result("fault_api", result)
    for r in saves:
        print(
            f"save round: kill after {r['kill_after_s']} s, {r['acknowledged_scenarios']} acknowledged, "
            f"integrity {'ok' if r['integrity_ok'] else 'BAD'}, whole {r['all_whole']}, "
            f"missing {r['acknowledged_missing']}, orphans {r['orphan_versions']}"
        )
    for r in jobs:
        print(
            f"job round: mid-solve {r['killed_mid_solve']}, tree gone after {r['tree_gone_after_s']} s, "
            f"orphans {r['orphans_left']}, job {r['job_status_after_restart']}/{r['job_error_code']}, "
            f"tmp {r['tmp_bytes_at_kill']} B at the kill, left after restart: {r['tmp_left_after_restart']}, "
            f"integrity {'ok' if r['integrity_ok'] else 'BAD'}"
        )
    print(f"{'PASS' if result['pass'] else 'FAIL'} → {out}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
