"""A bureau's own ledgers, end to end (issue 10): ``inspect`` → draft mapping → edited → ``analyze``.

Three styles, each a GBK Shapefile without ``.cpg`` (tests/ledgers.py): a 供地台账 export, a 地籍/宗地
database extract with pinyin-initial field names, and a 三调-coded layer. Every parcel is 10 000 m²
(15 亩). The as-of date is 2025-06-30; the expected statuses were worked out by hand from
国土资源部令第53号 (anniversaries: same month and day one / two years later, on or after):

供地台账 (GD-…)
  GD-01 agreed start 2021-09-15, not started: 2nd anniversary 2023-09-15 ≤ as-of → idle_recoverable
  GD-02 agreed 2023-11-10, not started: 1st 2024-11-10 ≤ as-of < 2nd 2025-11-10 → idle
  GD-03 started 2022-06-01; no 停工 column, so Art. 2 ¶2 is out of scope → not_idle
  GD-04 agreed 2025-02-01: 1st anniversary 2026-02-01 is after the as-of date → not_idle
  GD-05 agreed 2024-06-30: 1st anniversary is the as-of day itself (boundary) → idle
  GD-06 实际开工时 "已开工": a start without a date — unreadable, never "not started" → unknown
  tax per 亩: GD-03 150/15 = 10, GD-06 45/15 = 3, the rest 0; park average Σtax/Σ亩 over the six
  parcels of known use = 195/90 = 2.1667; 40 % of it = 0.8667, so the four zero-tax parcels fire
  tax_below_avg_share and GD-03, GD-06 do not. Plot ratio GD-03 = 12 000/10 000 = 1.2, GD-06 = 0.8.
宗地库 (ZDDM …001–005)
  001 agreed 2020-09-10, not started, 政府原因 否: 2nd anniversary 2022-09-10 → idle_recoverable
  002 agreed 2022-01-01, not started, 政府原因 是 → idle_gov_caused (Art. 8, no fee)
  003 started 2020-03-15, 停工 2023-05-01 (1st anniversary 2024-05-01 ≤ as-of), developed
      2 000/10 000 = 20 % < 1/3 → idle_stalled
  004 started 2022-11-01, not suspended → not_idle
  005 agreed 2023-09-01: 1st 2024-09-01 ≤ as-of < 2nd → idle; fee 20 % × 900 万元 = 180 万元
三调 (TBBH 0101–0104): 0601 → 1001, 05H1 → 09, 0702 → 0703, 08H1 → 08 (三调工作分类 → 2023); 0103
  is 未供 → not_applicable; the others lack every development date → unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from panhuo.cli import main
from tests.ledgers import CADASTRE_LEDGER, SANDIAO_LAYER, SUPPLY_LEDGER, write_gbk_shapefile

AS_OF = "2025-06-30"
NO_GOV = "；图层无政府原因字段，未核实存在政府原因（第八条）"

#: a preset that states its low-efficiency parameters itself, so the test does not follow national's
RULES = """\
extends: national
name: ledger-test
low_efficiency:
  rules:
    tax_below_avg_share:
      {enabled: true, scope: industrial, share: 0.40, reference: park, average: area_weighted}
"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


def _suggestions(path: Path, capsys) -> dict[str, tuple[str | None, str]]:
    code, out, _ = _run(["inspect", str(path), "--json"], capsys)
    assert code == 0
    return {s["column"]: (s["canonical"], s["why"]) for s in json.loads(out)["suggestions"]}


def _draft(path: Path, tmp_path: Path, capsys) -> dict:
    target = tmp_path / "draft.yaml"
    code, out, _ = _run(["inspect", str(path), "--write-columns", str(target)], capsys)
    assert code == 0 and f"列映射草稿已写入 draft mapping written: {target}" in out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# panhuo 列映射草稿 column mapping draft for ")
    return yaml.safe_load(text)


def _analyze(path: Path, mapping: dict, tmp_path: Path, capsys, rules: str = "national") -> tuple[Path, str]:
    edited = tmp_path / "columns.yaml"
    edited.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = _run(
        [
            "analyze",
            str(path),
            "--columns",
            str(edited),
            "--as-of",
            AS_OF,
            "--rules",
            rules,
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stderr
    return out, stdout


# ------------------------------------------------------------------------------------ 供地台账


def test_supply_ledger_from_inspect_to_analyze(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(SUPPLY_LEDGER, tmp_path / "gongdi" / "gongdi.shp")
    suggested = _suggestions(shp, capsys)
    assert {k: v[0] for k, v in suggested.items()} == {
        "受让单位": "enterprise",
        "供地时间": "supply_date",
        "约定开工时": "agreed_start_date",
        "实际开工时": "actual_start_date",
        "用地性质": "land_use",
        "建筑面积": "floor_area_m2",
        "投资总额": "total_investment_wan",
        "年纳税额": "tax_wan",
    }
    assert suggested["约定开工时"][1] == (
        "名称是 约定动工日期 的同义或截断写法 / same word as 约定动工日期；"
        "值为日期 / values are dates: 2021/9/15、2023/11/10、2022/7/20"
    )
    assert suggested["实际开工时"][1].endswith("另有非日期的文本 / and text that is not a date: 已开工")
    _, text, _ = _run(["inspect", str(shp)], capsys)
    assert (
        "  约定开工时 → agreed_start_date (名称是 约定动工日期 的同义或截断写法 / same word as 约定动工日期；"
        "值为日期 / values are dates: 2021/9/15、2023/11/10、2022/7/20)"
    ) in text.splitlines()

    draft = _draft(shp, tmp_path, capsys)
    assert draft["columns"] == {
        "parcel_id": "地块编号",
        "supply_type": "供地方式",
        "enterprise": "受让单位",
        "supply_date": "供地时间",
        "agreed_start_date": "约定开工时",
        "actual_start_date": "实际开工时",
        "land_use": "用地性质",
        "floor_area_m2": "建筑面积",
        "total_investment_wan": "投资总额",
        "tax_wan": "年纳税额",
    }
    assert draft["land_use_scheme"] == "auto"
    # the bureau's edit: its 用地性质 codes are GB/T 21010-2017 (0601 工业用地)
    draft["land_use_scheme"] = "gbt21010-2017"
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out, stdout = _analyze(shp, draft, tmp_path, capsys, rules=str(rules))

    parcels = gpd.read_file(out / "parcels.gpkg").set_index("parcel_id")
    assert parcels["supply_type"].to_dict() == {
        "GD-01": "出让",
        "GD-02": "出让",
        "GD-03": "划拨",
        "GD-04": "出让",
        "GD-05": "出让",
        "GD-06": "划拨",
    }
    assert set(parcels["land_use"]) == {"1001"} and set(parcels["land_use_source"]) == {"0601"}
    assert parcels["idle_status"].to_dict() == {
        "GD-01": "idle_recoverable",
        "GD-02": "idle",
        "GD-03": "not_idle",
        "GD-04": "not_idle",
        "GD-05": "idle",
        "GD-06": "unknown",
    }
    assert parcels["idle_basis"].to_dict() == {
        "GD-01": "《闲置土地处置办法》第二条第一款、第十四条第二款：约定动工日期2021年9月15日，"
        "截至2025年6月30日未动工，已满两年；可无偿收回国有建设用地使用权" + NO_GOV,
        "GD-02": "《闲置土地处置办法》第二条第一款、第十四条第一款：约定动工日期2023年11月10日，"
        "截至2025年6月30日未动工，已满一年未满两年；应按出让或者划拨价款的20%征缴土地闲置费，"
        "土地价款缺失，金额待补" + NO_GOV,
        "GD-03": "已于2022年6月1日动工；图层无停工日期字段，中止开发建设情形（第二条第二款）不在评价范围",
        "GD-04": "约定动工日期2025年2月1日，截至2025年6月30日未动工，未满一年（满一年之日为2026年2月1日）",
        "GD-05": "《闲置土地处置办法》第二条第一款、第十四条第一款：约定动工日期2024年6月30日，"
        "截至2025年6月30日未动工，已满一年未满两年；应按出让或者划拨价款的20%征缴土地闲置费，"
        "土地价款缺失，金额待补" + NO_GOV,
        "GD-06": "无法认定是否闲置：数据有误（见数据问题表）：实际动工日期",
    }
    assert parcels["low_eff_reasons"].fillna("").to_dict() == {
        "GD-01": "tax_below_avg_share;idle",
        "GD-02": "tax_below_avg_share;idle",
        "GD-03": "",
        "GD-04": "tax_below_avg_share",
        "GD-05": "tax_below_avg_share;idle",
        "GD-06": "",
    }
    assert parcels.loc["GD-03", "far"] == pytest.approx(1.2)
    assert parcels.loc["GD-06", "tax_per_mu"] == pytest.approx(3.0)
    assert parcels.loc["GD-03", "low_efficiency"] == 0  # every rule in scope evaluated, none fired

    issues = pd.read_csv(out / "data_issues.csv", encoding="utf-8-sig", dtype=str)
    started = issues[issues["字段"] == "actual_start_date"]
    assert started[["地块编号", "值"]].values.tolist() == [["GD-06", "已开工"]]
    assert (issues["字段"] == "land_use").sum() == 6

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["columns"]["mapping"]["land_use_scheme"] == "gbt21010-2017"
    assert summary["columns"]["mapping"]["columns"]["agreed_start_date"] == "约定开工时"
    assert {"column": "约定开工时", "canonical": "agreed_start_date", "how": "mapping"} in summary["columns"][
        "matched"
    ]
    assert "suspended_since" in summary["columns"]["missing"]
    lines = stdout.splitlines()
    assert (
        "  列映射 column mapping columns.yaml：10 个字段，land_use_scheme gbt21010-2017，industry_scheme auto"
        in lines
    )
    assert any(
        # 24 + the six columns of the rule book v2 (building_footprint_m2 … disposal_date)
        line.startswith("  未找到的标准字段 canonical columns not found (30): name、planned_use、")
        for line in lines
    )
    assert (
        "  不在评价范围 out of scope: idle_stalled（图层无停工日期（suspended_since）字段，"
        "中止开发建设闲置（第二条第二款）不在评价范围）"
    ) in lines

    sheet = load_workbook(out / "report.xlsx", read_only=True)["字段映射"]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert ("列映射文件", "columns.yaml", None, "analyze --columns") in rows
    assert ("字段", "约定开工时", "agreed_start_date", "列映射文件") in rows
    assert ("land_use_scheme", None, "gbt21010-2017", "现状/规划用途代码的分类") in rows


# ------------------------------------------------------------------------------------ 宗地库


def test_cadastre_extract_with_pinyin_fields_from_inspect_to_analyze(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(CADASTRE_LEDGER, tmp_path / "zongdi" / "zongdi.shp")
    suggested = _suggestions(shp, capsys)
    assert {k: v[0] for k, v in suggested.items()} == {
        "ZDDM": "parcel_id",
        "QLR": "enterprise",
        "GDFS": "supply_type",
        "GDRQ": "supply_date",
        "YDDGRQ": "agreed_start_date",
        "SJDGRQ": "actual_start_date",
        "TGRQ": "suspended_since",
        "ZFYY": "gov_cause",
        "YKFMJ": "developed_area_m2",
        "TDJK": "land_price_wan",
        "YDXZ": "land_use",
    }
    assert suggested["YDXZ"][1] == (
        "拼音首字母 pinyin initials YDXZ = 用地性质；名称即 用地性质；"
        "值为地类编码 / values are land-use codes: 1001、1101"
    )
    draft = _draft(shp, tmp_path, capsys)
    assert draft["columns"]["parcel_id"] == "ZDDM"
    # the bureau's edit: its 宗地库 already uses the 2023 用地用海 codes (1001 工业, 1101 物流仓储)
    draft["land_use_scheme"] = "2023"
    out, _ = _analyze(shp, draft, tmp_path, capsys)
    parcels = gpd.read_file(out / "parcels.gpkg").set_index("parcel_id")
    assert parcels["idle_status"].to_dict() == {
        "610802001001": "idle_recoverable",
        "610802001002": "idle_gov_caused",
        "610802001003": "idle_stalled",
        "610802001004": "not_idle",
        "610802001005": "idle",
    }
    assert parcels["idle_fee_wan"].to_dict() == {
        "610802001001": 0.0,
        "610802001002": 0.0,
        "610802001003": 0.0,
        "610802001004": 0.0,
        "610802001005": 180.0,
    }
    assert parcels.loc["610802001003", "idle_basis"] == (
        "《闲置土地处置办法》第二条第二款：已于2020年3月15日动工，2023年5月1日起中止开发建设，"
        "截至2025年6月30日已满一年；已开发面积占应开发建设总面积20.00%（不足三分之一）、已投资额占总投资未知；"
        "可以认定为闲置土地，依第十二条规定的方式处置"
    )
    assert parcels.loc["610802001002", "idle_basis"] == (
        "《闲置土地处置办法》第二条第一款、第八条、第十二条：约定动工日期2022年1月1日，截至2025年6月30日未动工，"
        "已满两年；经核实属第八条情形（政府、政府有关部门的行为，或第二款自然灾害等不可抗力），"
        "不征缴闲置费，依第十二条协商处置"
    )
    assert parcels.loc["610802001005", "idle_basis"] == (
        "《闲置土地处置办法》第二条第一款、第十四条第一款：约定动工日期2023年9月1日，截至2025年6月30日未动工，"
        "已满一年未满两年；按土地价款900.00万元的20%征缴土地闲置费180.00万元"
    )
    assert list(parcels["land_use"]) == ["1001", "1101", "1001", "1001", "1001"]
    issues = pd.read_csv(out / "data_issues.csv", encoding="utf-8-sig", dtype=str)
    assert "land_use" not in set(issues["字段"])  # read under the scheme the mapping names


def test_cadastre_codes_under_auto_are_reported_not_guessed(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(CADASTRE_LEDGER, tmp_path / "zongdi" / "zongdi.shp")
    draft = _draft(shp, tmp_path, capsys)
    out, _ = _analyze(shp, draft, tmp_path, capsys)
    issues = pd.read_csv(out / "data_issues.csv", encoding="utf-8-sig", dtype=str)
    land = issues[issues["字段"] == "land_use"]
    assert len(land) == 5
    assert land["问题"].str.endswith("请在列映射文件中设 land_use_scheme").all()


# ------------------------------------------------------------------------------------ 三调


def test_sandiao_layer_from_inspect_to_analyze(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(SANDIAO_LAYER, tmp_path / "sandiao" / "sandiao.shp")
    suggested = _suggestions(shp, capsys)
    assert suggested == {
        "TBBH": (
            "parcel_id",
            "拼音首字母 pinyin initials TBBH = 图斑编号；名称即 图斑编号；"
            "值为地类编码 / values are land-use codes: 0101、0102、0103",
        ),
        "DLMC": (
            None,
            "地类名称是地类编码的文字说明，分析用编码列 / the class name; the code column is used",
        ),
        "QSDWMC": (
            None,
            "权属单位是土地的权属主体（村集体、国有），不是用地单位 / the owner, not the land user",
        ),
        "GDFS": (
            "supply_type",
            "拼音首字母 pinyin initials GDFS = 供地方式；名称即 供地方式；"
            "值为供地方式 / values are supply types: 出让、未供、划拨",
        ),
    }
    draft = _draft(shp, tmp_path, capsys)
    assert draft["columns"] == {"land_use": "DLBM", "parcel_id": "TBBH", "supply_type": "GDFS"}
    draft["land_use_scheme"] = "sandiao"
    out, _ = _analyze(shp, draft, tmp_path, capsys)
    parcels = gpd.read_file(out / "parcels.gpkg").set_index("parcel_id")
    assert parcels["land_use"].to_dict() == {"0101": "1001", "0102": "09", "0103": "0703", "0104": "08"}
    assert parcels["land_use_source"].to_dict() == {
        "0101": "0601",
        "0102": "05H1",
        "0103": "0702",
        "0104": "08H1",
    }
    assert parcels["idle_status"].to_dict() == {
        "0101": "unknown",
        "0102": "unknown",
        "0103": "not_applicable",
        "0104": "unknown",
    }
    assert parcels.loc["0103", "idle_basis"] == "供地方式为未供，不适用《闲置土地处置办法》"
    assert parcels.loc["0101", "idle_basis"] == "无法认定是否闲置：缺少实际动工日期"
    assert list(parcels.columns[:3]) == ["land_use", "supply_type", "land_use_source"]


# ------------------------------------------------------------------------------------ bad mappings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "columns: {agreed_start_date: 约定动工时}\n",
            "columns.agreed_start_date: 字段 '约定动工时' 不在 gongdi.shp 中",
        ),
        (
            "columns: {supply_date: 供地时间, agreed_start_date: 供地时间}\n",
            "columns.agreed_start_date 与 columns.supply_date 都指向字段 '供地时间'",
        ),
        (
            "values: {supply_type: {市场化出让: 出让}}\n",
            "values.supply_type: supply_type 没有在 columns 中映射",
        ),
        ("land_use_scheme: gbt21010-2020\n", "land_use_scheme: 未知的分类 unknown scheme 'gbt21010-2020'"),
        ("colums: {}\n", "未知的键 unknown key 'colums'；是不是 did you mean 'columns'?"),
        ("columns: {start_date: 约定开工时}\n", "columns.start_date: 不是标准字段名 not a canonical column"),
    ],
)
def test_a_bad_mapping_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, capsys, text: str, message: str
) -> None:
    shp = write_gbk_shapefile(SUPPLY_LEDGER, tmp_path / "gongdi" / "gongdi.shp")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    for argv in (
        ["analyze", str(shp), "--columns", str(mapping), "--out", str(out)],
        ["inspect", str(shp), "--columns", str(mapping), "--write-columns", str(tmp_path / "draft.yaml")],
        ["map", str(shp), "--columns", str(mapping), "--out", str(tmp_path / "map.html")],
    ):
        code, _, stderr = _run(argv, capsys)
        assert code == 2, argv
        assert stderr.startswith("panhuo: 错误 error: map.yaml: ") and message in stderr
        assert stderr.count("\n") == 1
    assert (
        not out.exists() and not (tmp_path / "draft.yaml").exists() and not (tmp_path / "map.html").exists()
    )


def test_write_columns_never_overwrites(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(SUPPLY_LEDGER, tmp_path / "gongdi" / "gongdi.shp")
    target = tmp_path / "mine.yaml"
    target.write_text("columns: {}\n", encoding="utf-8")
    code, _, stderr = _run(["inspect", str(shp), "--write-columns", str(target)], capsys)
    assert code == 2 and "the file exists and is not overwritten" in stderr
    assert target.read_text(encoding="utf-8") == "columns: {}\n"


def test_map_of_a_raw_ledger_reads_it_through_the_mapping(tmp_path: Path, capsys) -> None:
    shp = write_gbk_shapefile(CADASTRE_LEDGER, tmp_path / "zongdi" / "zongdi.shp")
    draft = _draft(shp, tmp_path, capsys)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    html = tmp_path / "map.html"
    code, _, stderr = _run(["map", str(shp), "--columns", str(mapping), "--out", str(html)], capsys)
    assert code == 0, stderr
    assert "610802001003" in html.read_text(encoding="utf-8")
