"""``panhuo analyze`` end to end on a tiny GeoPackage written here."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import load_workbook

from panhuo.cli import main
from tests.geo.test_idle import parcels_frame
from tests.geo.test_low_efficiency import base

CONTRACT_KEYS = [
    "zone_type",
    "land_development_rate",
    "land_supply_rate",
    "land_built_rate",
    "industrial_land_rate",
    "high_tech_land_rate",
    "overall_far",
    "building_density",
    "industrial_far",
    "industrial_building_coef",
    "industrial_invest_intensity",
    "industrial_tax_intensity",
    "idle_land_rate",
    "idle_disposal_rate",
    "intensity_score",
    "potential",
]


@pytest.fixture(scope="module")
def park(tmp_path_factory) -> Path:
    rows = [
        {"parcel_id": "YL-001", "name": "甲厂", **base()},
        {"parcel_id": "YL-002", "name": "乙厂", **base(floor_area_m2=5_000.0, building_grade="C")},
        {
            "parcel_id": "YL-003",
            "supply_type": "出让",
            "land_use": "100101",
            "agreed_start_date": "2025-03-01",
            "actual_start_date": None,
            "land_price_wan": 1200.0,
        },
        {"parcel_id": "YL-004", "supply_type": "未供", "land_use": "0101", "planned_use": "1001"},
        {"parcel_id": "YL-005", **base(footprint_m2=-1.0)},
    ]
    path = tmp_path_factory.mktemp("park") / "park.gpkg"
    parcels_frame(rows).to_file(path, layer="parcels", driver="GPKG")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["analyze", *args])
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_analyze_writes_every_output(park: Path, tmp_path: Path, capsys):
    out = tmp_path / "analysis"
    code, stdout, stderr = run(
        capsys, str(park), "--layer", "parcels", "--as-of", "2026-06-30", "--out", str(out)
    )
    assert code == 0, stderr
    for name in ("parcels.gpkg", "parcels.csv", "report.xlsx", "indicators.json", "data_issues.csv"):
        assert (out / name).is_file(), name
    for chart in ("status.png", "indicators.png"):
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", chart
    # console summary: counts, 亩, fees in 万元
    assert "5 宗地块，合计 75.00 亩" in stdout
    assert "闲置土地 1 宗 15.00 亩，应征土地闲置费 240.00 万元" in stdout
    assert "dangerous_building 1" in stdout

    layer = gpd.read_file(out / "parcels.gpkg", layer="parcels")
    assert len(layer) == 5
    for column in (
        "area_m2",
        "area_mu",
        "far",
        "idle_status",
        "idle_basis",
        "idle_fee_wan",
        "low_efficiency",
        "low_eff_reasons",
        "mujun_score",
        "mujun_class",
        "name",
    ):
        assert column in layer.columns
    by_id = layer.set_index("parcel_id")
    assert by_id.loc["YL-003", "idle_status"] == "idle"
    assert by_id.loc["YL-003", "idle_fee_wan"] == pytest.approx(240.0)
    assert by_id.loc["YL-002", "low_eff_reasons"] == "far_below_min;dangerous_building"

    raw = (out / "parcels.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    csv = pd.read_csv(out / "parcels.csv", encoding="utf-8-sig", dtype=str)
    for header in (
        "地块编号",
        "面积（亩）",
        "闲置状态",
        "闲置认定依据",
        "土地闲置费（万元）",
        "低效原因",
        "亩均效益分类",
    ):
        assert header in csv.columns
    assert csv.loc[0, "面积（亩）"] == "15.0"
    assert csv.set_index("地块编号").loc["YL-003", "约定动工日期"] == "2025-03-01"

    indicators = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    assert list(indicators) == CONTRACT_KEYS
    assert list(indicators["potential"]) == ["expansion_ha", "intensity_floor_area_m2", "years_of_supply"]

    book = load_workbook(out / "report.xlsx")
    assert book.sheetnames[0] == "汇总"
    for sheet in (
        "闲置（满一年未满两年）",
        "非闲置",
        "未供地（不适用）",
        "低效用地",
        "指标",
        "规则参数",
        "数据问题",
    ):
        assert sheet in book.sheetnames
    summary = book["汇总"]
    assert summary.freeze_panes == "A2"
    labels = {row[0].value: row for row in summary.iter_rows()}
    assert labels["闲置土地合计"][3].value == pytest.approx(240.0)
    issues = book["数据问题"]
    assert issues.cell(2, 1).value == "YL-005"
    params = [row[0].value for row in book["规则参数"].iter_rows()]
    assert "low_efficiency.rules.coef_below_min.min" in params

    issues_csv = pd.read_csv(out / "data_issues.csv", encoding="utf-8-sig", dtype=str)
    assert issues_csv.loc[0, "地块编号"] == "YL-005"


def test_bad_preset_is_refused_before_anything_runs(park: Path, tmp_path: Path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("low_efficiency:\n  rules:\n    coef_below_min: {minn: 0.4}\n", encoding="utf-8")
    out = tmp_path / "never"
    code, _, stderr = run(capsys, str(park), "--rules", str(bad), "--out", str(out))
    assert code == 2
    assert "'minn'" in stderr and "low_efficiency.rules.coef_below_min.minn" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_bad_options(park: Path, tmp_path: Path, capsys):
    code, _, stderr = run(capsys, str(park), "--raster", "ndvi", "--out", str(tmp_path / "o"))
    assert code == 2 and "NAME=PATH" in stderr
    code, _, stderr = run(
        capsys, str(park), "--raster", f"ndvi={tmp_path / 'no.tif'}", "--out", str(tmp_path / "o")
    )
    assert code == 2 and "not found" in stderr
    code, _, stderr = run(capsys, str(park), "--as-of", "2026-13-01", "--out", str(tmp_path / "o"))
    assert code == 2 and "YYYY-MM-DD" in stderr
    code, _, stderr = run(capsys, str(park), "--rules", "hubei", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown preset" in stderr
