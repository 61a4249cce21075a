"""Both doors make the same products: a CLI run and a service job of the same request write the same files.

The service asks :mod:`maps.products` for every optional product (it serves the map, the briefing
and the GeoJSON layers); the CLI asks for the same with ``--extras map,briefing,geojson``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from panhuo.cli import main
from tests.api.conftest import Api, clinic_scenario, parcels_geojson, park_gpkg

pytestmark = pytest.mark.slow


def _cli(*args: str) -> None:
    try:
        main(list(args))
    except SystemExit as done:  # typer exits 0 on success
        assert done.code in (0, None), done.code


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def test_cli_and_service_analyses_write_the_same_files(sqlite_api: Api, tmp_path: Path) -> None:
    data = parcels_geojson(5, idle_first=True)
    source = tmp_path / "p.geojson"
    source.write_bytes(data)
    dataset = sqlite_api.upload("planner", "p.geojson", data).json()["id"]
    r = sqlite_api.client.post(
        "/analyses",
        headers=sqlite_api.h("planner"),
        json={"dataset_id": dataset, "as_of": "2026-06-30", "rules": "national"},
    )
    job = sqlite_api.wait("planner", r.json()["job_id"], timeout=180)
    assert job["status"] == "successful", job
    service = sqlite_api.settings.store.data_dir / "jobs" / job["id"] / "out"
    cli = tmp_path / "cli"
    _cli("analyze", str(source), "--as-of", "2026-06-30", "--out", str(cli), "--no-progress",
         "--extras", "map,briefing,geojson")  # fmt: skip
    assert _files(cli) == _files(service)
    # the set is the whole product list, not an empty one on both sides
    assert {"parcels.gpkg", "parcels.csv", "report.xlsx", "indicators.json", "status.png"} <= _files(cli)
    assert {"map.html", "briefing.pdf", "parcels.geojson"} <= _files(cli)


def test_cli_and_service_plans_write_the_same_files(sqlite_api: Api, tmp_path: Path) -> None:
    data = park_gpkg(tmp_path)
    dataset = sqlite_api.upload("planner", "park.gpkg", data).json()["id"]
    h = sqlite_api.h("planner")
    sid = sqlite_api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset)).json()["id"]
    run = sqlite_api.client.post(f"/scenarios/{sid}/runs", headers=h, json={"version": 1})
    job = sqlite_api.wait("planner", run.json()["job_id"], timeout=180)
    assert job["status"] == "successful", job
    service = sqlite_api.settings.store.data_dir / "jobs" / job["id"] / "out"
    scenario = clinic_scenario("park.gpkg")
    scenario_path = tmp_path / "scenario.yaml"
    scenario_path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    cli = tmp_path / "cli"
    _cli("plan", str(scenario_path), "--out", str(cli), "--extras", "briefing,geojson")
    assert _files(cli) == _files(service)
    assert {"plan.json", "plan.gpkg", "map.html", "plan.geojson", "plan_demand.geojson"} <= _files(cli)
    # the browser's plan map reads the demand (covered or not) and the park's other parcels
    demand = sqlite_api.client.get(f"/jobs/{job['id']}/layers/demand?format=geojson", headers=h)
    assert demand.status_code == 200 and demand.headers["content-type"].startswith("application/geo+json")
    point = demand.json()["features"][0]
    assert point["geometry"]["type"] == "Point" and any(k.startswith("covered_") for k in point["properties"])
