"""Low-efficiency land: every reason code of contract §4 and every exemption, with hand-worked thresholds.

The base parcel (10 000 m² = 15 亩, industry 38 电气机械和器材制造业 of GB/T 4754-2017, which is 39 in the
GB/T 4754-2002 codes of the 2008 table: FAR floor 0.7) meets every floor of the ``ALL_RULES`` test preset
(every rule on, the old combined thresholds): FAR 1.0, building coefficient 40 %, admin 5 %, green 10 %,
investment 2 000 万元/公顷 (floor 1 200, the ledger's fixed assets including the land price), tax 15 万元 =
1 万元/亩. Each case changes one fact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from geo.analysis import run_analysis
from geo.rules.facts import Facts
from geo.rules.low_efficiency import derived_metrics, evaluate_low_efficiency
from geo.rules.presets import load_preset
from tests.geo.test_idle import X0, Y0, facts_of, parcels_frame

AS_OF = "2026-06-30"


def base(**changes: Any) -> dict[str, Any]:
    facts = {
        "land_use": "100101",
        "planned_use": "1001",
        "supply_type": "出让",
        "supply_date": "2017-01-01",
        "agreed_start_date": "2017-06-01",
        "actual_start_date": "2017-05-01",
        "suspended_since": None,
        "floor_area_m2": 10_000.0,
        "footprint_m2": 4_000.0,
        "admin_area_m2": 500.0,
        "green_area_m2": 1_000.0,
        "fixed_assets_wan": 2_000.0,
        "tax_wan": 15.0,
        "industry_code": "38",
        "policy_class": "允许",
        "building_grade": "A",
        "production_year": 2018,
        "enterprise": "某公司",
        "above_scale": False,
        "high_tech": False,
    }
    facts.update(changes)
    return facts


#: every rule on, with the thresholds the cases below were worked out for (a test preset, not a bundled one)
ALL_RULES = """
low_efficiency:
  rules:
    invest_below_min: {enabled: true, min: 1200.0, land_price: included}
    tax_below_avg_share: {enabled: true}
    rs_unbuilt: {enabled: true, when_no_raster: skip}
  exemptions:
    newly_in_production:
      kind: in_production_lt
      label_zh: 投产不满3年
      years: 3
      waives: [far_below_min, coef_below_min, invest_below_min, tax_below_avg_share]
    above_scale:
      kind: above_scale
      waives: [far_below_min, coef_below_min, invest_below_min, tax_below_avg_share]
"""


@pytest.fixture
def no_raster_rule(tmp_path: Path) -> str:
    """Every rule on (``ALL_RULES``), rs_unbuilt skipped when no raster is given."""
    path = tmp_path / "all_rules.yaml"
    path.write_text(ALL_RULES, encoding="utf-8")
    return str(path)


# (case, changes, expected low_eff_reasons, expected low_efficiency)
# Tax: park average is area-weighted over the industrial parcels with tax. With 13 parcels at 15 万元
# and the low one at 1.5 万元, all 15 亩: average = (13 × 15 + 1.5) / (14 × 15) = 0.9357 万元/亩;
# 40 % of it = 0.3743; the low parcel has 1.5 / 15 = 0.1 < 0.3743 → fires; the others have 1.0.
CASES: list[tuple[str, dict[str, Any], str, bool | None]] = [
    ("efficient", {}, "", False),
    ("far 0.6 < 0.7", {"floor_area_m2": 6_000.0}, "far_below_min", True),
    ("far exactly 0.7", {"floor_area_m2": 7_000.0}, "", False),
    ("coef 0.29 < 0.30", {"footprint_m2": 2_900.0}, "coef_below_min", True),
    ("admin 0.08 > 0.07", {"admin_area_m2": 800.0}, "admin_over_max", True),
    ("green 0.21 > 0.20", {"green_area_m2": 2_100.0}, "green_over_max", True),
    ("invest 1100 < 1200", {"fixed_assets_wan": 1_100.0}, "invest_below_min", True),
    ("tax 0.1 < 0.4 × avg", {"tax_wan": 1.5}, "tax_below_avg_share", True),
    ("eliminated industry", {"policy_class": "淘汰"}, "policy_eliminated", True),
    ("prohibited industry", {"policy_class": "禁止"}, "policy_eliminated", True),
    ("dangerous building", {"building_grade": "D"}, "dangerous_building", True),
    ("industry on residential plan", {"planned_use": "0701"}, "use_mismatch", True),
    ("warehouse on industrial plan is allowed", {"land_use": "110101"}, "", False),
    # not started, agreed start 2024-01-01: idle_recoverable; no buildings yet so FAR and coefficient fail too
    (
        "idle",
        {
            "actual_start_date": None,
            "agreed_start_date": "2024-01-01",
            "floor_area_m2": 0.0,
            "footprint_m2": 0.0,
            "production_year": None,
        },
        "far_below_min;coef_below_min;idle",
        True,
    ),
    # in production since 2024: 2026 − 2024 = 2 < 3 years → FAR waived and named
    (
        "new firm exempt",
        {"floor_area_m2": 6_000.0, "production_year": 2024},
        "exempt:newly_in_production",
        False,
    ),
    ("three years is not new", {"floor_area_m2": 6_000.0, "production_year": 2023}, "far_below_min", True),
    # exemptions never waive an eliminated industry
    (
        "new firm, eliminated industry",
        {"policy_class": "淘汰", "production_year": 2025},
        "policy_eliminated",
        True,
    ),
]


@pytest.fixture
def verdicts(no_raster_rule) -> pd.DataFrame:
    rows = [{"parcel_id": f"L{i:02d}", **base(**changes)} for i, (_, changes, _, _) in enumerate(CASES)]
    result = run_analysis(parcels_frame(rows), as_of=AS_OF, rules=no_raster_rule)
    return result.parcels.set_index("parcel_id")


@pytest.mark.parametrize(("i", "case"), list(enumerate(CASES)), ids=[c[0] for c in CASES])
def test_reason_codes(verdicts, i, case):
    _, _, reasons, low = case
    row = verdicts.loc[f"L{i:02d}"]
    assert row["low_eff_reasons"] == reasons, row["low_eff_not_evaluated"]
    assert row["low_eff_not_evaluated"] == ""
    assert (pd.NA if low is None else low) is row["low_efficiency"] or row["low_efficiency"] == low


def test_ratio_columns(verdicts):
    row = verdicts.loc["L00"]
    assert row["area_mu"] == pytest.approx(15.0)
    assert row["far"] == pytest.approx(1.0)
    assert row["building_coef"] == pytest.approx(0.4)
    assert row["admin_ratio"] == pytest.approx(0.05)
    assert row["green_ratio"] == pytest.approx(0.10)
    assert row["invest_intensity"] == pytest.approx(2000.0)
    assert row["tax_per_mu"] == pytest.approx(1.0)
    assert row["far_min"] == pytest.approx(0.7)


def test_missing_data_is_not_counted_as_efficient(no_raster_rule):
    gdf = parcels_frame(
        [
            {"parcel_id": "M1", **base(floor_area_m2=None)},
            # 2017's 43 修理 has no GB/T 4754-2002 counterpart, so no row of the 2008 table
            {"parcel_id": "M2", **base(industry_code="43")},
            {"parcel_id": "M3", **base(floor_area_m2=6_000.0, tax_wan=None)},  # fired beats missing
            {"parcel_id": "U", "land_use": "100101", "supply_type": "未供"},
            # land use unknown: the FAR of 0.6 must not be called low for land that may not be industrial
            {"parcel_id": "M4", **base(land_use=None, floor_area_m2=6_000.0)},
        ]
    )
    result = run_analysis(gdf, as_of=AS_OF, rules=no_raster_rule)
    out = result.parcels.set_index("parcel_id")
    assert out.loc["M1", "low_eff_not_evaluated"] == "not_evaluated:far_below_min(missing floor_area_m2)"
    assert out.loc["M1", "low_eff_reasons"] == ""
    assert out.loc["M1", "low_efficiency"] is pd.NA
    assert out.loc["M2", "low_eff_not_evaluated"] == "not_evaluated:far_below_min(unknown industry_code)"
    assert out.loc["M2", "low_efficiency"] is pd.NA
    assert out.loc["M3", "low_efficiency"] == True  # noqa: E712
    assert out.loc["M3", "low_eff_not_evaluated"] == "not_evaluated:tax_below_avg_share(missing tax_wan)"
    # unsupplied land is out of every rule: nothing could be evaluated
    assert out.loc["U", "low_efficiency"] is pd.NA
    assert out.loc["U", "low_eff_reasons"] == ""
    assert out.loc["M4", "low_eff_reasons"] == ""
    assert out.loc["M4", "low_efficiency"] is pd.NA
    assert out.loc["M4", "low_eff_not_evaluated"].startswith("not_evaluated:far_below_min(missing land_use)")
    issue = result.data_issues.set_index("parcel_id").loc["M2"]
    assert issue["column"] == "industry_code" and issue["value"] == "43"
    assert "不在容积率控制指标表中" in issue["problem"]


def test_absent_column_and_no_raster_are_out_of_scope_not_unknown(tmp_path: Path):
    """Contract §3: a rule whose input is absent from the whole analysis is out of scope, listed once;
    low_efficiency is decided on the rules in scope (here all evaluated, none fires → false).

    Remote sensing is not a national criterion: it is switched on here to show its out-of-scope entry."""
    path = tmp_path / "rs.yaml"
    path.write_text("low_efficiency:\n  rules:\n    rs_unbuilt: {enabled: true}\n", encoding="utf-8")
    row = {k: v for k, v in base().items() if k != "building_grade"}
    result = run_analysis(
        parcels_frame([{"parcel_id": "A", **row}, {"parcel_id": "B", **row}]), as_of=AS_OF, rules=str(path)
    )
    out = result.parcels.iloc[0]
    assert out["low_eff_not_evaluated"] == ""
    assert bool(out["low_efficiency"]) is False
    assert result.summary["rules_out_of_scope"] == [
        {
            "rule": "dangerous_building",
            "why": "missing building_grade",
            "why_zh": "图层无房屋安全等级（building_grade）字段",
        },
        {
            "rule": "rs_unbuilt",
            "why": "no raster",
            "why_zh": "未提供遥感栅格 --raster ndvi=… 或 builtup=…",
        },
    ]


def test_an_empty_value_of_a_rule_in_scope_leaves_low_efficiency_null():
    rows = [{"parcel_id": "A", **base()}, {"parcel_id": "B", **base(building_grade=None)}]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF).parcels
    assert out["low_efficiency"].tolist() == [False, pd.NA]
    assert out["low_eff_not_evaluated"].tolist() == [
        "",
        "not_evaluated:dangerous_building(missing building_grade)",
    ]


def test_unknown_industry_fallback(tmp_path: Path):
    user = tmp_path / "fallback.yaml"
    user.write_text(
        "low_efficiency:\n  rules:\n    far_below_min:\n"
        "      unknown_industry: fallback\n      fallback_min: 0.9\n",
        encoding="utf-8",
    )
    gdf = parcels_frame([{"parcel_id": "A", **base(industry_code="43", floor_area_m2=8_000.0)}])
    row = run_analysis(gdf, as_of=AS_OF, rules=str(user)).parcels.iloc[0]
    assert row["low_eff_reasons"] == "far_below_min"  # 0.8 < 0.9
    assert row["far_min"] == pytest.approx(0.9)


def test_jinhua_closed_list_and_standard_land_exemption():
    """金华征求意见稿: "符合下列标准之一，可认定为低效用地：(一)低效工业用地 1.容积率低于1.0或低于浙江省
    '标准地'控制指标60%的 … 6.可豁免情形：符合上述情形，同时符合'规上企业'，'战略新兴产业'，'对应行业工业
    项目"标准地"要求容积率低于1.0，且用地亩均税收大于8万元/亩'，'投产不满3年'等情形，则可以不予认定为低效用地。"

    FAR floor = max(1.0, 0.6 × table) = 1.0 for industry 38 (2017; 2002's 39 in the table, 0.7) and 40
    (2017 仪器仪表; 2002's 41, 1.0). The 标准地 exemption needs both the industry's requirement < 1.0 (38: 0.7
    yes; 40: exactly 1.0 no) and
    tax > 8 万元/亩 (strict: 120 万元 / 15 亩 = exactly 8.0 is not enough; 121.5 / 15 = 8.1 is).
    """
    rows = [
        {"parcel_id": "J0", **base(floor_area_m2=9_000.0)},  # 0.9 < 1.0 → fires
        {"parcel_id": "J1", **base(floor_area_m2=9_000.0, above_scale=True)},
        {"parcel_id": "J2", **base(floor_area_m2=9_000.0, high_tech=True)},
        {"parcel_id": "J3", **base(floor_area_m2=9_000.0, tax_wan=121.5)},  # 38: 0.7 < 1.0 and 8.1 > 8
        {"parcel_id": "J4", **base(floor_area_m2=9_000.0, tax_wan=120.0)},  # exactly 8.0: not > 8
        {
            "parcel_id": "J5",
            **base(floor_area_m2=9_000.0, tax_wan=150.0, industry_code="40"),
        },  # 1.0 not < 1.0
        {"parcel_id": "J6", **base(floor_area_m2=9_000.0, production_year=2024)},  # 2026 − 2024 < 3
        # national supply standards are not Jinhua criteria: coefficient 10 %, admin 50 %, green 50 %,
        # investment 0
        {
            "parcel_id": "J7",
            **base(footprint_m2=1_000.0, admin_area_m2=5_000.0, green_area_m2=5_000.0, fixed_assets_wan=0.0),
        },
        # an exemption covers every criterion: a C-grade building of an above-scale firm is waived too
        {"parcel_id": "J8", **base(building_grade="C", above_scale=True)},
        {"parcel_id": "J9", **base(tax_wan=15.0)},
        {"parcel_id": "JA", **base(tax_wan=15.0)},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules="zhejiang-jinhua").parcels.set_index(
        "parcel_id"
    )
    reasons = out["low_eff_reasons"].to_dict()
    assert out.loc["J0", "far_min"] == pytest.approx(1.0)
    assert reasons["J0"] == "far_below_min"
    assert reasons["J1"] == "exempt:above_scale"
    assert reasons["J2"] == "exempt:strategic_high_tech"
    assert reasons["J3"] == "exempt:far_with_high_tax"
    assert reasons["J4"] == "far_below_min"
    assert reasons["J5"] == "far_below_min"
    assert reasons["J6"] == "exempt:newly_in_production"
    assert reasons["J7"] == ""
    assert reasons["J8"] == "exempt:above_scale"
    assert out.loc["J7", "low_efficiency"] == False  # noqa: E712
    assert "coef_below_min" not in out.loc["J7", "low_eff_not_evaluated"]


def test_jinhua_logistics_land_has_its_own_list():
    """金华征求意见稿 "(二)低效物流仓储用地 1.低于当地上一年度分行业亩均税收平均水平40%的；2.…危旧楼宇(库房)
    占比达50%以上；3.纳入城市更新行动方案的仓储物流用地" — no plot-ratio test, no exemption.

    Sector 59 (three 物流仓储 parcels, 15 亩 each): tax 30, 30, 3 万元 → average 63 / 45 = 1.4 万元/亩,
    40 % = 0.56; 3 / 15 = 0.2 < 0.56 fires even for an above-scale firm; a FAR of 0.2 is not a criterion.
    """
    rows = [
        {
            "parcel_id": "W1",
            **base(land_use="110101", industry_code="59", tax_wan=30.0, floor_area_m2=2_000.0),
        },
        {"parcel_id": "W2", **base(land_use="110101", industry_code="59", tax_wan=30.0)},
        {"parcel_id": "W3", **base(land_use="110101", industry_code="59", tax_wan=3.0, above_scale=True)},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules="zhejiang-jinhua").parcels.set_index(
        "parcel_id"
    )
    assert out["low_eff_reasons"].to_dict() == {"W1": "", "W2": "", "W3": "tax_below_avg_share"}


def test_national_preset_holds_only_national_criteria():
    """国土资发〔2016〕147号 sets no numbers; the 2008 《工业项目建设用地控制指标》 "(三)工业项目的建筑系数应
    不得低于30%；(四)工业项目所需行政办公及生活服务设施用地面积不得超过工业项目总用地面积的7%" are supply
    standards. The tax share (Jinhua), an investment floor without 表1, remote sensing and the exemptions
    are off.
    """
    preset = load_preset("national")
    rules = preset.rules.low_efficiency.rules
    assert not rules.tax_below_avg_share.enabled
    assert not rules.invest_below_min.enabled and rules.invest_below_min.min is None
    assert not rules.rs_unbuilt.enabled
    assert preset.rules.low_efficiency.exemptions == {}
    for code in ("far_below_min", "coef_below_min", "admin_over_max", "green_over_max"):
        origin = preset.rules.provenance_of(f"low_efficiency.rules.{code}.scope")
        assert origin is not None and origin.kind == "national" and "供地控制标准" in origin.source
    # a parcel with low tax and no investment is not low-efficiency under the national rules
    row = run_analysis(
        parcels_frame([{"parcel_id": "N", **base(tax_wan=0.0, fixed_assets_wan=0.0)}]), as_of=AS_OF
    ).parcels.iloc[0]
    assert row["low_eff_reasons"] == ""


def test_admin_share_exactly_at_the_cap_is_not_over(tmp_path: Path):
    """2008 控制指标 "(四)…行政办公及生活服务设施用地面积不得超过工业项目总用地面积的7%":
    700 m² of 10 000 m² is
    exactly 7 % — not over; 701 m² is. A park allowed 15 % (福州2022: "比例上限可由7%提高到15%") sets the cap.
    """
    rows = [
        {"parcel_id": "A0", **base(admin_area_m2=700.0)},
        {"parcel_id": "A1", **base(admin_area_m2=701.0)},
        {"parcel_id": "A2", **base(admin_area_m2=1_500.0)},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF).parcels.set_index("parcel_id")
    assert out["low_eff_reasons"].to_dict() == {"A0": "", "A1": "admin_over_max", "A2": "admin_over_max"}
    user = tmp_path / "park15.yaml"
    user.write_text(
        "low_efficiency:\n  rules:\n"
        "    admin_over_max: {max: 0.15, edition: 福州2022保障性租赁住房实施意见}\n",
        encoding="utf-8",
    )
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules=str(user)).parcels.set_index("parcel_id")
    assert out["low_eff_reasons"].to_dict() == {"A0": "", "A1": "", "A2": ""}
    assert load_preset(str(user)).rules.low_efficiency.rules.admin_over_max.edition.startswith("福州")


def test_investment_intensity_includes_the_land_price():
    """2008 控制指标应用说明 "投资强度：项目用地范围内单位面积固定资产投资额。其中项目固定资产总投资包括厂房、
    设备和地价款。投资强度=项目固定资产总投资÷项目总用地面积".

    guangxi-provisional: min 3 750 万元/公顷 on 1 ha: 3 550 + 200 = 3 750 exactly → clear;
    3 549 + 200 → fires;
    without a land price, 3 000 alone cannot decide (not evaluated), 4 000 alone already reaches it (clear).
    """
    rows = [
        {"parcel_id": "I0", **base(fixed_assets_wan=3_550.0, land_price_wan=200.0)},
        {"parcel_id": "I1", **base(fixed_assets_wan=3_549.0, land_price_wan=200.0)},
        {"parcel_id": "I2", **base(fixed_assets_wan=3_000.0, land_price_wan=None)},
        {"parcel_id": "I3", **base(fixed_assets_wan=4_000.0, land_price_wan=None)},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules="guangxi-provisional").parcels
    out = out.set_index("parcel_id")
    assert out.loc["I0", "invest_intensity"] == pytest.approx(3_750.0)
    assert "invest_below_min" not in out.loc["I0", "low_eff_reasons"]
    assert "invest_below_min" in out.loc["I1", "low_eff_reasons"]
    assert "not_evaluated:invest_below_min(missing land_price_wan)" in out.loc["I2", "low_eff_not_evaluated"]
    assert "invest_below_min" not in out.loc["I3", "low_eff_not_evaluated"]
    assert "invest_below_min" not in out.loc["I3", "low_eff_reasons"]


def test_mining_and_salt_land_are_not_industrial_land():
    """用地用海分类 (2023): 10 工矿用地 = 1001 工业用地, 1002 采矿用地, 1003 盐田.

    The control indicators are for
    工业项目: a prefix "10" must not put 1002/1003 under them.
    """
    rows = [
        {"parcel_id": "K1", **base(land_use="100201", planned_use="1002", floor_area_m2=500.0)},
        {"parcel_id": "K2", **base(land_use="1003", planned_use="1003", footprint_m2=100.0)},
        {"parcel_id": "K3", **base(floor_area_m2=500.0)},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF).parcels.set_index("parcel_id")
    assert out["low_eff_reasons"].to_dict() == {"K1": "", "K2": "", "K3": "far_below_min"}


def test_sector_average_falls_back_to_park_for_small_sectors(tmp_path: Path):
    user = tmp_path / "sector.yaml"
    user.write_text(
        "low_efficiency:\n  rules:\n"
        "    tax_below_avg_share: {enabled: true, reference: sector, sector_min_count: 3}\n",
        encoding="utf-8",
    )
    # sector 38: three parcels at 30, 30, 3 万元 → (63)/(45 亩) = 1.4 万元/亩; 40 % = 0.56; 3/15 = 0.2 fires.
    # sector 40 (FAR floor 1.0) has one parcel at 6 万元 → park average (69 + 6... see below) is used:
    # park = (30 + 30 + 3 + 6) / 60 亩 = 1.15; 40 % = 0.46; 6 / 15 = 0.4 < 0.46 → fires.
    rows = [
        {"parcel_id": "S1", **base(tax_wan=30.0)},
        {"parcel_id": "S2", **base(tax_wan=30.0)},
        {"parcel_id": "S3", **base(tax_wan=3.0)},
        {"parcel_id": "T1", **base(tax_wan=6.0, industry_code="40")},
    ]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF, rules=str(user)).parcels.set_index("parcel_id")
    assert out["low_eff_reasons"].to_dict() == {
        "S1": "",
        "S2": "",
        "S3": "tax_below_avg_share",
        "T1": "tax_below_avg_share",
    }


def test_rs_unbuilt_thresholds_on_facts():
    # recorded as built (started, floor area > 0); the raster means decide
    rows = [
        {"parcel_id": "R0", **base()},  # built-up 0.6 > 0.3 → built
        {"parcel_id": "R1", **base()},  # built-up 0.2 ≤ 0.3 → unbuilt
        {"parcel_id": "R2", **base()},  # built-up 0.2 but coverage 0.4 < 0.5 → not evaluated
        {"parcel_id": "R3", **base(floor_area_m2=0.0, footprint_m2=0.0)},  # not recorded as built → n/a
    ]
    facts = facts_of(parcels_frame(rows), AS_OF)
    facts.frame["rs_builtup_mean"] = [0.6, 0.2, 0.2, 0.1]
    facts.frame["rs_builtup_coverage"] = [1.0, 1.0, 0.4, 1.0]
    facts.frame["rs_ndvi_mean"] = [0.5, 0.1, 0.1, 0.6]
    facts.frame["rs_ndvi_coverage"] = [1.0, 1.0, 0.4, 1.0]
    preset = load_preset("guangxi-provisional")  # remote sensing is an assumption, not a national criterion
    idle = pd.Series(["not_idle"] * 4)
    result = evaluate_low_efficiency(facts, preset, derived_metrics(facts), idle)
    rs = result.outcomes["rs_unbuilt"]
    assert rs.fired.tolist() == [False, True, False, False]
    assert rs.applies.tolist() == [True, True, True, False]
    assert rs.not_evaluated.tolist() == [False, False, True, False]
    assert rs.why.messages[rs.why.code[2]] == "raster coverage < 0.5"
    # NDVI alone (no built-up raster): vegetated at ≥ 0.35
    facts = Facts(
        frame=facts.frame.drop(columns=["rs_builtup_mean", "rs_builtup_coverage"]),
        invalid={},
        as_of=facts.as_of,
    )
    rs = evaluate_low_efficiency(facts, preset, derived_metrics(facts), idle).outcomes["rs_unbuilt"]
    assert rs.fired.tolist() == [True, False, False, False]


def _write_raster(path: Path, value_by_column: list[float]) -> None:
    """A 40 × 10 raster of 10 m pixels over the first parcels (each parcel 100 m wide, 400 m apart)."""
    width = 10 * len(value_by_column) * 4
    data = np.zeros((10, width), dtype="float32")
    for i, value in enumerate(value_by_column):
        data[:, i * 40 : i * 40 + 10] = value
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": 10,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4546",
        "transform": Affine(10.0, 0.0, X0, 0.0, -10.0, Y0 + 100),
        "nodata": -9999.0,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


def test_rs_unbuilt_end_to_end_with_rasters(tmp_path: Path):
    ndvi, builtup = tmp_path / "ndvi.tif", tmp_path / "builtup.tif"
    _write_raster(ndvi, [0.2, 0.7])
    _write_raster(builtup, [0.8, 0.1])
    gdf = parcels_frame([{"parcel_id": "B", **base()}, {"parcel_id": "V", **base()}])
    rs_on = tmp_path / "rs.yaml"
    rs_on.write_text("low_efficiency:\n  rules:\n    rs_unbuilt: {enabled: true}\n", encoding="utf-8")
    result = run_analysis(gdf, as_of=AS_OF, rules=str(rs_on), rasters={"ndvi": ndvi, "builtup": builtup})
    out = result.parcels.set_index("parcel_id")
    assert out.loc["B", "rs_builtup_mean"] == pytest.approx(0.8)
    assert out.loc["V", "rs_ndvi_mean"] == pytest.approx(0.7)
    assert out.loc["B", "low_eff_reasons"] == ""
    assert out.loc["B", "low_efficiency"] == False  # noqa: E712
    assert out.loc["V", "low_eff_reasons"] == "rs_unbuilt"


def test_raster_notes_reach_the_summary(tmp_path: Path):
    # only the first parcel lies over the raster: the second is outside, which zonal_stats notes
    ndvi = tmp_path / "ndvi.tif"
    _write_raster(ndvi, [0.2])
    gdf = parcels_frame([{"parcel_id": "B", **base()}, {"parcel_id": "V", **base()}])
    result = run_analysis(gdf, as_of=AS_OF, rasters={"ndvi": ndvi})
    notes = result.summary["raster_notes"]
    assert len(notes) >= 1
    assert all(note.startswith("ndvi: ") for note in notes)
    assert any("1" in note for note in notes)


@pytest.mark.parametrize(
    ("code", "floor_area", "reasons", "not_evaluated"),
    [
        # 2017 39 计算机通信电子 is 2002 40 (floor 1.0), not 2002 39 电气机械 (0.7): FAR 0.9 fires
        ("39", 9_000.0, "far_below_min", ""),
        # 2017 29 橡胶和塑料 merged 2002 29 橡胶 (0.8) and 30 塑料 (1.0)
        ("29", 7_999.0, "far_below_min", ""),  # 0.7999 < 0.8: below every reading
        ("29", 8_000.0, "", "not_evaluated:far_below_min(industry_code → gbt4754-2002 29/30: floor 0.8–1)"),
        ("29", 9_999.0, "", "not_evaluated:far_below_min(industry_code → gbt4754-2002 29/30: floor 0.8–1)"),
        ("29", 10_000.0, "", ""),  # 1.0 meets every reading
        # 2017 34 通用设备 took the main body of 2002 35 通用设备 (0.7)
        ("34", 7_000.0, "", ""),
    ],
)
def test_the_2008_table_is_read_in_gbt4754_2002(code, floor_area, reasons, not_evaluated):
    rows = [{"parcel_id": "A", **base(industry_code=code, floor_area_m2=floor_area)}]
    out = run_analysis(parcels_frame(rows), as_of=AS_OF).parcels.iloc[0]
    assert out["low_eff_reasons"] == reasons
    assert out["low_eff_not_evaluated"] == not_evaluated


def test_each_area_quantity_has_its_own_column():
    """建筑系数 = (建筑物占地面积 + 构筑物占地面积 + 堆场用地面积) ÷ 项目总用地面积 (2008 控制指标应用说明);
    建筑密度 counts the buildings alone (建筑基底面积, TD/T 1029); 容积率 uses the 计容 floor area.

    So 建筑基底面积 maps to building_footprint_m2, 总建筑面积 to gross_floor_area_m2, and a layer carrying
    only those cannot evaluate the building coefficient or the plot ratio.
    """
    from geo.schema import canonical_name

    assert canonical_name("建筑基底面积") == "building_footprint_m2"
    assert canonical_name("总建筑面积") == "gross_floor_area_m2"
    assert canonical_name("计容建筑面积") == "floor_area_m2"
    assert canonical_name("建构筑物及堆场占地面积") == "footprint_m2"
    assert canonical_name("规划总建筑面积") == canonical_name("设计建筑面积") == "planned_floor_area_m2"
    facts = {k: v for k, v in base().items() if k not in ("footprint_m2", "floor_area_m2")}
    result = run_analysis(
        parcels_frame(
            [{"parcel_id": "B", **facts, "building_footprint_m2": 900.0, "gross_floor_area_m2": 9_000.0}]
        ),
        as_of=AS_OF,
    )
    out = {item["rule"]: item["why"] for item in result.summary["rules_out_of_scope"]}
    assert out["far_below_min"] == "missing floor_area_m2"
    assert out["coef_below_min"] == "missing footprint_m2"
    row = result.parcels.iloc[0]
    assert np.isnan(row["building_coef"])
