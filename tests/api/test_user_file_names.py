"""Users read their own file names, and an upload is written once, inside the data dir (issue 9 item 9)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, clinic_scenario, parcels_geojson, park_gpkg

LAYOUT = ("data.gpkg", "data.geojson", "datasets/", "inputs/", "jobs/", ".ingest")


def _no_layout(text: str) -> None:
    for word in LAYOUT:
        assert word not in text, (word, text)


@pytest.fixture
def system_tmp_spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every file the ``tempfile`` module makes in the system temporary directory."""
    made: list[Any] = []
    real = tempfile.TemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        made.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", spy)
    return made


def test_upload_bodies_are_not_spooled_to_the_system_tmp(sqlite_api: Api, system_tmp_spy: list[Any]) -> None:
    big = parcels_geojson(n=6000)
    assert len(big) > 1024 * 1024  # past Starlette's 1 MiB in-memory spool
    r = sqlite_api.upload("planner", "big.geojson", big)
    assert r.status_code == 201, r.text
    junk = os.urandom(3 * 1024 * 1024)
    r = sqlite_api.upload("planner", "junk.tif", junk)
    assert r.status_code == 415, r.text
    assert system_tmp_spy == []
    folder = sqlite_api.settings.store.data_dir / "datasets" / r.json().get("id", "none")
    assert not folder.exists()


def test_an_upload_over_the_cap_is_413_while_it_streams(sqlite_api: Api, system_tmp_spy: list[Any]) -> None:
    r = sqlite_api.upload("planner", "huge.geojson", b"{" + b" " * (5 * 1024 * 1024))
    assert r.status_code == 413, r.text
    assert system_tmp_spy == []
    datasets = sqlite_api.settings.store.data_dir / "datasets"
    assert not datasets.exists() or list(datasets.iterdir()) == []


def test_messages_name_the_users_file(sqlite_api: Api, tmp_path: Path) -> None:
    h = sqlite_api.h("planner")
    r = sqlite_api.upload(
        "planner", "broken.geojson", b'{"type": "FeatureCollection", "features": [{"type": '
    )
    assert r.status_code in (415, 422), r.text
    assert "broken.geojson" in r.json()["error"]["message"], r.text
    _no_layout(r.text)

    r = sqlite_api.upload("planner", "yulin_parcels.gpkg", park_gpkg(tmp_path))
    assert r.status_code == 201, r.text
    dataset = r.json()["id"]
    assert r.json()["report"]["path"] == "yulin_parcels.gpkg"

    # two layers and no `layer`: the analysis fails naming the user's file
    r = sqlite_api.client.post("/analyses", headers=h, json={"dataset_id": dataset})
    job = sqlite_api.wait("planner", r.json()["job_id"])
    assert job["status"] == "failed"
    assert "yulin_parcels.gpkg" in job["message"], job["message"]
    _no_layout(job["message"])

    # a plan whose demand weight column does not exist
    body = clinic_scenario(dataset)
    body["demand"]["weight"] = "no_such_column"
    sid = sqlite_api.client.post("/scenarios", headers=h, json=body).json()["id"]
    job = sqlite_api.wait(
        "planner", sqlite_api.client.post(f"/scenarios/{sid}/runs", headers=h).json()["job_id"]
    )
    assert job["status"] == "failed" and "no_such_column" in job["message"], job
    _no_layout(job["message"])
