"""The workbench's routes over a real analysis: indicator scores against ideal values worked out by
hand, and the briefing of selected parcels (in a worker; unknown ids named; other workspaces 404)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, make_settings, start_api

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str]]:
    root = tmp_path_factory.mktemp("wb")
    subprocess.run(
        [sys.executable, "data/make_sample.py", "--out", str(root / "sample")],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    settings = make_settings(root / "data")
    settings.uploads.max_layers = 10  # the sample park has six layers
    for api in start_api(settings):
        upload = api.upload("planner", "park.gpkg", (root / "sample" / "yulin_park.gpkg").read_bytes())
        assert upload.status_code == 201, upload.text
        r = api.client.post(
            "/analyses",
            headers=api.h("planner"),
            json={"dataset_id": upload.json()["id"], "layer": "parcels", "as_of": "2026-06-30"},
        )
        job = api.wait("planner", r.json()["job_id"], timeout=180)
        assert job["status"] == "successful", job
        yield api, job["id"]


def test_indicator_scores_are_actual_over_ideal(analysed: tuple[Api, str]) -> None:
    api, job_id = analysed
    answer = api.client.get(f"/jobs/{job_id}/indicator-scores", headers=api.h("viewer"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    indicators = api.client.get(f"/jobs/{job_id}/results", headers=api.h("viewer")).json()["indicators"]
    assert body["preset"] == "national" and body["zone_type"] == indicators["zone_type"]
    presets = api.client.get("/presets", headers=api.h("viewer")).json()["items"]
    ideal = next(p for p in presets if p["name"] == "national")["scores"][body["zone_type"]]
    scored = {i["key"]: i for i in body["items"]}
    assert len(scored) >= 8, body  # the sample park is an industry-led zone with every indicator
    for key, item in scored.items():
        actual, target = indicators[key], ideal[key]["ideal"]
        assert item["actual"] == pytest.approx(actual) and item["ideal"] == pytest.approx(target)
        if ideal[key]["direction"] == "negative":  # the idle land rate: less is better
            expected = 100.0 if actual <= 0 else min(target / actual, 1.0) * 100
        else:
            expected = min(actual / target, 1.0) * 100
        assert item["score"] == pytest.approx(expected), key
    # other workspaces do not see the job; a job that is not an analysis is refused
    assert api.client.get(f"/jobs/{job_id}/indicator-scores", headers=api.h("other")).status_code == 404


def test_briefing_of_selected_parcels(analysed: tuple[Api, str], tmp_path: Path) -> None:
    api, job_id = analysed
    url = f"/jobs/{job_id}/briefings"
    answer = api.client.post(url, headers=api.h("viewer"), json={"parcels": ["YL-GX-0127", "YL-GX-0200"]})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf" and answer.content[:5] == b"%PDF-"
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(answer.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "YL-GX-0127" in text and "YL-GX-0200" in text and "YL-GX-0331" not in text  # 0331: idle
    # the worker's files are gone once answered
    assert not any((api.settings.store.data_dir / "jobs" / job_id / "briefings").glob("*/briefing.pdf"))

    unknown = api.client.post(url, headers=api.h("viewer"), json={"parcels": ["YL-GX-0127", "NOPE-9"]})
    assert unknown.status_code == 404  # maps.briefing: NotFoundError, naming the id
    assert "NOPE-9" in unknown.json()["error"]["message"] and "/" not in unknown.json()["error"]["message"]
    assert api.client.post(url, headers=api.h("viewer"), json={"parcels": []}).status_code == 422
    assert api.client.post(url, headers=api.h("other"), json={"parcels": ["YL-GX-0127"]}).status_code == 404
    assert api.client.post(url, json={"parcels": ["YL-GX-0127"]}).status_code == 401
