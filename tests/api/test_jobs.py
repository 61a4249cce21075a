"""The job machinery with real jobs: limits, cancel, queue, restart, and an analysis end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.jobs import group_alive
from tests.api.conftest import Api, make_settings, parcels_geojson, start_api


def _running(api: Api, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.client.get(f"/jobs/{job_id}", headers=api.h("planner")).json()
        if job["status"] != "accepted":
            return dict(job)
        time.sleep(0.02)
    raise AssertionError("job never started")


def _pid(api: Api, job_id: str) -> int:
    row = api.client.app.state.store.get_job(None, job_id)  # type: ignore[attr-defined]
    return int(row["pid"])


def _with(tmp_path: Path, **jobs: object):
    return start_api(make_settings(tmp_path / "data", **jobs))


def test_inspect_job_lifecycle(sqlite_api: Api) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    r = sqlite_api.client.post(f"/datasets/{dataset}/inspections", headers=sqlite_api.h("planner"))
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    job = sqlite_api.wait("planner", r.json()["job_id"])
    assert job["status"] == "successful" and job["progress"] == 100
    assert job["started_at"] <= job["finished_at"]
    result = sqlite_api.client.get(f"/jobs/{job['id']}/results", headers=sqlite_api.h("viewer")).json()
    assert result["feature_count"] == 3
    assert not group_alive(_pid(sqlite_api, job["id"]))


def test_time_limit_kills_the_process_group(tmp_path: Path) -> None:
    for api in _with(tmp_path, time_limit_s=1.0):
        dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
        job_id = api.client.post("/analyses", headers=api.h("planner"), json={"dataset_id": dataset}).json()[
            "job_id"
        ]
        job = api.wait("planner", job_id)
        assert job["status"] == "failed" and job["error_code"] == "time_limit", job
        assert not group_alive(_pid(api, job_id))
        assert "时间上限" in job["message"]
        assert not (api.settings.store.data_dir / "jobs" / job_id / "out" / "briefing.pdf").exists()


def test_memory_cap_fails_the_job_not_the_server(tmp_path: Path) -> None:
    for api in _with(tmp_path):
        dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    for api in _with(tmp_path, memory_mb=400):
        job_id = api.client.post(f"/datasets/{dataset}/inspections", headers=api.h("planner")).json()[
            "job_id"
        ]
        job = api.wait("planner", job_id)
        assert job["status"] == "failed" and job["error_code"] == "resource_limit", job
        assert api.client.get("/health").status_code == 200
        # an upload under the same cap is refused cleanly, not a 500
        r = api.upload("planner", "p.geojson", parcels_geojson())
        assert r.status_code == 422 and "resource_limit" in r.json()["error"]["message"]


def test_cancel_a_running_job(sqlite_api: Api) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    job_id = sqlite_api.client.post(
        f"/datasets/{dataset}/inspections", headers=sqlite_api.h("planner")
    ).json()["job_id"]
    job = _running(sqlite_api, job_id)
    pid = _pid(sqlite_api, job_id) if job["status"] == "running" else None
    r = sqlite_api.client.delete(f"/jobs/{job_id}", headers=sqlite_api.h("planner"))
    assert r.status_code == 200
    job = sqlite_api.wait("planner", job_id)
    if pid is not None and job["status"] == "dismissed":
        assert not group_alive(pid)
    assert job["status"] in ("dismissed", "successful")  # it may have finished first
    # dismissing a finished job removes its results
    r = sqlite_api.client.delete(f"/jobs/{job_id}", headers=sqlite_api.h("planner"))
    assert r.json()["status"] == "dismissed"
    assert (
        sqlite_api.client.get(f"/jobs/{job_id}/results", headers=sqlite_api.h("planner")).status_code == 409
    )


def test_full_queue_answers_429_with_retry_after(tmp_path: Path) -> None:
    for api in _with(tmp_path, workers=1, queue=1, retry_after_s=7):
        dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
        url = f"/datasets/{dataset}/inspections"
        first = api.client.post(url, headers=api.h("planner")).json()["job_id"]
        assert _running(api, first)["status"] in ("running", "successful")
        second = api.client.post(url, headers=api.h("planner"))
        third = api.client.post(url, headers=api.h("planner"))
        if second.status_code == 202:  # the first was still running: one waits, the next is refused
            assert third.status_code == 429, third.text
            assert third.headers["retry-after"] == "7"
            assert third.json()["error"]["code"] == "queue_full"
        api.client.delete(f"/jobs/{first}", headers=api.h("planner"))
        # reads are not queued
        assert api.client.get("/jobs", headers=api.h("viewer")).status_code == 200


def test_queue_full_is_deterministic_with_zero_queue(tmp_path: Path) -> None:
    for api in _with(tmp_path, workers=1, queue=0):
        dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
        r = api.client.post("/analyses", headers=api.h("planner"), json={"dataset_id": dataset})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert api.client.get("/jobs", headers=api.h("planner")).json()["items"] == []


def test_jobs_left_by_a_dead_server_running_fail_waiting_run(tmp_path: Path) -> None:
    """A job that was running is failed (its group killed); one that was waiting runs after restart."""
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "api.worker"], start_new_session=True
    )
    try:
        for api in _with(tmp_path):
            dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
            store = api.client.app.state.store  # type: ignore[attr-defined]
            running = store.create_job(
                {
                    "workspace": "ws1",
                    "kind": "inspect",
                    "params": {},
                    "created_by": "planner",
                    "status": "running",
                    "pid": orphan.pid,
                }
            )
            # taken off the queue by the dead server but never started
            waiting = store.create_job(
                {
                    "workspace": "ws1",
                    "kind": "inspect",
                    "dataset_id": dataset,
                    "params": {},
                    "created_by": "planner",
                }
            )
        # a new server on the same data directory
        for api in _with(tmp_path):
            job = api.client.get(f"/jobs/{running['id']}", headers=api.h("planner")).json()
            assert job["status"] == "failed" and job["error_code"] == "interrupted"
            assert api.wait("planner", waiting["id"])["status"] == "successful"
        orphan.wait(timeout=10)
        assert not group_alive(orphan.pid)
    finally:
        if orphan.poll() is None:
            os.killpg(orphan.pid, 9)
            orphan.wait()


@pytest.mark.slow
def test_analysis_end_to_end(api: Api) -> None:
    """Upload → analysis job → results, map, briefing, report, layers; PostGIS table on PostgreSQL."""
    dataset = api.upload("planner", "p.geojson", parcels_geojson(5, idle_first=True)).json()["id"]
    r = api.client.post(
        "/analyses",
        headers=api.h("planner"),
        json={"dataset_id": dataset, "as_of": "2026-06-30", "rules": "national"},
    )
    assert r.status_code == 202, r.text
    job = api.wait("planner", r.json()["job_id"], timeout=180)
    assert job["status"] == "successful", job
    job_id = job["id"]
    result = api.client.get(f"/jobs/{job_id}/results", headers=api.h("viewer")).json()
    assert result["summary"]["parcels"] == 5
    assert result["summary"]["area_mu"] == pytest.approx(5 * 10_000 / (2000 / 3))  # 1 亩 = 2000/3 m²
    assert set(result["indicators"]) >= {"zone_type", "land_development_rate", "potential"}
    for path, media in (
        ("map.html", "text/html"),
        ("report.xlsx", "application/vnd.openxmlformats"),
        ("layers/parcels?format=geojson", "application/geo+json"),
        ("layers/parcels?format=gpkg", "application/geopackage"),
        ("layers/parcels?format=csv", "text/csv"),
    ):
        got = api.client.get(f"/jobs/{job_id}/{path}", headers=api.h("viewer"))
        assert got.status_code == 200 and got.headers["content-type"].startswith(media), path
    assert got.content.startswith(b"\xef\xbb\xbf")  # CSV with BOM, for Excel
    page = api.client.get(f"/jobs/{job_id}/map.html", headers=api.h("viewer"))
    assert "sandbox" in page.headers["content-security-policy"]
    # YL-000: granted, agreed start 2023-01-01, never started → idle_recoverable on 2026-06-30
    assert result["summary"]["idle_status"]["idle_recoverable"]["count"] == 1
    assert result["briefing_note"] is None
    assert api.client.get(f"/jobs/{job_id}/briefing.pdf", headers=api.h("viewer")).content.startswith(b"%PDF")
    assert api.client.get(f"/jobs/{job_id}/layers/plan", headers=api.h("viewer")).status_code == 404
    if api.settings.store.is_postgres:
        (table,) = result["postgis_tables"]
        engine = sa.create_engine(api.settings.store.sqlalchemy_url())
        with engine.connect() as conn:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 5
            srid = conn.execute(
                sa.text(f"SELECT Find_SRID('panhuo_results', '{table.split('.')[1]}', 'geometry')")
            )
            assert srid.scalar() == 4524
        engine.dispose()
    else:
        assert result["postgis_tables"] == []
    audit = api.client.get("/audit", headers=api.h("admin")).json()["items"]
    actions = {(a["action"], a["object_id"]) for a in audit}
    assert ("job.run", job_id) in actions and ("job.export", job_id) in actions
    assert ("dataset.upload", dataset) in actions


def test_analysis_of_a_dataset_without_crs_fails_with_crs_error(sqlite_api: Api) -> None:
    dataset = sqlite_api.upload("planner", "nocrs.geojson", parcels_geojson(crs=None)).json()["id"]
    job_id = sqlite_api.client.post(
        "/analyses", headers=sqlite_api.h("planner"), json={"dataset_id": dataset}
    ).json()["job_id"]
    job = sqlite_api.wait("planner", job_id, timeout=120)
    assert job["status"] == "failed" and job["error_code"] == "crs_error", job
    assert "/tmp" not in (job["message"] or "")


def test_unknown_preset_is_refused_at_submission(sqlite_api: Api) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    r = sqlite_api.client.post(
        "/analyses", headers=sqlite_api.h("planner"), json={"dataset_id": dataset, "rules": "no-such-preset"}
    )
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "no-such-preset" in message and "national" in message  # names it and lists the presets
    assert sqlite_api.client.get("/jobs", headers=sqlite_api.h("planner")).json()["items"] == []


def test_solver_groups_of_a_worker_are_found_and_killed() -> None:
    """The optimizer starts CBC in a session of its own; the runner must find and kill it too."""
    from api.jobs import kill_group
    from api.worker import descendant_groups

    code = (
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        groups: set[int] = set()
        while not groups and time.monotonic() < deadline:
            groups = descendant_groups(worker.pid)
            time.sleep(0.05)
        assert len(groups) == 1 and worker.pid not in groups  # a group other than the worker's own
        for group in groups:
            kill_group(group)
        kill_group(worker.pid)
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(group_alive(g) for g in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(group_alive(g) for g in groups)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, 9)
            worker.wait()


def test_one_user_cannot_take_the_whole_queue(tmp_path: Path) -> None:
    for api in _with(tmp_path, workers=1, queue=4, queue_per_user=1):
        dataset = api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
        body = {"dataset_id": dataset}
        first = api.client.post("/analyses", headers=api.h("planner"), json=body).json()["job_id"]
        assert _running(api, first)["status"] in ("running", "successful")
        second = api.client.post("/analyses", headers=api.h("planner"), json=body)
        third = api.client.post("/analyses", headers=api.h("planner"), json=body)
        if api.client.get(f"/jobs/{first}", headers=api.h("planner")).json()["status"] == "running":
            assert second.status_code == 202
            assert third.status_code == 429 and "share of the queue" in third.json()["error"]["message"]
            # another user of the same workspace still gets a place
            other = api.client.post("/analyses", headers=api.h("admin"), json=body)
            assert other.status_code == 202
        for job in api.client.get("/jobs", headers=api.h("planner")).json()["items"]:
            api.client.delete(f"/jobs/{job['id']}", headers=api.h("planner"))
