"""A bureau's own ledger through the service (issue 10, item 7): suggestions, ``columns``, layer roles.

The 供地台账 of tests/ledgers.py, zipped as a bureau sends it (GBK, no ``.cpg``). With the column
mapping the statuses are those worked out by hand in tests/test_ledgers_e2e.py (as-of 2025-06-30):
GD-01 idle_recoverable, GD-02 and GD-05 idle, GD-03 and GD-04 not_idle, GD-06 unknown.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import LineString, Point, box

from tests.api.conftest import Api
from tests.ledgers import SUPPLY_LEDGER, write_gbk_shapefile

MAPPING = {
    "columns": {
        "supply_date": "供地时间",
        "agreed_start_date": "约定开工时",
        "actual_start_date": "实际开工时",
        "land_use": "用地性质",
        "tax_wan": "年纳税额",
    },
    "land_use_scheme": "gbt21010-2017",
}


def _ledger_zip(tmp_path: Path) -> bytes:
    shp = write_gbk_shapefile(SUPPLY_LEDGER, tmp_path / "ledger" / "gongdi.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(shp.parent.iterdir()):
            z.write(part, part.name)
    return buf.getvalue()


def _upload(api: Api, name: str, data: bytes, columns: object = None):
    fields = {} if columns is None else {"columns": json.dumps(columns, ensure_ascii=False)}
    return api.client.post("/datasets", headers=api.h("planner"), files={"file": (name, data)}, data=fields)


def _nothing_kept(api: Api) -> None:
    assert api.client.get("/datasets", headers=api.h("planner")).json()["items"] == []


def test_an_upload_report_carries_the_suggestions(sqlite_api: Api, tmp_path: Path) -> None:
    r = _upload(sqlite_api, "gongdi.zip", _ledger_zip(tmp_path))
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    pairs = {s["column"]: s["canonical"] for s in report["suggestions"]}
    assert pairs["约定开工时"] == "agreed_start_date" and pairs["用地性质"] == "land_use"
    assert report["column_mapping"] is None


def test_the_mapping_given_at_upload_is_recorded_and_used_by_the_analysis(
    sqlite_api: Api, tmp_path: Path
) -> None:
    r = _upload(sqlite_api, "gongdi.zip", _ledger_zip(tmp_path), MAPPING)
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert report["column_mapping"] == {
        "source": "columns",
        "values": {},
        "industry_scheme": "auto",
        **MAPPING,
    }
    assert "约定开工时" not in {s["column"] for s in report["suggestions"]}
    job = sqlite_api.client.post(
        "/analyses",
        headers=sqlite_api.h("planner"),
        json={"dataset_id": r.json()["id"], "as_of": "2025-06-30"},
    )
    assert job.status_code == 202, job.text
    done = sqlite_api.wait("planner", job.json()["job_id"], timeout=120)
    assert done["status"] == "successful", done
    result = sqlite_api.client.get(f"/jobs/{done['id']}/results", headers=sqlite_api.h("planner")).json()
    counts = {k: v["count"] for k, v in result["summary"]["idle_status"].items() if v["count"]}
    assert counts == {"not_idle": 2, "idle": 2, "idle_recoverable": 1, "unknown": 1}
    assert result["summary"]["columns"]["mapping"]["columns"] == MAPPING["columns"]


def test_a_mapping_in_the_analysis_request_overrides_and_is_validated(
    sqlite_api: Api, tmp_path: Path
) -> None:
    r = _upload(sqlite_api, "gongdi.zip", _ledger_zip(tmp_path))
    dataset = r.json()["id"]
    bad = sqlite_api.client.post(
        "/analyses",
        headers=sqlite_api.h("planner"),
        json={"dataset_id": dataset, "columns": {"columns": {"agreed_strat_date": "约定开工时"}}},
    )
    assert bad.status_code == 422
    assert "columns.agreed_strat_date: 不是标准字段名 not a canonical column" in bad.text
    missing = sqlite_api.client.post(
        "/analyses",
        headers=sqlite_api.h("planner"),
        json={"dataset_id": dataset, "as_of": "2025-06-30", "columns": {"columns": {"tax_wan": "纳税"}}},
    )
    assert missing.status_code == 202
    done = sqlite_api.wait("planner", missing.json()["job_id"], timeout=120)
    assert done["status"] == "failed"
    assert "columns.tax_wan: 字段 '纳税' 不在" in (done["message"] or "")


def test_a_bad_mapping_at_upload_is_a_422_naming_the_key_and_nothing_is_kept(
    sqlite_api: Api, tmp_path: Path
) -> None:
    data = _ledger_zip(tmp_path)
    r = _upload(
        sqlite_api, "gongdi.zip", data, {"columns": {"supply_date": "供地时间"}, "land_use_scheme": "x"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("columns: land_use_scheme: 未知的分类 unknown scheme 'x'")
    r = _upload(sqlite_api, "gongdi.zip", data, {"columns": {"agreed_start_date": "约定动工时"}})
    assert r.status_code == 422
    assert "columns.agreed_start_date: 字段 '约定动工时' 不在" in r.json()["error"]["message"]
    r = sqlite_api.client.post(
        "/datasets", headers=sqlite_api.h("planner"), files={"file": ("g.zip", data)}, data={"columns": "{"}
    )
    assert r.status_code == 422 and "not valid JSON" in r.text
    _nothing_kept(sqlite_api)


def _park(path: Path, empty: str | None = None) -> bytes:
    x0, y0 = 36_500_000, 2_500_000
    crs = "EPSG:4524"
    gpd.GeoDataFrame(
        {"parcel_id": ["P0", "P1"]},
        geometry=[box(x0, y0, x0 + 100, y0 + 100), box(x0 + 200, y0, x0 + 300, y0 + 100)],
        crs=crs,
    ).to_file(path, layer="parcels")
    gpd.GeoDataFrame(
        {"name": ["主干道"]}, geometry=[LineString([(x0, y0 - 10), (x0 + 300, y0 - 10)])], crs=crs
    ).to_file(path, layer="roads")
    gpd.GeoDataFrame({"weight": [3.0]}, geometry=[Point(x0 + 50, y0 + 50)], crs=crs).to_file(
        path, layer="demand"
    )
    gpd.GeoDataFrame({"kind": ["禁建区"]}, geometry=[box(x0 + 500, y0, x0 + 600, y0 + 100)], crs=crs).to_file(
        path, layer="exclusion"
    )
    if empty:
        gpd.GeoDataFrame({"name": []}, geometry=[], crs=crs).to_file(path, layer=empty)
    return path.read_bytes()


def test_non_parcel_layers_are_recognised_not_broken_parcel_layers(sqlite_api: Api, tmp_path: Path) -> None:
    r = sqlite_api.upload("planner", "park.gpkg", _park(tmp_path / "park.gpkg"))
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert report["layer"] == "parcels" and report["ok"] is True
    layers = report["layer_reports"]
    assert {name: item["role"] for name, item in layers.items()} == {
        "parcels": "parcels",
        "roads": "lines",
        "demand": "points",
        "exclusion": "polygons",
    }
    for name in ("roads", "demand", "exclusion"):
        assert layers[name]["ok"] is True, layers[name]["problems"]
        assert layers[name]["suggestions"] == [] and layers[name]["columns_missing"] == []


def test_an_empty_layer_is_refused_at_upload(sqlite_api: Api, tmp_path: Path) -> None:
    r = sqlite_api.upload("planner", "park.gpkg", _park(tmp_path / "park.gpkg", empty="facilities"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] == (
        "图层 facilities 没有任何要素 — layer 'facilities' is empty (0 features); remove it"
    )
    _nothing_kept(sqlite_api)


def test_a_re_inspection_uses_the_mapping_given_at_upload(sqlite_api: Api, tmp_path: Path) -> None:
    r = _upload(sqlite_api, "gongdi.zip", _ledger_zip(tmp_path), MAPPING)
    assert r.status_code == 201, r.text
    job = sqlite_api.client.post(f"/datasets/{r.json()['id']}/inspections", headers=sqlite_api.h("planner"))
    assert job.status_code == 202, job.text
    done = sqlite_api.wait("planner", job.json()["job_id"], timeout=120)
    assert done["status"] == "successful", done
    result = sqlite_api.client.get(f"/jobs/{done['id']}/results", headers=sqlite_api.h("planner")).json()
    assert result["column_mapping"]["columns"] == MAPPING["columns"]
