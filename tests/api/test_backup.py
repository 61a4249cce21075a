"""``panhuo backup`` / ``panhuo restore`` (hardening D6, issue 9 item 10a).

A backup taken while the service keeps saving scenarios is one consistent instant (every scenario
has all its versions 1..latest; nothing half-saved), includes what is still in the WAL, passes
``integrity_check``, and a server on the restored directory serves the same data.
"""

from __future__ import annotations

import sqlite3
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.store.backup import backup, hold_data_dir, read_manifest, restore
from api.store.tables import scenario_versions, scenarios
from geo.errors import ConfigError, InputError
from tests.api.conftest import Api, PgServer, clinic_scenario, make_settings, park_gpkg, run_panhuo, start_api


def _consistent(db: Path) -> dict[str, int]:
    """Check a restored SQLite store the way fault_api does; return scenario and version counts."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT s.id, s.latest_version, count(v.version), max(v.version) FROM scenarios s "
            "LEFT JOIN scenario_versions v ON v.scenario_id = s.id GROUP BY s.id"
        ).fetchall()
        for _sid, latest, count, highest in rows:
            assert latest == count == highest, "a scenario lost or gained a version"
        orphans = conn.execute(
            "SELECT count(*) FROM scenario_versions v LEFT JOIN scenarios s ON s.id = v.scenario_id "
            "WHERE s.id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
        return {"scenarios": len(rows), "versions": sum(r[2] for r in rows)}


def _seed(api: Api, tmp_path: Path) -> tuple[str, str, dict[str, Any]]:
    dataset = api.upload("planner", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
    body = clinic_scenario(dataset)
    scenario = api.client.post("/scenarios", headers=api.h("planner"), json=body).json()["id"]
    return dataset, scenario, body


def test_backup_during_writes_is_consistent_and_restores(sqlite_api: Api, tmp_path: Path) -> None:
    api = sqlite_api
    data = api.settings.store.data_dir
    dataset, scenario, body = _seed(api, tmp_path)
    store = api.client.app.state.store  # type: ignore[attr-defined]
    stop = threading.Event()
    saved = {"n": 0}

    def writer() -> None:  # the service keeps saving, through the store the routes use
        while not stop.is_set():
            store.add_scenario_version("ws1", scenario, "并发保存", body, "planner")
            store.create_scenario("ws1", f"并发 {saved['n']}", body, "planner")
            saved["n"] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    archives = []
    try:
        for i in range(3):
            archives.append(backup(data, tmp_path / f"backup{i}.tar"))
    finally:
        stop.set()
        thread.join()
    assert saved["n"] > 0
    with tarfile.open(tmp_path / "backup2.tar") as tar:
        names = tar.getnames()
    assert "panhuo.db" in names and not any(n.endswith(("-wal", "-shm")) for n in names)
    assert f"datasets/{dataset}/data.gpkg" in names and not any("/.ingest/" in n for n in names)
    seen = []
    for i, manifest in enumerate(archives):
        target = tmp_path / f"restored{i}"
        done = restore(tmp_path / f"backup{i}.tar", target)
        assert done["integrity"] == "ok" and done["kept"] is None
        counts = _consistent(target / "panhuo.db")
        assert counts["scenarios"] == manifest["counts"]["scenarios"]
        seen.append(counts["versions"])
    assert seen == sorted(seen)  # each backup is a later instant
    # a server on the restored directory serves the same scenario and dataset
    for restored in start_api(make_settings(tmp_path / "restored2")):
        shown = restored.client.get(f"/scenarios/{scenario}", headers=api.h("viewer"))
        assert shown.status_code == 200  # tokens came back with the backup
        got = restored.client.get(f"/datasets/{dataset}/data?format=gpkg", headers=api.h("viewer"))
        assert (
            got.status_code == 200
            and got.content == (data / "datasets" / dataset / "export.gpkg").read_bytes()
        )


def test_the_wal_is_in_the_backup(sqlite_api: Api, tmp_path: Path) -> None:
    api = sqlite_api
    data = api.settings.store.data_dir
    _dataset, _scenario, body = _seed(api, tmp_path)
    for i in range(20):
        assert (
            api.client.post("/scenarios", headers=api.h("planner"), json=body | {"name": f"s{i}"}).status_code
            == 201
        )
    wal = data / "panhuo.db-wal"
    assert wal.exists() and wal.stat().st_size > 0  # the newest saves are still only in the WAL
    manifest = backup(data, tmp_path / "b.tar")
    assert manifest["counts"]["scenarios"] == 21
    restore(tmp_path / "b.tar", tmp_path / "r")
    assert _consistent(tmp_path / "r" / "panhuo.db")["scenarios"] == 21


def test_restore_guards(sqlite_api: Api, tmp_path: Path) -> None:
    api = sqlite_api
    data = api.settings.store.data_dir
    _seed(api, tmp_path)
    archive = tmp_path / "b.tar"
    backup(data, archive)
    with pytest.raises(InputError, match="already exists"):
        backup(data, archive)
    with pytest.raises(InputError, match="outside the data directory"):
        backup(data, data / "inside.tar")
    # a non-empty target needs --force, and then keeps the old directory aside
    target = tmp_path / "live"
    target.mkdir()
    (target / "keep.txt").write_text("old")
    with pytest.raises(InputError, match="not empty"):
        restore(archive, target)
    done = restore(archive, target, force=True)
    assert Path(done["kept"]).joinpath("keep.txt").read_text() == "old"
    assert (target / "panhuo.db").is_file()
    # a running server holds the lock: restore refuses
    with hold_data_dir(target), pytest.raises(ConfigError, match="stop the server"):
        restore(archive, target, force=True)
    # a damaged backup is refused and nothing is swapped in
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            payload = src.extractfile(member)
            content = payload.read() if payload else b""
            if member.name == "panhuo.db":
                content = content[:-4096] + b"\0" * 4096
            dst.addfile(member, __import__("io").BytesIO(content))
    before = sorted(p.name for p in target.iterdir())
    with pytest.raises(InputError, match="checksum"):
        restore(damaged, target, force=True)
    assert sorted(p.name for p in target.iterdir()) == before
    assert not list(tmp_path.glob("live.restoring-*"))
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(InputError, match="not a panhuo backup"):
        read_manifest(tmp_path / "junk.tar")


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = run_panhuo("token", "create", "--name", "局管理员", "--role", "admin", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    done = run_panhuo("backup", str(tmp_path / "b.tar"), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "backed up" in done.stdout and "schema 0003" in done.stdout
    refused = run_panhuo("restore", str(tmp_path / "b.tar"), "--data-dir", str(data))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = run_panhuo("restore", str(tmp_path / "b.tar"), "--data-dir", str(data), "--force")
    assert forced.returncode == 0 and "integrity_check ok" in forced.stdout, forced.stderr
    for api in start_api(make_settings(data)):
        store = api.client.app.state.store  # type: ignore[attr-defined]
        assert any(t["name"] == "局管理员" for t in store.list_tokens("局管理员"))


def test_postgresql_store_backup_uses_pg_dump(tmp_path: Path, pg_server: PgServer) -> None:
    url = pg_server.url(pg_server.fresh_database())
    for api in start_api(make_settings(tmp_path / "data", url)):
        _dataset, scenario, body = _seed(api, tmp_path)
        api.client.put(f"/scenarios/{scenario}", headers=api.h("planner"), json=body)
        store_url = api.settings.store.sqlalchemy_url()
        manifest = backup(api.settings.store.data_dir, tmp_path / "pg.tar", database_url=store_url)
    assert manifest["store"] == "postgresql" and manifest["counts"]["scenario_versions"] == 2
    with pytest.raises(InputError, match="postgresql store"):
        restore(tmp_path / "pg.tar", tmp_path / "sqlite-target")
    target_url = pg_server.url(pg_server.fresh_database())
    target_sa = target_url.replace("postgresql://", "postgresql+psycopg://")
    restore(tmp_path / "pg.tar", tmp_path / "data2", database_url=target_sa)
    engine = sa.create_engine(target_sa)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(scenarios)).scalar() == 1
            versions = conn.execute(
                sa.select(scenario_versions.c.version).order_by(scenario_versions.c.version)
            )
            assert list(versions.scalars()) == [1, 2]
    finally:
        engine.dispose()
    for api in start_api(make_settings(tmp_path / "data2", target_url)):
        assert api.client.get(f"/scenarios/{scenario}", headers=api.h("viewer")).json()["latest_version"] == 2
