"""A bureau's own values read natively and reported (contract §2.1, issue 10 items 3–5).

Hand-made ledgers: a GBK Shapefile without ``.cpg`` holding supply sub-types, ledger dates, ticked
booleans, ``C3411``-style industry codes and GB/T 21010-2017 land-use codes. Every reading and every
unreadable value is compared as an exact string, and each must reach ``data_issues`` and the 汇总 count.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.codes import control_bounds, read_industry, read_land_use
from geo.coerce import coerce_column, supply_kind
from geo.errors import ConfigError
from geo.io import inspect_path, read_parcels
from geo.schema import FIELDS_BY_NAME
from tests.geo.test_ingest_builders import parcels_boxes, write_shapefile

AS_OF = "2026-06-30"


# ------------------------------------------------------------------------------- supply sub-types


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("挂牌出让", "出让"),
        ("拍卖出让", "出让"),
        ("招标出让", "出让"),
        ("协议出让", "出让"),
        ("出让（挂牌）", "出让"),
        ("出让(协议)", "出让"),
        ("招拍挂", "出让"),
        ("挂牌", "出让"),
        ("国有划拨", "划拨"),
        ("行政划拨", "划拨"),
        ("划拨用地", "划拨"),
        ("出租", "租赁"),
        ("国有土地租赁", "租赁"),
        ("未供", "未供"),
        ("未出让", "未供"),
        ("未供应", "未供"),
        ("储备", "未供"),
    ],
)
def test_supply_sub_types(text: str, kind: str) -> None:
    assert supply_kind(text) == (kind, "")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("划拨转出让", "同时写了划拨和出让，无法确定供地方式"),
        ("作价出资", "不是划拨、出让、租赁或未供中的一种（如作价出资、转让须人工认定）"),
        ("转让", "不是划拨、出让、租赁或未供中的一种（如作价出资、转让须人工认定）"),
    ],
)
def test_supply_values_that_name_two_kinds_or_none_are_not_guessed(text: str, why: str) -> None:
    assert supply_kind(text) == (None, why)


# ------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2023-05", "只写到月份、没有日，不推定具体日期"),
        ("2023年5月", "只写到月份、没有日，不推定具体日期"),
        ("202305", "只写到月份、没有日，不推定具体日期"),
        ("2023年", "只有年份，不推定具体日期"),
        ("23.5.1", "年份只有两位，无法确定世纪"),
        ("01/05/2023", "日、月顺序不明（可能是日/月/年或月/日/年）"),
        ("2023-02-30", "不是存在的日期（如2月30日）"),
        ("待定", "不是日期（文字或符号），按无法读取处理，不作为空日期"),
        ("——", "不是日期（文字或符号），按无法读取处理，不作为空日期"),
        ("不详", "不是日期（文字或符号），按无法读取处理，不作为空日期"),
    ],
)
def test_dates_that_are_not_read_say_why(text: str, why: str) -> None:
    result = coerce_column(pd.Series([text]), FIELDS_BY_NAME["agreed_start_date"])
    assert result.bad.tolist() == [True]
    assert result.problems.tolist() == [why]


def test_text_in_the_start_date_means_the_start_is_unknown() -> None:
    result = coerce_column(pd.Series(["已开工", "待定", None]), FIELDS_BY_NAME["actual_start_date"])
    assert result.bad.tolist() == [True, True, False]
    assert result.problems.tolist() == [
        "写明已动工但没有日期：动工日期未知（不按未动工处理）",
        "不是日期：动工情况未知（不按未动工处理，未动工应留空）",
        None,
    ]


def test_ledger_dates_and_ticks_are_read_and_each_reading_reported() -> None:
    dates = coerce_column(
        pd.Series(["2023.5.1", "20230501", "45047", "2023-05-01", "2023/5/1"]), FIELDS_BY_NAME["supply_date"]
    )
    assert [str(d.date()) for d in dates.values] == ["2023-05-01"] * 5
    assert [(r.raw, r.read_as, r.note, r.positions) for r in dates.readings] == [
        ("2023.5.1", "2023-05-01", "点分日期（年.月.日），按年-月-日读取", (0,)),
        ("20230501", "2023-05-01", "八位数字日期（年月日），按年-月-日读取", (1,)),
        ("45047", "2023-05-01", "Excel 日期序号（1900 日期系统），换算为日期", (2,)),
    ]
    ticks = coerce_column(pd.Series(["有", "无", "√", "×", "是", "否"]), FIELDS_BY_NAME["gov_cause"])
    assert ticks.values.tolist() == [True, False, True, False, True, False]
    assert sorted((r.raw, r.read_as) for r in ticks.readings) == sorted(
        [("有", "是"), ("无", "否"), ("√", "是"), ("×", "否")]
    )


# ----------------------------------------------------------------------------------- code lists


def test_0601_is_industrial_under_2017_and_a_village_road_under_2023() -> None:
    under_2017 = read_land_use(pd.Series(["0601"]), "gbt21010-2017")
    assert under_2017.values.tolist() == ["1001"]
    assert (
        under_2017.readings[0].note == "GB/T 21010-2017 0601 工业用地 → 用地用海(2023) 1001 工业用地（对应）"
    )
    under_2023 = read_land_use(pd.Series(["0601"]), "2023")
    assert under_2023.values.tolist() == ["0601"] and under_2023.readings == ()


def test_auto_reports_a_code_whose_list_cannot_be_decided() -> None:
    result = read_land_use(pd.Series(["0601", "0701", None]), "auto")
    assert result.scheme == "ambiguous"
    assert result.values.tolist() == [None, "0701", None]
    assert result.bad.tolist() == [True, False, False]
    assert result.problems[0] == (
        "代码 0601 所属分类无法判定：用地用海分类(2023)为农村道路；GB/T 21010-2017为工业用地（→1001）；"
        "三调工作分类为工业用地（→1001）；请在列映射文件中设 land_use_scheme"
    )


def test_auto_decides_from_codes_only_one_list_has() -> None:
    sandiao = read_land_use(pd.Series(["0601", "0508", "05H1", "0810A"]), "auto")
    assert sandiao.scheme == "sandiao"
    assert sandiao.values.tolist() == ["1001", "1101", "09", "1403"]
    assert (
        sandiao.how
        == "land_use 按 三调工作分类 读取（land_use_scheme: auto，由只属于该分类的代码 0508 判定）"
    )
    new = read_land_use(pd.Series(["100101", "0601"]), "auto")
    assert new.scheme == "2023" and new.values.tolist() == ["100101", "0601"]
    old = read_land_use(pd.Series(["061", "063"]), "auto")
    assert old.scheme == "gbt21010-2007" and old.values.tolist() == ["1001", "11"]


def test_a_split_class_is_translated_to_its_2023_parent_and_a_straddling_one_is_refused() -> None:
    result = read_land_use(pd.Series(["0604", "0906", "0204"]), "gbt21010-2017")
    assert result.values.tolist() == ["11", None, "02"]
    assert (
        result.problems[1]
        == "GB/T 21010-2017 0906 风景名胜设施用地在用地用海分类(2023)中没有唯一对应的类（2023 按设施的实际用途归类）"  # noqa: E501
    )


def test_industry_codes_are_cut_to_their_division() -> None:
    result = read_industry(pd.Series(["C34", "3411", "C3411", "34", "341", "C", "A34", "98"]))
    assert result.values.tolist() == ["34", "34", "34", "34", "34", None, None, None]
    assert result.problems.tolist()[5:] == [
        "只有门类字母 C，没有两位大类代码",
        "门类字母 A 与大类 34 不符（GB/T 4754-2017）",
        "GB/T 4754-2017 大类 98 不是该版的大类代码",
    ]
    assert sorted(r.note for r in result.readings) == [
        "341 取两位大类代码 34",
        "3411 取两位大类代码 34",
        "C34 取两位大类代码 34",
        "C3411 取两位大类代码 34",
    ]


def test_older_industry_editions_translate_where_one_to_one() -> None:
    result = read_industry(pd.Series(["35", "40", "37", "30"]), "gbt4754-2002")
    assert result.values.tolist() == ["34", "39", None, "29"]
    assert (
        result.problems[2]
        == "GB/T 4754-2002 大类 37 交通运输设备制造业在 GB/T 4754-2017 中分属 36、37 大类，无法一对一换算"
    )
    assert read_industry(pd.Series(["79", "82"]), "gbt4754-2011").values.tolist() == ["80", "83"]


def test_the_2008_table_is_looked_up_in_its_own_edition() -> None:
    """2008 表2 is keyed by GB/T 4754-2002: 2017's 39 (electronics) is 2002's 40 (1.0), not 39 电气机械 (0.7);
    2017's 29 (rubber and plastics) came from 2002's 29 (0.8) and 30 (1.0), so its floor is the range."""
    table = {"29": 0.8, "30": 1.0, "39": 0.7, "40": 1.0}
    low, high, origin = control_bounds(pd.Series(["39", "29", "38", "43"]), table, "gbt4754-2002")
    assert low.tolist()[:3] == [1.0, 0.8, 0.7] and high.tolist()[:3] == [1.0, 1.0, 0.7]
    assert origin.tolist() == ["40", "29/30", "39", ""]


def test_unknown_scheme_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="land_use_scheme: 未知的分类 'gbt21010-2020'"):
        read_land_use(pd.Series(["0601"]), "gbt21010-2020")


# --------------------------------------------------------------------- a GBK ledger, end to end

FIELDS = [
    ("宗地编号", "C", 10),
    ("供地方式", "C", 20),
    ("供地日期", "C", 12),
    ("约定动工日期", "C", 12),
    ("实际动工日期", "C", 12),
    ("地类编码", "C", 8),
    ("行业代码", "C", 8),
    ("政府原因", "C", 4),
]
ROWS = [
    ["ZD-1", "挂牌出让", "2022.3.1", "2023.5.1", "", "0601", "C3411", "无"],
    ["ZD-2", "国有划拨", "20220301", "2023-05-01", "已开工", "0601", "34", "无"],
    ["ZD-3", "作价出资", "2022-03-01", "待定", "", "0701", "C", "√"],
]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_shapefile(tmp_path, "ledger", parcels_boxes(3), FIELDS, ROWS, encoding="gbk")


def test_a_gbk_ledger_is_read_natively_and_every_reading_is_reported(ledger: Path) -> None:
    gdf, report = read_parcels(ledger, land_use_scheme="gbt21010-2017")
    assert report.encoding == "GBK"
    assert gdf["supply_type"].tolist() == ["出让", "划拨", None]
    assert gdf["land_use"].tolist() == ["1001", "1001", "0701"]
    assert gdf["land_use_source"].tolist() == ["0601", "0601", "0701"]
    assert gdf["industry_code"].tolist() == ["34", "34", None]
    assert gdf["gov_cause"].tolist() == [False, False, True]
    assert (
        report.code_schemes["land_use"]
        == "land_use 按 GB/T 21010-2017 读取（land_use_scheme: gbt21010-2017）"
    )
    assert [(u.parcel_id, u.column, u.raw, u.problem) for u in report.unreadable] == [
        (
            "ZD-3",
            "supply_type",
            "作价出资",
            "不是划拨、出让、租赁或未供中的一种（如作价出资、转让须人工认定）",
        ),
        ("ZD-3", "agreed_start_date", "待定", "不是日期（文字或符号），按无法读取处理，不作为空日期"),
        ("ZD-2", "actual_start_date", "已开工", "写明已动工但没有日期：动工日期未知（不按未动工处理）"),
        ("ZD-3", "industry_code", "C", "只有门类字母 C，没有两位大类代码"),
    ]
    text = report.to_text()
    assert (
        "  supply_type：'挂牌出让' → 出让（1 宗）— 供地方式子类（招标、拍卖、挂牌、协议均为出让方式），按“出让”读取"  # noqa: E501
        in text
    )


def test_every_reading_and_unreadable_value_is_a_data_issue(ledger: Path) -> None:
    gdf, report = read_parcels(ledger, land_use_scheme="gbt21010-2017")
    result = run_analysis(gdf, as_of=AS_OF, ingest=report)
    issues = result.data_issues
    assert list(issues.columns) == ["parcel_id", "column", "value", "problem"]
    rows = set(map(tuple, issues.to_numpy().tolist()))
    expected = {
        (
            "ZD-3",
            "supply_type",
            "作价出资",
            "无法读取为取值之一：出让/划拨/未供/租赁：不是划拨、出让、租赁或未供中的一种（如作价出资、转让须人工认定）",
        ),
        (
            "ZD-2",
            "actual_start_date",
            "已开工",
            "无法读取为日期（如 2023-05-01、2023/5/1、2023年5月1日 或 Excel 序号）：写明已动工但没有日期：动工日期未知（不按未动工处理）",  # noqa: E501
        ),
        (
            "ZD-1",
            "supply_type",
            "挂牌出让",
            "按“出让”读取：供地方式子类（招标、拍卖、挂牌、协议均为出让方式），按“出让”读取",
        ),
        ("ZD-2", "supply_type", "国有划拨", "按“划拨”读取：供地方式子类（国有划拨、行政划拨），按“划拨”读取"),
        ("ZD-1", "supply_date", "2022.3.1", "按“2022-03-01”读取：点分日期（年.月.日），按年-月-日读取"),
        ("ZD-2", "supply_date", "20220301", "按“2022-03-01”读取：八位数字日期（年月日），按年-月-日读取"),
        (
            "ZD-1",
            "land_use",
            "0601",
            "按“1001”读取：GB/T 21010-2017 0601 工业用地 → 用地用海(2023) 1001 工业用地（对应）",
        ),
        ("ZD-1", "industry_code", "C3411", "按“34”读取：C3411 取两位大类代码 34"),
        ("ZD-3", "gov_cause", "√", "按“是”读取：台账勾选写法，按是/否读取"),
    }
    assert expected <= rows
    by_kind = result.summary["data_issues_by_kind"]
    assert by_kind["unreadable"] == 4
    assert by_kind["reading"] == sum(len(x.rows) for x in report.readings) == 11
    assert result.summary["data_issues"] == len(issues)


def test_an_unreadable_start_date_is_not_read_as_not_started(ledger: Path) -> None:
    """53号令 Art. 2 ¶1 needs "未动工"; 已开工 without a date means the start is unknown, not absent."""
    gdf, report = read_parcels(ledger, land_use_scheme="gbt21010-2017")
    with_report = run_analysis(gdf, as_of=AS_OF, ingest=report).parcels.set_index("parcel_id")
    assert with_report.loc["ZD-2", "idle_status"] == "unknown"
    assert with_report.loc["ZD-2", "idle_basis"] == "无法认定是否闲置：数据有误（见数据问题表）：实际动工日期"
    # ZD-1: supplied 2022-03-01, agreed start 2023-05-01, not started: idle from 2024-05-01,
    # recoverable from 2025-05-01
    assert with_report.loc["ZD-1", "idle_status"] == "idle_recoverable"


def test_inspect_lists_readings_under_auto_and_the_ambiguous_code(ledger: Path) -> None:
    report = inspect_path(ledger)
    assert [(u.parcel_id, u.column, u.raw) for u in report.unreadable if u.column == "land_use"] == [
        ("ZD-1", "land_use", "0601"),
        ("ZD-2", "land_use", "0601"),
    ]
    assert "请在列映射文件中设 land_use_scheme" in report.unreadable[-1].problem or any(
        "请在列映射文件中设 land_use_scheme" in u.problem for u in report.unreadable
    )


def test_both_land_use_columns_decide_the_list_together() -> None:
    """1001 alone is 工业用地 (2023) or 铁路用地 (GB/T 21010-2017); 100101 in land_use settles it."""
    alone = read_land_use(pd.Series(["1001"]), "auto", column="planned_use")
    assert alone.values.tolist() == [None]
    together = read_land_use(pd.Series(["1001"]), "auto", column="planned_use", context=pd.Series(["100101"]))
    assert together.values.tolist() == ["1001"]
    assert together.how == (
        "planned_use 按 用地用海分类(2023) 读取（land_use_scheme: auto，由只属于该分类的代码 100101 判定）"
    )


def test_a_repaired_geometry_is_a_data_issue_and_counted(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely import Polygon, box

    bowtie = Polygon([(412_000, 2_503_000), (412_100, 2_503_100), (412_100, 2_503_000), (412_000, 2_503_100)])
    path = tmp_path / "repair.gpkg"
    gpd.GeoDataFrame(
        {"DKBH": ["OK", "BOW"]}, geometry=[box(412_500, 2_503_000, 412_600, 2_503_100), bowtie], crs=4546
    ).to_file(path)
    gdf, report = read_parcels(path)
    result = run_analysis(gdf, as_of=AS_OF, ingest=report)
    rows = result.data_issues.to_numpy().tolist()
    assert len(rows) == 1
    parcel, column, value, problem = rows[0]
    assert (parcel, column) == ("BOW", "geometry")
    assert value.startswith("Self-intersection")
    assert problem.startswith(f"几何无效（{value}），已用 make_valid 修复：面积 ")
    assert result.summary["data_issues_by_kind"] == {"unreadable": 0, "geometry": 1, "reading": 0, "check": 0}


def test_the_json_report_counts_readings_and_caps_their_row_lists(tmp_path: Path) -> None:
    import geopandas as gpd

    from geo.ingest_report import READING_ROWS_IN_JSON

    n = READING_ROWS_IN_JSON + 5
    path = tmp_path / "many.gpkg"
    gpd.GeoDataFrame(
        {"DKBH": [f"P{i}" for i in range(n)], "供地方式": ["挂牌出让"] * n},
        geometry=parcels_boxes(n),
        crs=4546,
    ).to_file(path)
    data = inspect_path(path).to_dict()
    (item,) = data["readings"]
    assert (item["column"], item["raw"], item["read_as"], item["count"], item["truncated"]) == (
        "supply_type",
        "挂牌出让",
        "出让",
        n,
        True,
    )
    assert len(item["rows"]) == len(item["parcel_ids"]) == READING_ROWS_IN_JSON
