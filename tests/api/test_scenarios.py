"""Versioned scenarios, runs pinned to their version, plans end to end, comparisons."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.api.conftest import Api, clinic_scenario, park_gpkg


def _park(api: Api, tmp_path: Path) -> str:
    r = api.upload("planner", "park.gpkg", park_gpkg(tmp_path))
    assert r.status_code == 201, r.text
    assert set(r.json()["report"]["layer_reports"]) == {"parcels", "demand"}
    return str(r.json()["id"])


def test_versions_and_pinned_runs(api: Api, tmp_path: Path) -> None:
    dataset = _park(api, tmp_path)
    h = api.h("planner")
    created = api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset))
    assert created.status_code == 201 and created.json()["version"] == 1
    sid = created.json()["id"]
    edited = api.client.put(
        f"/scenarios/{sid}", headers=h, json=clinic_scenario(dataset, count=2, name="两站方案")
    )
    assert edited.status_code == 201 and edited.json() == {"id": sid, "version": 2}
    latest = api.client.get(f"/scenarios/{sid}", headers=h).json()
    assert latest["version"] == 2 and latest["name"] == "两站方案"
    assert [v["version"] for v in latest["versions"]] == [1, 2]
    assert latest["body"]["facilities"][0]["count"] == 2
    first = api.client.get(f"/scenarios/{sid}/versions/1", headers=h).json()
    assert first["body"]["facilities"][0]["count"] == 1 and first["body"]["parcels"]["path"] == dataset
    assert api.client.get(f"/scenarios/{sid}/versions/3", headers=h).status_code == 404
    run = api.client.post(f"/scenarios/{sid}/runs", headers=h, json={"version": 1})
    assert run.status_code == 202
    job = api.client.get(f"/jobs/{run.json()['job_id']}", headers=h).json()
    assert (job["scenario_id"], job["scenario_version"]) == (sid, 1)
    runs = api.client.get(f"/scenarios/{sid}/runs", headers=h).json()["items"]
    assert [r["id"] for r in runs] == [job["id"]]
    api.wait("planner", job["id"], timeout=120)
    listed = api.client.get("/scenarios", headers=api.h("viewer")).json()["items"]
    assert [s["id"] for s in listed] == [sid]
    assert api.client.delete(f"/scenarios/{sid}", headers=h).status_code == 204
    assert api.client.get(f"/scenarios/{sid}", headers=h).status_code == 404
    assert api.client.post(f"/scenarios/{sid}/runs", headers=h).status_code == 404


@pytest.mark.parametrize(
    "extra",
    [
        {"owner_id": "someone"},
        {"workspace": "ws2"},
        {"status": "successful"},
        {"result": {"objective": 1}},
        {"id": "x"},
        {"unknown_key": 1},
    ],
)
def test_mass_assignment_is_422(sqlite_api: Api, tmp_path: Path, extra: dict) -> None:
    dataset = _park(sqlite_api, tmp_path)
    r = sqlite_api.client.post(
        "/scenarios", headers=sqlite_api.h("planner"), json=clinic_scenario(dataset) | extra
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert sqlite_api.client.get("/scenarios", headers=sqlite_api.h("planner")).json()["items"] == []


@pytest.mark.parametrize(
    "parcels",
    [
        {"path": "/etc/passwd"},
        {"path": "../../datasets/x/data.gpkg"},
        {"path": "/vsicurl/http://169.254.169.254/"},
        "no-such-dataset",
        {"path": "{d}", "crs": "+init=/etc/passwd"},
    ],
)
def test_layer_references_must_be_own_datasets(sqlite_api: Api, tmp_path: Path, parcels: object) -> None:
    dataset = _park(sqlite_api, tmp_path)
    if isinstance(parcels, dict):
        parcels = {k: (v.replace("{d}", dataset) if isinstance(v, str) else v) for k, v in parcels.items()}
    body = clinic_scenario(dataset) | {"parcels": parcels}
    r = sqlite_api.client.post("/scenarios", headers=sqlite_api.h("planner"), json=body)
    assert r.status_code == 422, r.text


def test_other_workspace_dataset_cannot_be_referenced(sqlite_api: Api, tmp_path: Path) -> None:
    theirs = sqlite_api.upload("other", "park.gpkg", park_gpkg(tmp_path)).json()["id"]
    r = sqlite_api.client.post("/scenarios", headers=sqlite_api.h("planner"), json=clinic_scenario(theirs))
    assert r.status_code == 422
    assert theirs not in r.text or "not a vector dataset of this workspace" in r.text


def test_invalid_scenario_rules_are_named(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = _park(sqlite_api, tmp_path)
    body = clinic_scenario(dataset)
    body["facilities"][0] |= {"count": 2, "min_count": 1}
    r = sqlite_api.client.post("/scenarios", headers=sqlite_api.h("planner"), json=body)
    assert r.status_code == 422 and "count" in r.json()["error"]["message"]


@pytest.mark.slow
def test_plan_run_end_to_end_and_comparison(api: Api, tmp_path: Path) -> None:
    dataset = _park(api, tmp_path)
    h = api.h("planner")
    jobs = []
    for count in (1, 2):
        sid = api.client.post(
            "/scenarios", headers=h, json=clinic_scenario(dataset, count, f"{count} 站")
        ).json()["id"]
        job_id = api.client.post(f"/scenarios/{sid}/runs", headers=h).json()["job_id"]
        jobs.append(job_id)
    for job_id in jobs:
        job = api.wait("planner", job_id, timeout=180)
        assert job["status"] == "successful", job
    one = api.client.get(f"/jobs/{jobs[0]}/results", headers=api.h("viewer")).json()
    # MCLP by hand: the clinic on P2 covers the three points of weight 10; P0's point (5) stays out
    assert one["status"] == "optimal"
    assert one["objective"] == pytest.approx(30) and one["covered_demand"] == pytest.approx(30)
    assert one["coverage_ratio"] == pytest.approx(30 / 35)
    assert one["selected"] == [{"parcel_id": "P2", "type": "clinic", "action": "facility:clinic"}]
    for path, magic in (("map.html", b"<!DOCTYPE html>"), ("briefing.pdf", b"%PDF")):
        got = api.client.get(f"/jobs/{jobs[0]}/{path}", headers=api.h("viewer"))
        assert got.status_code == 200 and got.content.lstrip()[: len(magic)].lower() == magic.lower(), path
    layer = api.client.get(f"/jobs/{jobs[0]}/layers/plan?format=geojson", headers=api.h("viewer")).json()
    actions = {f["properties"]["parcel_id"]: f["properties"]["action"] for f in layer["features"]}
    assert actions["P2"] == "facility:clinic"
    compared = api.client.post("/comparisons", headers=api.h("viewer"), json={"job_ids": jobs})
    assert compared.status_code == 200
    rows = compared.json()["rows"]
    assert [r["covered_demand"] for r in rows] == pytest.approx([30, 35])
    assert [r["selected"] for r in rows] == [1, 2]
    assert [r["name"] for r in rows] == ["1 站", "2 站"]
    if api.settings.store.is_postgres:
        engine = sa.create_engine(api.settings.store.sqlalchemy_url())
        with engine.connect() as conn:
            for table in one["postgis_tables"]:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() > 0
        engine.dispose()
        assert any(
            t.endswith(jobs[0].lower().replace("-", "_")) or "plan_parcels" in t
            for t in one["postgis_tables"]
        )


def test_comparison_refuses_unfinished_or_foreign_jobs(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = _park(sqlite_api, tmp_path)
    inspect = sqlite_api.client.post(
        f"/datasets/{dataset}/inspections", headers=sqlite_api.h("planner")
    ).json()
    sqlite_api.wait("planner", inspect["job_id"])
    r = sqlite_api.client.post(
        "/comparisons",
        headers=sqlite_api.h("viewer"),
        json={"job_ids": [inspect["job_id"], inspect["job_id"]]},
    )
    assert r.status_code == 409
    r = sqlite_api.client.post(
        "/comparisons",
        headers=sqlite_api.h("other"),
        json={"job_ids": [inspect["job_id"], inspect["job_id"]]},
    )
    assert r.status_code == 404


def test_wrong_json_types_are_422_not_500(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = _park(sqlite_api, tmp_path)
    body = clinic_scenario(dataset)
    body["facilities"][0]["allowed_planned_use"] = False  # found by schemathesis
    r = sqlite_api.client.post("/scenarios", headers=sqlite_api.h("planner"), json=body)
    assert r.status_code == 422, r.text
