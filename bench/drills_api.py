"""Storage drills of the service: backup/restore during writes (D6), disk full (D3), PostgreSQL restart (D7).

    flock /tmp/panhuo-bench.lock .venv/bin/python bench/drills_api.py [--only backup disk_full pg_restart]

**backup** — a `panhuo serve` on SQLite holds the sample park and 200 scenarios; a client keeps
editing scenarios as fast as the server answers while `panhuo backup` runs three times. Each backup
is restored with `panhuo restore` into a new directory (timed): `PRAGMA integrity_check` = ok, every
scenario has all its versions 1..latest, none orphaned, and a server started on the restored
directory serves a scenario and the dataset. This is the timed restore drill of docs/service.md.

**disk_full** — the data directory lives on a 48 MiB tmpfs (`mount -t tmpfs`; needs root). After a
first save the disk is filled to the last byte; scenario save, edit, token creation, job submission
and upload must each answer 507 ``disk_full`` with nothing stored; `integrity_check` stays ok; once
the filler is deleted the same server (no restart) saves, uploads and runs a plan.

**pg_restart** — a throwaway PostgreSQL (Debian's initdb/pg_ctl, loopback, temporary directory)
backs a `panhuo serve`; a client edits one scenario in a loop, each edit with its own
``Idempotency-Key`` and repeated with the same key until acknowledged, while the PostgreSQL server is
restarted (`pg_ctl restart -m fast`) three times. Versions stored must equal edits acknowledged
(no duplicate, none lost). Figures go to bench/results/drills_api.json.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx
from api_common import (
    PY,
    ROOT,
    Server,
    free_port,
    make_token,
    sample_park,
    scenario_json,
    upload,
    write_result,
)
from fault_api import check_db

SCENARIO_YAML = ROOT / "data" / "scenarios" / "yulin_revitalise.yaml"


def _panhuo(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [PY, "-m", "panhuo", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return done, round(time.monotonic() - started, 2)


# ------------------------------------------------------------------------------- backup
def drill_backup(tmp: Path) -> dict[str, Any]:
    data = tmp / "data"
    data.mkdir()
    token = make_token(data, "bench-planner", "planner")
    h = {"Authorization": f"Bearer {token}"}
    server = Server(data)
    server.start()
    rounds = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            dataset = upload(client, token, sample_park(tmp / "sample"))
            body = scenario_json(SCENARIO_YAML, dataset)
            ids = [
                client.post("/scenarios", headers=h, json=body | {"name": f"方案{i}"}).json()["id"]
                for i in range(200)
            ]
        stop = threading.Event()
        acked = [0]

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as c:
                i = 0
                while not stop.is_set():
                    if c.put(f"/scenarios/{ids[i % len(ids)]}", headers=h, json=body).status_code == 201:
                        acked[0] += 1
                    i += 1

        for k in range(3):
            writer = threading.Thread(target=hammer)
            before = acked[0]
            writer.start()
            time.sleep(0.5)
            done, seconds = _panhuo("backup", str(tmp / f"b{k}.tar"), "--data-dir", str(data))
            stop.set()
            writer.join()
            stop.clear()
            if done.returncode != 0:
                raise RuntimeError(done.stderr)
            target = tmp / f"restored{k}"
            restored, restore_s = _panhuo("restore", str(tmp / f"b{k}.tar"), "--data-dir", str(target))
            if restored.returncode != 0:
                raise RuntimeError(restored.stderr)
            state = check_db(target / "panhuo.db")
            rounds.append(
                {
                    "backup_s": seconds,
                    "backup_mib": round((tmp / f"b{k}.tar").stat().st_size / 2**20, 1),
                    "edits_acknowledged_during": acked[0] - before,
                    "restore_s": restore_s,
                    "integrity_ok": state["integrity"] == [("ok",)],
                    "whole": state["whole"],
                    "orphan_versions": state["orphan_versions"],
                    "scenarios": state["scenarios"],
                    "versions": state["versions"],
                    "cli": done.stdout.strip(),
                }
            )
    finally:
        server.stop()
    # a server on the last restored directory serves what was backed up
    check = Server(tmp / "restored2")
    check.start()
    try:
        with httpx.Client(base_url=check.url, timeout=60) as client:
            served = client.get(f"/scenarios/{ids[0]}", headers=h).status_code == 200
            fetched = client.get(f"/datasets/{dataset}/data?format=gpkg", headers=h).status_code == 200
    finally:
        check.stop()
    ok = (
        served
        and fetched
        and all(r["integrity_ok"] and r["whole"] and not r["orphan_versions"] for r in rounds)
    )
    return {"rounds": rounds, "restored_server_serves": served and fetched, "pass": ok}


# ---------------------------------------------------------------------------- disk full
def _fill(disk: Path) -> Path:
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * size
            while True:
                try:
                    if os.write(fd, block) < size:
                        break
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def drill_disk_full(tmp: Path) -> dict[str, Any]:
    disk = tmp / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        raise RuntimeError(f"disk-full drill needs root to mount a tmpfs: {mounted.stderr.strip()}")
    server = None
    try:
        data = disk / "data"
        data.mkdir()
        admin = make_token(data, "bench-admin", "admin")
        token = make_token(data, "bench-planner", "planner")
        h, ha = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {admin}"}
        server = Server(data)
        server.start()
        park = sample_park(tmp / "sample")
        with httpx.Client(base_url=server.url, timeout=120) as client:
            dataset = upload(client, token, park)
            body = scenario_json(SCENARIO_YAML, dataset, time_limit_s=30)
            sid = client.post("/scenarios", headers=h, json=body).json()["id"]

            def attempts() -> dict[str, Any]:
                out: dict[str, Any] = {}
                for name, call in (
                    ("scenario_save", lambda: client.post("/scenarios", headers=h, json=body)),
                    ("scenario_edit", lambda: client.put(f"/scenarios/{sid}", headers=h, json=body)),
                    (
                        "token_create",
                        lambda: client.post("/tokens", headers=ha, json={"name": "n", "role": "viewer"}),
                    ),
                    ("job_submit", lambda: client.post(f"/scenarios/{sid}/runs", headers=h)),
                    (
                        "upload",
                        lambda: client.post(
                            "/datasets", headers=h, files={"file": (park.name, park.read_bytes())}
                        ),
                    ),
                ):
                    started = time.monotonic()
                    answer = call()
                    code = answer.json().get("error", {}).get("code") if answer.status_code >= 400 else None
                    out[name] = {
                        "status": answer.status_code,
                        "code": code,
                        "ms": round((time.monotonic() - started) * 1000),
                    }
                    if name == "job_submit" and answer.status_code == 202:
                        out[name]["job"] = answer.json()["job_id"]
                return out

            filler = _fill(disk)
            full = attempts()
            datasets_dirs = len(list((data / "datasets").iterdir()))
            state_full = check_db(data / "panhuo.db")
            filler.unlink()
            freed = attempts()
            job = freed["job_submit"].get("job")
            job_status = None
            if job:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    job_status = client.get(f"/jobs/{job}", headers=h).json()["status"]
                    if job_status in ("successful", "failed", "dismissed"):
                        break
                    time.sleep(0.5)
        state_after = check_db(data / "panhuo.db")
    finally:
        if server is not None:
            server.stop()
        if subprocess.run(["umount", str(disk)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    ok = (
        all(v["status"] == 507 and v["code"] == "disk_full" for v in full.values())
        and all(v["status"] in (201, 202) for v in freed.values())
        and datasets_dirs == 1
        and state_full["integrity"] == [("ok",)]
        and state_full["scenarios"] == 1
        and state_after["integrity"] == [("ok",)]
        and job_status == "successful"
    )
    return {
        "tmpfs_mib": 48,
        "disk_full": full,
        "after_freeing": freed,
        "upload_folders_while_full": datasets_dirs - 1,
        "scenarios_while_full": state_full["scenarios"],
        "integrity_while_full": state_full["integrity"] == [("ok",)],
        "plan_after_freeing": job_status,
        "pass": ok,
    }


# --------------------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("the PostgreSQL drill needs Debian's postgresql packages (bash .ci/sysdeps.sh)")
    return Path(found[-1]).parent


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def drill_pg_restart(tmp: Path, restarts: int = 3) -> dict[str, Any]:
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="panhuo-pgdrill-"))
    pgdata, sock, log = root / "data", root / "sock", root / "log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
    port = free_port()

    def pg(*args: str) -> float:
        started = time.monotonic()
        command = [str(bindir / "pg_ctl"), "-D", str(pgdata), "-l", str(log), *args]
        subprocess.run(_as_owner(command), check=True, capture_output=True, cwd=root)
        return round(time.monotonic() - started, 2)

    initdb = [str(bindir / "initdb"), "-D", str(pgdata), "-U", "panhuo", "-A", "trust", "--no-sync"]
    subprocess.run(_as_owner(initdb), check=True, capture_output=True, cwd=root)
    pg("-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "-w", "start")
    server = None
    try:
        psql = [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "panhuo", "-d", "postgres"]
        subprocess.run([*psql, "-qc", "CREATE DATABASE panhuo"], check=True, capture_output=True)
        env = {"PANHUO_DATABASE_URL": f"postgresql://panhuo@127.0.0.1:{port}/panhuo"}
        data = tmp / "pgdata-files"
        data.mkdir()
        made, _ = _panhuo(
            "token", "create", "--name", "p", "--role", "planner", "--data-dir", str(data), env=env
        )
        h = {"Authorization": f"Bearer {made.stdout.strip()}"}
        server = Server(data, env=env)
        server.start()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            dataset = upload(client, made.stdout.strip(), sample_park(tmp / "sample"))
            body = scenario_json(SCENARIO_YAML, dataset)
            sid = client.post("/scenarios", headers=h, json=body).json()["id"]
        stop = threading.Event()
        stats = {"acknowledged": 0, "repeats": 0, "answers": {}, "slowest_ms": 0}

        def editor() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as c:
                while not stop.is_set():
                    key = {"Idempotency-Key": str(uuid.uuid4())}
                    while True:  # the same edit, the same key, until it is acknowledged
                        started = time.monotonic()
                        try:
                            status = c.put(f"/scenarios/{sid}", headers=h | key, json=body).status_code
                        except httpx.TransportError:
                            status = -1
                        ms = round((time.monotonic() - started) * 1000)
                        stats["slowest_ms"] = max(stats["slowest_ms"], ms)
                        stats["answers"][str(status)] = stats["answers"].get(str(status), 0) + 1
                        if status == 201:
                            stats["acknowledged"] += 1
                            break
                        stats["repeats"] += 1
                        time.sleep(0.2)

        thread = threading.Thread(target=editor)
        thread.start()
        restart_s = []
        for _ in range(restarts):
            time.sleep(1.5)
            restart_s.append(pg("-m", "fast", "-w", "restart"))
        time.sleep(1.5)
        stop.set()
        thread.join(timeout=180)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            latest = client.get(f"/scenarios/{sid}", headers=h).json()
        stored_edits = latest["latest_version"] - 1
        versions = [v["version"] for v in latest["versions"]]
    finally:
        if server is not None:
            server.stop()
        subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "immediate", "stop"]),
                       capture_output=True, cwd=root)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
    ok = stored_edits == stats["acknowledged"] and versions == list(range(1, len(versions) + 1))
    return {
        "restarts": restarts,
        "restart_s": restart_s,
        "edits_acknowledged": stats["acknowledged"],
        "versions_stored_by_edits": stored_edits,
        "duplicates": stored_edits - stats["acknowledged"],
        "repeated_requests": stats["repeats"],
        "answers": stats["answers"],
        "slowest_request_ms": stats["slowest_ms"],
        "pass": ok,
    }


DRILLS = {"backup": drill_backup, "disk_full": drill_disk_full, "pg_restart": drill_pg_restart}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=sorted(DRILLS), help="run only these drills")
    args = parser.parse_args()
    result: dict[str, Any] = {"command": "flock /tmp/panhuo-bench.lock .venv/bin/python bench/drills_api.py"}
    for name in args.only or list(DRILLS):
        with tempfile.TemporaryDirectory(prefix=f"panhuo-drill-{name}-") as tmp:
            started = time.monotonic()
            try:
                result[name] = DRILLS[name](Path(tmp))
            except Exception as error:  # a drill that cannot run is a failure, reported
                result[name] = {"pass": False, "error": f"{type(error).__name__}: {error}"}
            result[name]["seconds"] = round(time.monotonic() - started, 1)
        print(f"{name}: {'PASS' if result[name]['pass'] else 'FAIL'} {result[name]}", flush=True)
    result["pass"] = all(v["pass"] for k, v in result.items() if isinstance(v, dict))
    out = write_result("drills_api", result)
    print(f"{'PASS' if result['pass'] else 'FAIL'} → {out}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
