"""The metadata store on SQLite and PostgreSQL: migrations, atomic saves, concurrency, hashing."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from api.store import Store, current_revision, head_revision, integrity_ok, migrate
from api.store.db import downgrade
from api.store.tables import metadata, scenario_versions, scenarios


@pytest.fixture
def store(tmp_path: Path, database_url: str | None) -> Store:
    from api.settings import StoreSettings

    url = StoreSettings(data_dir=tmp_path, database_url=database_url).sqlalchemy_url()
    s = Store(url)
    migrate(s.engine)
    yield s
    s.close()


def test_migrations_match_the_tables_and_go_down_and_up(store: Store) -> None:
    assert current_revision(store.engine) == head_revision() == "0003"
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            # PostGIS's own table is not ours to compare
            opts={
                "include_name": lambda name, kind, _parent: (
                    not (kind == "table" and name == "spatial_ref_sys")
                )
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []
    store.create_token("keep", "admin", "ws")
    downgrade(store.engine, "base")
    assert current_revision(store.engine) is None
    assert "tokens" not in sa.inspect(store.engine).get_table_names()
    migrate(store.engine)
    assert set(sa.inspect(store.engine).get_table_names()) >= {
        "tokens",
        "datasets",
        "scenarios",
        "jobs",
        "audit_log",
    }


def test_a_scenario_is_saved_whole_or_not_at_all(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    original = scenario_versions.insert

    def failing_insert():  # the second statement of the transaction fails
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(scenario_versions, "insert", failing_insert)
    with pytest.raises(sa.exc.OperationalError):
        store.create_scenario("ws", "半截方案", {"name": "半截方案"}, "tester")
    monkeypatch.setattr(scenario_versions, "insert", original)
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(scenarios)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(scenario_versions)).scalar() == 0
    ok = store.create_scenario("ws", "完整方案", {"name": "完整方案"}, "tester")
    assert store.get_scenario_version("ws", ok["id"], 1)["body"] == {"name": "完整方案"}


def test_concurrent_edits_get_distinct_versions(store: Store) -> None:
    sid = store.create_scenario("ws", "s", {"n": 0}, "a")["id"]
    results: list[int] = []
    errors: list[BaseException] = []

    def edit(i: int) -> None:
        try:
            results.append(store.add_scenario_version("ws", sid, "s", {"n": i}, "a")["version"])
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == list(range(2, 10))
    assert [v["version"] for v in store.get_scenario("ws", sid)["versions"]] == list(range(1, 10))


def test_other_workspace_sees_nothing(store: Store) -> None:
    sid = store.create_scenario("a", "s", {}, "x")["id"]
    assert store.get_scenario("b", sid) is None
    assert store.add_scenario_version("b", sid, "s", {}, "x") is None
    assert store.delete_scenario("b", sid) is False
    assert store.get_scenario("a", sid)["latest_version"] == 1


def test_tokens_are_stored_only_as_hashes(store: Store, tmp_path: Path) -> None:
    row, secret = store.create_token("张工", "planner", "ws")
    assert len(secret) >= 40
    with store.read() as conn:
        stored = conn.execute(sa.text("SELECT * FROM tokens")).mappings().all()
    assert all(secret not in str(dict(r)) for r in stored)
    assert store.principal_for(secret).role == "planner"
    assert store.principal_for(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.revoke_token("ws", row["id"]) and store.principal_for(secret) is None
    if store.engine.dialect.name == "sqlite":
        store.close()
        for f in tmp_path.glob("panhuo.db*"):
            assert secret.encode() not in f.read_bytes()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(s.engine)
    with s.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA trusted_schema").scalar() == 0
    assert integrity_ok(s.engine)
    s.close()


def test_embedded_store_refuses_a_network_file_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import app as app_module
    from api.store import db
    from geo.errors import ConfigError
    from tests.api.conftest import make_settings

    assert db.filesystem_type(tmp_path) not in db.NETWORK_FILESYSTEMS  # the test machine's own disk
    monkeypatch.setattr(db, "filesystem_type", lambda _path: "nfs4")
    with pytest.raises(ConfigError, match="nfs4"):
        app_module.create_app(make_settings(tmp_path / "data"))


def test_migration_0002_queues_the_jobs_waiting_and_goes_back(store: Store) -> None:
    from api.store.tables import job_queue, jobs

    downgrade(store.engine, "0001")
    stamp = sa.func.now()
    with store.write() as conn:
        for job_id, status in (("j-wait-1", "accepted"), ("j-run", "running"), ("j-done", "successful")):
            conn.execute(
                jobs.insert().values(
                    id=job_id,
                    workspace="ws",
                    kind="inspect",
                    status=status,
                    progress=0,
                    params={},
                    created_by="planner",
                    created_at=stamp,
                )
            )
    migrate(store.engine)
    assert store.queued_job_ids() == ["j-wait-1"]
    downgrade(store.engine, "0001")
    assert "job_queue" not in sa.inspect(store.engine).get_table_names()
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() == 3
    migrate(store.engine)
    with store.read() as conn:
        assert conn.execute(sa.select(job_queue.c.job_id)).scalars().all() == ["j-wait-1"]


def test_migration_0003_keeps_versions_both_ways(store: Store) -> None:
    sid = store.create_scenario("ws", "s", {"n": 1}, "a", request_key="k1")["id"]
    store.add_scenario_version("ws", sid, "s", {"n": 2}, "a", request_key="k2")
    downgrade(store.engine, "0002")
    assert "request_key" not in {c["name"] for c in sa.inspect(store.engine).get_columns("scenario_versions")}
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version, body FROM scenario_versions ORDER BY version")).all()
    assert [r[0] for r in rows] == [1, 2]
    migrate(store.engine)
    # the old versions have no key; a new save with a key works and replays
    again = store.add_scenario_version("ws", sid, "s", {"n": 3}, "a", request_key="k3")
    assert again == {"id": sid, "version": 3, "replayed": False}
    assert store.add_scenario_version("ws", sid, "s", {"n": 3}, "a", request_key="k3")["replayed"] is True
