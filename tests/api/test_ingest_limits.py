"""Upload checks cannot be held hostage (issue 9, item 2; hardening A11).

A GeoPackage whose layer is a recursive SQL view never finishes counting its features. Its
metadata read is killed after ``metadata_time_limit_s`` (a few seconds), not after the whole ingest
limit, and the check slots are shared per token and per workspace: one planner's hostile files do
not make everyone else's upload answer 429.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box

from api.errors import QueueFullError
from api.jobs import IngestSlots
from tests.api.conftest import Api, make_settings, parcels_geojson, start_api


def recursive_view_gpkg(path: Path) -> bytes:
    """A real GeoPackage (a few KB) whose only feature layer ``parcels`` is a never-ending recursive view."""
    path.unlink(missing_ok=True)
    seed = gpd.GeoDataFrame({"parcel_id": ["P0"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4524")
    seed.to_file(path, layer="seed")
    with sqlite3.connect(path) as con:
        con.executescript(
            """
            CREATE VIEW parcels AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
              SELECT r.n AS fid, 'P' || r.n AS parcel_id, s.geom AS geom FROM r, seed s;
            INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
              VALUES ('parcels', 'features', 'parcels', 4524);
            INSERT INTO gpkg_geometry_columns VALUES ('parcels', 'geom', 'POLYGON', 4524, 0, 0);
            DELETE FROM gpkg_geometry_columns WHERE table_name = 'seed';
            DELETE FROM gpkg_contents WHERE table_name = 'seed';
            """
        )
    return path.read_bytes()


@pytest.fixture
def limited_api(tmp_path: Path) -> Iterator[Api]:
    settings = make_settings(tmp_path / "data")
    uploads = settings.uploads.model_copy(
        update={
            "metadata_time_limit_s": 3,
            "ingest_slots": 2,
            "ingest_slots_per_workspace": 1,
            "ingest_slots_per_token": 1,
            "ingest_wait_s": 30,
        }
    )
    yield from start_api(settings.model_copy(update={"uploads": uploads}))


def test_recursive_views_do_not_block_the_bureau(limited_api: Api, tmp_path: Path) -> None:
    api = limited_api
    hostile = [recursive_view_gpkg(tmp_path / f"view{i}.gpkg") for i in range(2)]
    assert len(hostile[0]) < 200_000
    answers: dict[str, Any] = {}

    def upload(key: str, who: str, name: str, data: bytes) -> None:
        started = time.monotonic()
        answer = api.upload(who, name, data)
        answers[key] = (answer, time.monotonic() - started)

    threads = [
        threading.Thread(target=upload, args=(f"view{i}", "planner", f"view{i}.gpkg", data))
        for i, data in enumerate(hostile)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # both hostile checks are in their slot or waiting for the planner's share
    # another workspace's planner uploads a good layer meanwhile: it gets a slot at once
    upload("good", "other", "parcels.geojson", parcels_geojson())
    for thread in threads:
        thread.join(timeout=120)

    good, good_s = answers["good"]
    assert good.status_code == 201, good.text
    assert good_s < 20, f"the good upload waited {good_s:.1f} s"
    for key in ("view0", "view1"):
        answer, seconds = answers[key]
        assert answer.status_code == 422, answer.text
        message = answer.json()["error"]["message"]
        assert "parcels" in message and "3 秒" in message and "SQL" in message
        assert seconds < 40, f"{key} held its slot {seconds:.1f} s"
    # nothing of the refused uploads stayed
    assert [d["name"] for d in api.client.get("/datasets", headers=api.h("planner")).json()["items"]] == []


def test_slots_are_shared_per_token_and_workspace() -> None:
    slots = IngestSlots(total=3, per_workspace=2, per_token=1, wait_s=0.2, retry_after=7)
    with slots.hold("ws1", "alice"):
        with pytest.raises(QueueFullError, match="previous upload") as refused, slots.hold("ws1", "alice"):
            pass
        assert refused.value.retry_after == 7
        with slots.hold("ws1", "bob"):
            with pytest.raises(QueueFullError, match="workspace's share"), slots.hold("ws1", "carol"):
                pass
            # another workspace still gets the last slot; then the total is reached
            with (
                slots.hold("ws2", "dave"),
                pytest.raises(QueueFullError, match="too many uploads"),
                slots.hold("ws3", "erin"),
            ):
                pass
    # all released: the same token may start again, and a waiter gets a slot freed meanwhile
    with slots.hold("ws1", "alice"):
        pass
    slow = IngestSlots(total=1, per_workspace=1, per_token=1, wait_s=5, retry_after=1)
    release = threading.Event()

    def holder() -> None:
        with slow.hold("ws1", "alice"):
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    time.sleep(0.1)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with slow.hold("ws2", "bob"):
        assert time.monotonic() - started < 3
    thread.join()
