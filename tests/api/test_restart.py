"""What a restart finds: the queue in the store (issue 9, item 10c), no files left by a kill (item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from api.jobs import JobRunner
from api.store import new_id
from api.store.tables import job_queue
from tests.api.conftest import clinic_scenario, make_settings, park_gpkg, start_api


def _server(tmp_path: Path, database_url: str | None, **jobs: object):
    return start_api(make_settings(tmp_path / "data", database_url, **jobs))


def _no_runner_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # a server whose runner takes no job: what is submitted is still waiting when it stops
    monkeypatch.setattr(JobRunner, "start", lambda self: None)


def test_jobs_waiting_at_a_restart_are_run_not_failed(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_runner_threads(monkeypatch)
    for api in _server(tmp_path, database_url, workers=1):
        dataset = api.upload("planner", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
        scenario = api.client.post("/scenarios", headers=api.h("planner"), json=clinic_scenario(dataset))
        assert scenario.status_code == 201, scenario.text
        url = f"/scenarios/{scenario.json()['id']}/runs"
        waiting = [api.client.post(url, headers=api.h("planner")).json()["job_id"] for _ in range(2)]
        assert {api.client.get(f"/jobs/{j}", headers=api.h("planner")).json()["status"] for j in waiting} == {
            "accepted"
        }
    monkeypatch.undo()
    for api in _server(tmp_path, database_url, workers=1):
        for job_id in waiting:
            job = api.wait("planner", job_id, timeout=120)
            assert job["status"] == "successful", job
            assert (
                api.client.get(f"/jobs/{job_id}/results", headers=api.h("planner")).json()["objective"] == 30
            )
        store = api.client.app.state.store  # type: ignore[attr-defined]
        with store.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(job_queue)).scalar() == 0


def test_queue_caps_count_the_stored_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_runner_threads(monkeypatch)
    for api in _server(tmp_path, None, workers=1, queue=2, queue_per_user=2):
        dataset = api.upload("planner", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
        url = f"/datasets/{dataset}/inspections"
        assert [api.client.post(url, headers=api.h("planner")).status_code for _ in range(3)] == [
            202,
            202,
            429,
        ]
    # after a restart the two waiting jobs still count: the cap holds across restarts
    for api in _server(tmp_path, None, workers=1, queue=2, queue_per_user=2):
        assert api.client.post(url, headers=api.h("planner")).status_code == 429
        jobs = api.client.get("/jobs", headers=api.h("planner")).json()["items"]
        assert len(jobs) == 2
        # a waiting job cancelled leaves the queue: its place is free again
        assert api.client.delete(f"/jobs/{jobs[0]['id']}", headers=api.h("planner")).status_code in (
            200,
            202,
            204,
        )
        assert api.client.post(url, headers=api.h("planner")).status_code == 202


def test_start_up_removes_what_no_row_owns_and_job_temp_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for api in _server(tmp_path, None):
        dataset = api.upload("planner", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
        job_id = api.client.post(f"/datasets/{dataset}/inspections", headers=api.h("planner")).json()[
            "job_id"
        ]
        assert api.wait("planner", job_id)["status"] == "successful"
    # what kill -9 leaves: a half-ingested upload with no row, a solver's model in a job's tmp,
    # the folder of a job whose row never committed, GDAL temp files of an ingest
    orphan_dataset = data / "datasets" / new_id()
    orphan_dataset.mkdir()
    (orphan_dataset / "upload.bin").write_bytes(b"\0" * 3_000_000)
    (orphan_dataset / "data.gpkg").write_bytes(b"\0" * 1000)
    model = data / "jobs" / job_id / "tmp" / "model.mps"
    model.parent.mkdir(exist_ok=True)
    model.write_bytes(b"NAME panhuo\n" * 100_000)
    orphan_job = data / "jobs" / new_id()
    (orphan_job / "tmp").mkdir(parents=True)
    (orphan_job / "tmp" / "model.mps").write_text("NAME x\n")
    (orphan_job / "spec.json").write_text("{}")
    ingest_tmp = data / "datasets" / dataset / ".ingest" / "tmp"
    ingest_tmp.mkdir(parents=True, exist_ok=True)
    (ingest_tmp / "gdal_tmp.bin").write_bytes(b"\0" * 1000)
    # things that are not ours by name are left alone
    stranger = data / "datasets" / "README.txt"
    stranger.write_text("kept")

    for api in _server(tmp_path, None):
        assert not orphan_dataset.exists()
        assert not orphan_job.exists()
        assert not model.parent.exists()
        assert not (data / "datasets" / dataset / ".ingest").exists()
        assert stranger.read_text() == "kept"
        # what rows own is untouched and still served
        assert (data / "jobs" / job_id).is_dir()
        got = api.client.get(f"/datasets/{dataset}/data?format=gpkg", headers=api.h("planner"))
        assert got.status_code == 200 and got.content.startswith(b"SQLite format 3")
        assert api.client.get(f"/jobs/{job_id}", headers=api.h("planner")).json()["status"] == "successful"
