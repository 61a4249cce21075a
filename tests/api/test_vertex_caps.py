"""The service's vertex caps (upload settings) refuse a huge polygon by feature (issue 9 item 8)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, make_settings, start_api


@pytest.fixture
def capped_api(tmp_path: Path) -> Iterator[Api]:
    settings = make_settings(tmp_path / "data")
    uploads = settings.uploads.model_copy(update={"max_vertices_per_feature": 1000})
    yield from start_api(settings.model_copy(update={"uploads": uploads}))


def test_a_feature_over_the_vertex_cap_is_422_naming_it(capped_api: Api) -> None:
    n = 5000
    star = [
        [
            116.0 + 0.01 * math.cos(2 * math.pi * i / n) * (1 + 0.3 * (i % 2)),
            39.0 + 0.01 * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    square = [[116.1, 39.0], [116.101, 39.0], [116.101, 39.001], [116.1, 39.001], [116.1, 39.0]]
    features = [
        {
            "type": "Feature",
            "properties": {"parcel_id": pid},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for pid, ring in (("OK-1", square), ("STAR-2", [*star, star[0]]))
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    r = capped_api.upload("planner", "园区地块.geojson", body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "geometry_error", error
    assert "STAR-2 (row 2): 5,001" in error["message"] and "1,000" in error["message"], error
    assert "园区地块.geojson" in error["message"], error
