"""A full disk (hardening D3, issue 9 item 7): 507 that says so, nothing partial, store intact, recovery.

The data directory lives on a small tmpfs mounted for the test (``mount -t tmpfs``: the tests run as
root, as CI does). A test that cannot mount FAILS with the reason — it is never skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.errors import is_disk_full
from api.store import integrity_ok
from api.store.tables import scenario_versions, scenarios
from tests.api.conftest import Api, clinic_scenario, make_settings, park_gpkg, start_api

MOUNT_MESSAGE = (
    "the disk-full tests mount a small tmpfs (`mount -t tmpfs -o size=32m tmpfs DIR`) and need root "
    "(CI runs the suite as root) and the `mount`/`umount` programs (util-linux)"
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB tmpfs, unmounted again at the end."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{MOUNT_MESSAGE}: {done.stderr.strip() or done.returncode}", pytrace=False)
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Write a file until the file system has not one byte left; return it (unlink it to free the space)."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * size
            while True:
                try:
                    if os.write(fd, block) < size:
                        break
                except OSError as error:
                    assert error.errno == 28
                    break
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def _is_507(answer: object) -> None:
    assert answer.status_code == 507, answer.text  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "disk_full"
    assert "磁盘空间已满" in error["message"] and "disk is full" in error["message"]
    assert "/" not in error["message"].replace(" — ", "")  # no server path


def _counts(api: Api) -> tuple[int, int]:
    store = api.client.app.state.store  # type: ignore[attr-defined]
    with store.read() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(scenarios)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(scenario_versions)).scalar_one(),
        )


def test_full_disk_answers_507_leaves_nothing_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    park = park_gpkg(tmp_path)
    for api in start_api(make_settings(small_disk / "data", workers=1)):
        dataset = api.upload("planner", "park.gpkg", park).json()["id"]
        body = clinic_scenario(dataset)
        scenario = api.client.post("/scenarios", headers=api.h("planner"), json=body).json()["id"]
        before = _counts(api)
        datasets_before = sorted(p.name for p in (small_disk / "data" / "datasets").iterdir())

        filler = fill(small_disk)
        _is_507(api.client.post("/scenarios", headers=api.h("planner"), json=body))
        _is_507(api.client.put(f"/scenarios/{scenario}", headers=api.h("planner"), json=body))
        _is_507(api.client.post("/tokens", headers=api.h("admin"), json={"name": "新人", "role": "viewer"}))
        _is_507(api.client.post(f"/scenarios/{scenario}/runs", headers=api.h("planner")))
        _is_507(api.upload("planner", "park.gpkg", park))

        # nothing partial: no scenario, version, token, job or upload folder was left
        assert _counts(api) == before
        assert sorted(p.name for p in (small_disk / "data" / "datasets").iterdir()) == datasets_before
        assert api.client.get("/jobs", headers=api.h("planner")).json()["items"] == []
        names = [t["name"] for t in api.client.get("/tokens", headers=api.h("admin")).json()["items"]]
        assert "新人" not in names
        # the store is intact and still answers reads
        assert integrity_ok(api.client.app.state.store.engine)  # type: ignore[attr-defined]
        assert api.client.get(f"/scenarios/{scenario}", headers=api.h("viewer")).json()["latest_version"] == 1

        # space freed: the same server works again, no restart
        filler.unlink()
        assert api.client.post("/scenarios", headers=api.h("planner"), json=body).status_code == 201
        assert (
            api.client.put(f"/scenarios/{scenario}", headers=api.h("planner"), json=body).json()["version"]
            == 2
        )
        assert (
            api.client.post(
                "/tokens", headers=api.h("admin"), json={"name": "新人", "role": "viewer"}
            ).status_code
            == 201
        )
        assert api.upload("planner", "park.gpkg", park).status_code == 201
        job = api.client.post(f"/scenarios/{scenario}/runs", headers=api.h("planner")).json()["job_id"]
        assert api.wait("planner", job, timeout=120)["status"] == "successful"
        assert integrity_ok(api.client.app.state.store.engine)  # type: ignore[attr-defined]


def test_disk_full_is_recognised_from_each_layer() -> None:
    import sqlite3

    import psycopg.errors

    assert is_disk_full(OSError(28, "No space left on device"))
    assert is_disk_full(
        sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    )
    assert is_disk_full(
        sa.exc.OperationalError("INSERT", {}, psycopg.errors.DiskFull("could not extend file"))
    )
    assert not is_disk_full(
        sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    )
    assert not is_disk_full(OSError(13, "Permission denied"))
