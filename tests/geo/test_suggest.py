"""Suggestions for unmatched columns (contract §2.1): by pinyin initials, name and values."""

from __future__ import annotations

import pandas as pd

from geo.suggest import stem, suggest_columns


def _pairs(frame: pd.DataFrame, matched: tuple[str, ...] = (), supply: pd.Series | None = None) -> dict:
    return {s.column: s.canonical for s in suggest_columns(frame.columns, frame, matched, supply)}


def test_stems_make_ledger_names_comparable() -> None:
    assert stem("约定开工时") == stem("约定动工日期") == "约定动工"
    assert stem("投资总额（万元）") == "投资总额"
    assert stem("年纳税额") == stem("年税收") == "年税收"
    assert stem("是否规上") == "规上"


def test_dates_without_a_telling_name_are_placed_by_their_distance_from_the_supply_date() -> None:
    supply = pd.Series(pd.to_datetime(["2020-01-10", "2021-03-01", "2022-06-01", "2023-01-01"]))
    frame = pd.DataFrame(
        {
            # +0.5 year, all present: the agreed start
            "D1": ["2020-07-10", "2021-09-01", "2022-12-01", "2023-07-01"],
            # +3 years: the agreed completion
            "D2": ["2023-01-10", "2024-03-01", "2025-06-01", "2026-01-01"],
            # +50 years: the lease end
            "D3": ["2070-01-10", "2071-03-01", "2072-06-01", "2073-01-01"],
            # after the supply with empties: the actual start (empty = not started)
            "D4": ["2020-09-01", "", "2023-01-05", ""],
        }
    )
    suggested = {s.column: s for s in suggest_columns(frame.columns, frame, ("supply_date",), supply)}
    assert {k: v.canonical for k, v in suggested.items()} == {
        "D1": "agreed_start_date",
        "D2": "agreed_completion_date",
        "D3": "lease_end_date",
        "D4": "actual_start_date",
    }
    assert "中位数 median +0.5 年 years" in suggested["D1"].why
    assert "中位数 median +50.0 年 years" in suggested["D3"].why


def test_each_canonical_is_proposed_once_and_never_one_the_file_has() -> None:
    frame = pd.DataFrame(
        {"企业": ["甲有限公司", "乙厂"], "单位名称": ["丙公司", "丁集团"], "行业": ["C34", "3411"]}
    )
    suggested = {s.column: s for s in suggest_columns(frame.columns, frame, ("industry_code",), None)}
    # 单位名称 is a ledger name of enterprise (the stronger evidence); 企业 is only a cut-off alias
    assert suggested["单位名称"].canonical == "enterprise" and suggested["企业"].canonical is None
    assert suggested["企业"].why.startswith("像 enterprise，但 enterprise 已建议给更像的字段 单位名称")
    assert suggested["行业"].canonical is None
    assert suggested["行业"].why.startswith("名称像 industry_code，但文件已有 industry_code")


def test_columns_that_are_not_canonical_say_why() -> None:
    frame = pd.DataFrame(
        {"OBJECTID": [1, 2], "ZDMJ": [1.0, 2.0], "QSDWMC": ["芹河村", "管委会"], "备注": ["无", "有争议"]}
    )
    why = {s.column: (s.canonical, s.why) for s in suggest_columns(frame.columns, frame, (), None)}
    assert why["OBJECTID"][0] is None and why["OBJECTID"][1].startswith("GIS 软件的内部字段")
    assert why["ZDMJ"] == (
        None,
        "面积由几何计算（area_m2）the area is computed from the geometry; 无需映射 nothing to map",
    )
    assert why["QSDWMC"][0] is None and "不是用地单位" in why["QSDWMC"][1]
    assert why["备注"][0] is None


def test_yes_no_columns_named_by_their_question() -> None:
    frame = pd.DataFrame({"是否规上": ["是", "否"], "是否高企": ["否", "是"], "GXJSQY": ["是", "否"]})
    pairs = _pairs(frame)
    assert pairs["是否规上"] == "above_scale"
    assert {pairs["是否高企"], pairs["GXJSQY"]} == {"high_tech", None}


def test_a_large_layer_is_judged_on_a_sample_of_rows_and_ids_on_the_whole_column() -> None:
    n = 20_000
    frame = pd.DataFrame(
        {
            "ID": [f"GD-{i}" for i in range(n)],
            "X1": [i / 7 for i in range(n)],  # unique fractions are not ids
            "DUP": [f"GD-{i % (n - 1)}" for i in range(n)],  # one repeat, outside most samples
        }
    )
    pairs = _pairs(frame)
    assert pairs == {"ID": "parcel_id", "X1": None, "DUP": None}
