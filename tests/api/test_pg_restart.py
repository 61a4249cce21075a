"""PostgreSQL restart or failover mid-transaction (hardening D7, issue 9 item 10b).

The throwaway server of the suite is restarted (``pg_ctl restart -m fast``) in the middle of a
scenario save: the save is retried on a new connection and stored once — no duplicate version.
A COMMIT whose answer is lost, and a client repeating a save with the same ``Idempotency-Key``,
find the version already stored instead of adding another.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.store import Store
from api.store.tables import scenario_versions
from tests.api.conftest import Api, PgServer, clinic_scenario, make_settings, park_gpkg, start_api


@pytest.fixture
def pg_api(tmp_path: Path, pg_server: PgServer) -> Iterator[Api]:
    yield from start_api(make_settings(tmp_path / "data", pg_server.url(pg_server.fresh_database())))


def _versions(api: Api, scenario_id: str) -> list[int]:
    store: Store = api.client.app.state.store  # type: ignore[attr-defined]
    with store.read() as conn:
        return list(
            conn.execute(
                sa.select(scenario_versions.c.version)
                .where(scenario_versions.c.scenario_id == scenario_id)
                .order_by(scenario_versions.c.version)
            ).scalars()
        )


def _scenario(api: Api, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    dataset = api.upload("planner", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
    body = clinic_scenario(dataset)
    created = api.client.post("/scenarios", headers=api.h("planner"), json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], body


def test_restart_mid_save_is_retried_once(pg_api: Api, pg_server: PgServer, tmp_path: Path) -> None:
    api = pg_api
    scenario_id, body = _scenario(api, tmp_path)
    store: Store = api.client.app.state.store  # type: ignore[attr-defined]
    restarts: list[float] = []

    def restart_mid_transaction(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # the scenario row is already updated in this transaction; the version insert comes next
        if statement.lstrip().upper().startswith("INSERT INTO SCENARIO_VERSIONS") and not restarts:
            restarts.append(pg_server.restart())

    sa.event.listen(store.engine, "before_cursor_execute", restart_mid_transaction)
    try:
        edited = api.client.put(
            f"/scenarios/{scenario_id}", headers=api.h("planner"), json=body | {"name": "重启中保存"}
        )
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", restart_mid_transaction)
    assert restarts, "the server was not restarted during the save"
    assert edited.status_code == 201, edited.text
    assert edited.json()["version"] == 2
    assert _versions(api, scenario_id) == [1, 2]
    shown = api.client.get(f"/scenarios/{scenario_id}", headers=api.h("viewer")).json()
    assert shown["latest_version"] == 2 and shown["name"] == "重启中保存"
    # the service is fine afterwards: a new scenario and a run
    again = api.client.post("/scenarios", headers=api.h("planner"), json=body)
    assert again.status_code == 201
    job = api.client.post(f"/scenarios/{scenario_id}/runs", headers=api.h("planner")).json()["job_id"]
    assert api.wait("planner", job, timeout=120)["status"] == "successful"


def test_lost_commit_answer_does_not_duplicate_the_version(
    pg_api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = pg_api
    scenario_id, body = _scenario(api, tmp_path)
    lost: list[bool] = []
    real_commit = Store._commit

    def commit_then_lose_the_answer(tx: sa.RootTransaction) -> None:
        real_commit(tx)  # the server has committed ...
        if not lost:
            lost.append(True)  # ... but the answer never arrives
            raise sa.exc.OperationalError(
                "COMMIT", None, Exception("server closed the connection"), connection_invalidated=True
            )

    monkeypatch.setattr(Store, "_commit", staticmethod(commit_then_lose_the_answer))
    edited = api.client.put(f"/scenarios/{scenario_id}", headers=api.h("planner"), json=body)
    monkeypatch.undo()
    assert lost and edited.status_code == 201, edited.text
    assert edited.json()["version"] == 2
    assert _versions(api, scenario_id) == [1, 2]


def test_client_retry_with_idempotency_key(pg_api: Api, tmp_path: Path) -> None:
    api = pg_api
    _scenario_id, body = _scenario(api, tmp_path)
    key = {"Idempotency-Key": "3f2a9c1e-0b7d-4e5f-9a8b-7c6d5e4f3a2b"}
    first = api.client.post("/scenarios", headers=api.h("planner") | key, json=body).json()
    second = api.client.post("/scenarios", headers=api.h("planner") | key, json=body).json()
    assert first == second
    edit = api.client.put(f"/scenarios/{first['id']}", headers=api.h("planner") | key, json=body).json()
    again = api.client.put(f"/scenarios/{first['id']}", headers=api.h("planner") | key, json=body).json()
    assert edit == again == {"id": first["id"], "version": 2}
    assert _versions(api, first["id"]) == [1, 2]
    # the same key from another token is another request
    other = api.client.post("/scenarios", headers=api.h("admin") | key, json=body).json()
    assert other["id"] != first["id"]
    listed = api.client.get("/scenarios", headers=api.h("viewer")).json()["items"]
    assert len(listed) == 3
    bad = api.client.post("/scenarios", headers=api.h("planner") | {"Idempotency-Key": "x"}, json=body)
    assert bad.status_code == 422


def test_database_down_longer_than_the_retry_window_is_503(tmp_path: Path, pg_server: PgServer) -> None:
    settings = make_settings(tmp_path / "data", pg_server.url(pg_server.fresh_database()))
    settings = settings.model_copy(update={"store": settings.store.model_copy(update={"db_retry_s": 1.0})})
    for api in start_api(settings):
        store: Store = api.client.app.state.store  # type: ignore[attr-defined]

        def refuse(*_args: Any) -> None:
            raise sa.exc.OperationalError(
                "SELECT", None, Exception("connection refused"), connection_invalidated=True
            )

        sa.event.listen(store.engine, "before_cursor_execute", refuse)
        try:
            answer = api.client.get("/scenarios", headers=api.h("viewer"))
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", refuse)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "store_unavailable"
        assert int(answer.headers["retry-after"]) > 0
        assert api.client.get("/scenarios", headers=api.h("viewer")).status_code == 200
