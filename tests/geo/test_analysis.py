"""run_analysis as the API service and the optimizer call it: shape, bad input, data issues, invariants."""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.analysis import RESULT_COLUMNS, AnalysisResult, parse_as_of, run_analysis
from geo.errors import CRSError, InputError, SchemaError
from geo.rules.idle import IDLE_CLASSES
from geo.rules.presets import REASON_CODES
from tests.geo.test_idle import parcels_frame
from tests.geo.test_low_efficiency import base

AS_OF = "2026-06-30"


def test_result_shape_and_input_untouched():
    gdf = parcels_frame([{"parcel_id": "A", **base()}, {"parcel_id": "B", **base(tax_wan=None)}])
    gdf.index = pd.Index([10, 20])
    before = gdf.copy()
    result = run_analysis(gdf, as_of=AS_OF)
    assert isinstance(result, AnalysisResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.indicators = {}  # type: ignore[misc]
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))
    out = result.parcels
    assert list(out.index) == [10, 20]
    assert out.crs == gdf.crs
    assert list(out.columns[: len(before.columns) - 1]) == [c for c in before.columns if c != "geometry"]
    for column in RESULT_COLUMNS:
        assert column in out.columns
    assert result.as_of == dt.date(2026, 6, 30)
    assert result.preset.name == "national"


def test_rerunning_on_an_analysis_output_replaces_the_computed_columns():
    gdf = parcels_frame([{"parcel_id": "A", **base()}])
    once = run_analysis(gdf, as_of=AS_OF).parcels
    twice = run_analysis(once, as_of=AS_OF).parcels
    assert list(twice.columns) == list(once.columns)


def test_summary_counts_areas_and_fees():
    rows = [
        {
            "parcel_id": "I1",
            "supply_type": "出让",
            "agreed_start_date": "2025-03-01",
            "actual_start_date": None,
            "land_price_wan": 1200.0,
        },
        {
            "parcel_id": "I2",
            "supply_type": "出让",
            "agreed_start_date": "2025-01-01",
            "actual_start_date": None,
            "land_price_wan": 300.0,
            "area_m2": 20_000.0,
        },
        {"parcel_id": "N", "supply_type": "未供"},
    ]
    summary = run_analysis(parcels_frame(rows), as_of=AS_OF).summary
    assert summary["parcels"] == 3
    assert summary["area_mu"] == pytest.approx(60.0)  # 10 000 + 20 000 + 10 000 m² = 40 000 m² = 60 亩
    assert summary["idle"] == {
        "count": 2,
        "area_mu": pytest.approx(45.0),
        "fee_wan": pytest.approx(300.0),
        "fee_unknown": 0,
    }
    assert summary["idle_status"]["not_applicable"] == {"count": 1, "area_mu": pytest.approx(15.0)}
    assert summary["reasons"]["idle"]["count"] == 2


def test_layer_errors():
    gdf = parcels_frame([{"parcel_id": "A"}])
    with pytest.raises(CRSError, match="不是投影坐标系"):
        run_analysis(gdf.to_crs(4490), as_of=AS_OF)
    with pytest.raises(CRSError, match="no CRS"):
        run_analysis(gdf.set_crs(None, allow_override=True), as_of=AS_OF)
    twice = parcels_frame([{"parcel_id": "A"}, {"parcel_id": "A"}])
    with pytest.raises(SchemaError, match=r"duplicate parcel ids\): A"):
        run_analysis(twice, as_of=AS_OF)
    with pytest.raises(SchemaError, match="parcel_id"):
        run_analysis(gdf.drop(columns="parcel_id"), as_of=AS_OF)
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        run_analysis(gdf, as_of="30/06/2026")


def test_as_of_defaults_to_today():
    assert parse_as_of(None) == dt.date.today()
    assert parse_as_of("2026-06-30") == dt.date(2026, 6, 30)


def test_data_issues_name_parcel_column_value_and_set_rules_aside():
    rows = [
        {"parcel_id": "NEG", **base(floor_area_m2=-5.0)},
        {"parcel_id": "BIG", **base(footprint_m2=12_000.0)},  # parcel is 10 000 m²
        {"parcel_id": "CODE", **base(land_use="1099")},
        {"parcel_id": "FUT", **base(supply_date="2027-01-01")},
        {"parcel_id": "OLD", **base(actual_start_date="1900-01-01")},
        {"parcel_id": "IND", **base(industry_code="3A")},
        {"parcel_id": "YEAR", **base(production_year=2030)},
    ]
    result = run_analysis(parcels_frame(rows), as_of=AS_OF)
    issues = result.data_issues
    assert list(issues.columns) == ["parcel_id", "column", "value", "problem"]
    found = {(r.parcel_id, r.column): (r.value, r.problem) for r in issues.itertuples()}
    problems = issues.groupby(["parcel_id", "column"])["problem"].agg(" | ".join)
    assert found[("NEG", "floor_area_m2")][0] == "-5.0"
    assert "负数" in found[("NEG", "floor_area_m2")][1]
    assert "大于地块面积" in found[("BIG", "footprint_m2")][1]
    assert found[("CODE", "land_use")][0] == "1099"
    assert "用地用海分类" in found[("CODE", "land_use")][1]
    assert "未来日期" in found[("FUT", "supply_date")][1]
    # 1900 is both implausible and before the supply date: both are listed
    assert "早于1949-10-01" in problems[("OLD", "actual_start_date")]
    assert "早于供地日期" in problems[("OLD", "actual_start_date")]
    assert "两位" in found[("IND", "industry_code")][1]
    assert ("YEAR", "production_year") in found
    out = result.parcels.set_index("parcel_id")
    assert "not_evaluated:far_below_min(invalid floor_area_m2)" in out.loc["NEG", "low_eff_not_evaluated"]
    assert "not_evaluated:coef_below_min(invalid footprint_m2)" in out.loc["BIG", "low_eff_not_evaluated"]
    assert "not_evaluated:far_below_min(invalid land_use)" in out.loc["CODE", "low_eff_not_evaluated"]
    assert "not_evaluated:far_below_min(invalid industry_code)" in out.loc["IND", "low_eff_not_evaluated"]
    assert out.loc["OLD", "idle_status"] == "unknown"
    # the output keeps the values as given; only the rules set them aside
    assert out.loc["NEG", "floor_area_m2"] == -5.0
    for pid in ("NEG", "BIG", "CODE", "IND"):
        assert out.loc[pid, "low_efficiency"] is pd.NA


def test_progress_is_reported_in_order():
    seen: list[tuple[str, float]] = []
    run_analysis(parcels_frame([{"parcel_id": "A"}]), as_of=AS_OF, progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [s for s, _ in seen][-1] == "done"


_dates = st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2026, 6, 30)).map(str))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "supply_type": st.sampled_from(["出让", "划拨", "未供", None]),
                "agreed_start_date": _dates,
                "actual_start_date": _dates,
                "suspended_since": _dates,
                "gov_cause": st.sampled_from([True, False, None]),
                "floor_area_m2": st.one_of(st.none(), st.floats(0, 30_000)),
                "footprint_m2": st.one_of(st.none(), st.floats(0, 10_000)),
                "tax_wan": st.one_of(st.none(), st.floats(0, 500)),
                "land_price_wan": st.one_of(st.none(), st.floats(0, 5000)),
                "policy_class": st.sampled_from(["允许", "淘汰", None]),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_invariants(rows):
    gdf = parcels_frame(
        [{"parcel_id": f"H{i}", "land_use": "100101", "industry_code": "39", **r} for i, r in enumerate(rows)]
    )
    out = run_analysis(gdf, as_of=AS_OF).parcels
    codes = out["low_eff_reasons"].str.split(";").map(lambda t: [x for x in t if x in REASON_CODES])
    low = out["low_efficiency"]
    # true exactly when a contract reason fired; false only when nothing was left unevaluated
    assert ((low == True).fillna(False) == codes.map(bool)).all()  # noqa: E712
    assert (out.loc[(low == False).fillna(False), "low_eff_not_evaluated"] == "").all()  # noqa: E712
    # fees only on `idle`; the idle reason exactly on the idle classes
    assert (out.loc[out["idle_fee_wan"].fillna(0) > 0, "idle_status"] == "idle").all()
    has_idle = codes.map(lambda t: "idle" in t)
    assert (has_idle == out["idle_status"].isin(IDLE_CLASSES)).all()
    assert np.isfinite(out["area_mu"]).all()


def test_works_on_a_layer_with_only_ids():
    gdf = gpd.GeoDataFrame({"parcel_id": ["A", "B"]}, geometry=parcels_frame([{}, {}]).geometry, crs=4546)
    result = run_analysis(gdf, as_of=AS_OF)
    assert result.parcels["idle_status"].tolist() == ["unknown", "unknown"]
    assert result.parcels["idle_basis"].iloc[0] == "无法认定是否闲置：缺少供地方式"
    assert result.parcels["low_efficiency"].isna().all()
    assert result.indicators["zone_type"] is None


def test_report_parcel_sheets_stop_at_the_row_limit(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    import geo.export

    monkeypatch.setattr(geo.export, "REPORT_SHEET_ROWS", 2)
    rows = [{"parcel_id": f"N{i}", "supply_type": "未供"} for i in range(5)]
    paths = geo.export.write_outputs(run_analysis(parcels_frame(rows), as_of=AS_OF), tmp_path)
    sheet = load_workbook(paths["report_xlsx"])["未供地（不适用）"]
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[:3] == ["地块编号", "N0", "N1"]
    assert "另有 3 宗未列出" in values[3]
    # the CSV always has every parcel
    assert len(pd.read_csv(paths["parcels_csv"], encoding="utf-8-sig")) == 5


def test_core_imports_no_web_framework():
    import subprocess
    import sys

    code = (
        "import sys, geo.analysis, geo.export, geo.indicators, geo.rules.presets; "
        "print('fastapi' in sys.modules, 'starlette' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"
