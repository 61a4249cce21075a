"""Evaluating at a past date, and the scope of the rules (contract §2.1, §3; issue 10 item 6).

A parcel is judged as it stood at the end of the as-of day: a supply, start or suspension dated
after it had not happened yet (said in ``idle_basis``), which is not a data error; a date after the
day of the run is impossible and a data issue. Hand-worked with 53号令 Art. 2 ¶1 (idle from the first
anniversary of the agreed start, "满一年" reached on the anniversary itself) and Art. 2 ¶2.
"""

from __future__ import annotations

import pandas as pd

from geo.analysis import run_analysis
from tests.geo.test_idle import parcels_frame, supplied

RUN = "2026-06-30"
LAW = "《闲置土地处置办法》"


def one(as_of: str, **facts) -> pd.Series:
    row = supplied(parcel_id="P", gov_cause=False, suspended_since=None, **facts)
    return run_analysis(parcels_frame([row]), as_of=as_of, run_date=RUN).parcels.iloc[0]


def test_a_start_after_the_as_of_date_had_not_happened_on_that_day():
    # agreed 2022-03-01: the first anniversary is 2023-03-01, the as-of date itself
    out = one("2023-03-01", agreed_start_date="2022-03-01", actual_start_date="2024-05-10")
    assert out["idle_status"] == "idle"
    assert out["idle_basis"] == (
        f"{LAW}第二条第一款、第十四条第一款：约定动工日期2022年3月1日，截至2023年3月1日未动工"
        "（实际动工日期2024年5月10日晚于评价日，评价日尚未动工），已满一年未满两年；"
        "按土地价款1,200.00万元的20%征缴土地闲置费240.00万元"
    )
    assert out["idle_fee_wan"] == 240.0


def test_the_day_before_the_anniversary_is_not_yet_idle():
    out = one("2023-02-28", agreed_start_date="2022-03-01", actual_start_date="2024-05-10")
    assert out["idle_status"] == "not_idle"
    assert out["idle_basis"] == (
        "约定动工日期2022年3月1日，截至2023年2月28日未动工（实际动工日期2024年5月10日晚于评价日，评价日尚未动工），"
        "未满一年（满一年之日为2023年3月1日）"
    )


def test_a_start_on_the_as_of_day_has_happened():
    out = one("2023-03-01", agreed_start_date="2022-03-01", actual_start_date="2023-03-01")
    assert out["idle_status"] == "not_idle"
    assert out["idle_basis"] == "已于2023年3月1日动工，未中止开发建设"


def test_a_past_evaluation_is_not_a_data_issue_but_a_future_date_of_the_run_is():
    rows = [
        supplied(parcel_id="LATER", agreed_start_date="2022-03-01", actual_start_date="2024-05-10"),
        supplied(parcel_id="FUTURE", agreed_start_date="2022-03-01", actual_start_date="2026-07-01"),
    ]
    result = run_analysis(parcels_frame(rows), as_of="2023-03-01", run_date=RUN)
    issues = result.data_issues
    assert issues.to_numpy().tolist() == [
        [
            "FUTURE",
            "actual_start_date",
            "2026-07-01",
            "实际动工日期晚于运行日2026-06-30，为未来日期，不可能 (date lies in the future of the run)",
        ]
    ]
    assert result.parcels["idle_status"].tolist() == ["idle", "unknown"]
    assert result.parcels["idle_basis"].iloc[1] == "无法认定是否闲置：数据有误（见数据问题表）：实际动工日期"


def test_land_supplied_after_the_as_of_date_was_not_yet_supplied():
    out = one("2023-06-30", supply_date="2024-01-01", agreed_start_date="2024-07-01", actual_start_date=None)
    assert out["idle_status"] == "not_applicable"
    assert out["idle_basis"] == f"供地日期2024年1月1日晚于评价日，截至2023年6月30日尚未供地，不适用{LAW}"
    assert out["low_efficiency"] is pd.NA and out["low_eff_reasons"] == ""


def test_a_suspension_after_the_as_of_date_had_not_happened():
    row = supplied(
        parcel_id="P",
        gov_cause=False,
        agreed_start_date="2019-06-01",
        actual_start_date="2020-01-01",
        suspended_since="2024-01-01",
        developed_area_m2=100.0,
    )
    out = run_analysis(parcels_frame([row]), as_of="2023-06-30", run_date=RUN).parcels.iloc[0]
    assert out["idle_status"] == "not_idle"
    assert (
        out["idle_basis"]
        == "已于2020年1月1日动工，截至2023年6月30日未中止开发建设（停工日期2024年1月1日晚于评价日）"
    )


def test_without_a_suspension_column_the_stalled_test_is_out_of_scope_and_listed_once():
    rows = [
        supplied(
            parcel_id="A", gov_cause=False, agreed_start_date="2019-06-01", actual_start_date="2020-01-01"
        ),
        supplied(
            parcel_id="B", gov_cause=False, agreed_start_date="2019-06-01", actual_start_date="2020-02-01"
        ),
    ]
    result = run_analysis(parcels_frame(rows), as_of="2026-06-30", run_date=RUN)
    assert result.parcels["idle_status"].tolist() == ["not_idle", "not_idle"]
    assert result.parcels["idle_basis"].iloc[0] == (
        "已于2020年1月1日动工；图层无停工日期字段，中止开发建设情形（第二条第二款）不在评价范围"
    )
    stalled = [x for x in result.summary["rules_out_of_scope"] if x["rule"] == "idle_stalled"]
    assert stalled == [
        {
            "rule": "idle_stalled",
            "why": "missing suspended_since",
            "why_zh": "图层无停工日期（suspended_since）字段，中止开发建设闲置（第二条第二款）不在评价范围",
        }
    ]


def test_without_a_gov_cause_column_no_government_cause_is_verified_and_the_basis_says_so():
    row = supplied(
        parcel_id="P", suspended_since=None, agreed_start_date="2024-06-30", actual_start_date=None
    )
    out = run_analysis(parcels_frame([row]), as_of="2026-06-29", run_date=RUN).parcels.iloc[0]
    # 2026-06-29 is the day before the second anniversary (2026-06-30): idle, not yet recoverable
    assert out["idle_status"] == "idle"
    assert out["idle_basis"] == (
        f"{LAW}第二条第一款、第十四条第一款：约定动工日期2024年6月30日，截至2026年6月29日未动工，"
        "已满一年未满两年；按土地价款1,200.00万元的20%征缴土地闲置费240.00万元；"
        "图层无政府原因字段，未核实存在政府原因（第八条）"
    )


def test_a_start_before_the_supply_is_still_a_data_issue():
    rows = [
        supplied(
            parcel_id="E",
            supply_date="2022-05-01",
            agreed_start_date="2023-01-01",
            actual_start_date="2022-01-01",
        )
    ]
    issues = run_analysis(parcels_frame(rows), as_of="2026-06-30", run_date=RUN).data_issues
    assert issues.to_numpy().tolist() == [
        ["E", "actual_start_date", "2022-01-01", "实际动工日期早于供地日期 (start before supply)"]
    ]


def test_the_sample_park_without_a_raster_is_null_only_where_a_rule_in_scope_lacked_a_value(tmp_path):
    """Issue 10: without a raster, 464 of 652 sample parcels were null because rs_unbuilt could not run.

    guangxi-provisional is the preset that has rs_unbuilt on (national has no remote-sensing criterion).
    """
    from data.make_sample import build_sample
    from geo.io import read_parcels

    build_sample(tmp_path)
    gdf, report = read_parcels(tmp_path / "yulin_park.gpkg", layer="parcels")
    counts = {}
    for rules in ("guangxi-provisional", "national"):
        result = run_analysis(gdf, as_of="2026-06-30", ingest=report, run_date=RUN, rules=rules)
        out = result.parcels
        null = out["low_efficiency"].isna()
        fired = out["low_efficiency"].fillna(False).astype(bool)
        lacking = (out["low_eff_not_evaluated"] != "") & ~fired
        unsupplied = out["supply_type"] == "未供"  # no rule applies to unsupplied land
        assert (null == (lacking | unsupplied)).all(), rules
        assert not (lacking & unsupplied).any(), rules
        assert not out["low_eff_not_evaluated"].str.contains("rs_unbuilt").any(), rules
        counts[rules] = (int(null.sum()), int(lacking.sum()), int(unsupplied.sum()))
        listed = [x["rule"] for x in result.summary["rules_out_of_scope"]]
        assert listed == (["rs_unbuilt"] if rules == "guangxi-provisional" else []), rules
    assert counts == {"guangxi-provisional": (106, 30, 76), "national": (111, 35, 76)}
