"""The column mapping file (contract §2.1): validation, application before aliases and coercion, record."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.columns import ColumnMapping, load_columns, parse_columns
from geo.errors import ConfigError, NotFoundError, SchemaError
from geo.io import inspect_path, read_parcels
from tests.ledgers import SUPPLY_LEDGER, write_gbk_shapefile


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_gbk_shapefile(SUPPLY_LEDGER, tmp_path_factory.mktemp("ledger") / "gongdi.shp")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ validation


def test_unknown_key_is_refused_naming_it_and_the_allowed_keys() -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns({"column": {"supply_type": "供地方式"}}, source="map.yaml")
    assert str(info.value) == (
        "map.yaml: 未知的键 unknown key 'column'；是不是 did you mean 'columns'?；"
        "允许的键 allowed keys: columns, values, land_use_scheme, industry_scheme"
    )


def test_a_canonical_name_that_does_not_exist_is_refused_with_the_nearest() -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns({"columns": {"agreed_strat_date": "约定开工时"}}, source="map.yaml")
    message = str(info.value)
    assert message.startswith(
        "map.yaml: columns.agreed_strat_date: 不是标准字段名 not a canonical column; "
        "是不是 did you mean 'agreed_start_date'? 标准字段 canonical columns: parcel_id, name,"
    )
    assert "\n" not in message


def test_two_canonical_names_on_one_column_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns({"columns": {"supply_date": "供地时间", "agreed_start_date": " 供地时间 "}}, "map.yaml")
    assert str(info.value).startswith(
        "map.yaml: columns.agreed_start_date 与 columns.supply_date 都指向字段 ' 供地时间 ' / "
        "two canonical columns name the same column"
    )


def test_a_value_map_for_a_column_not_mapped_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns({"values": {"supply_type": {"市场化出让": "出让"}}}, "map.yaml")
    assert str(info.value) == (
        "map.yaml: values.supply_type: supply_type 没有在 columns 中映射 / the column is not mapped; "
        "add columns.supply_type: <column in the file>"
    )


def test_a_value_map_target_the_column_cannot_hold_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns(
            {"columns": {"supply_type": "供地方式"}, "values": {"supply_type": {"市场化出让": "卖了"}}},
            "map.yaml",
        )
    assert str(info.value) == (
        "map.yaml: values.supply_type.市场化出让: '卖了' 不是 supply_type 可取的值 / not a value "
        "supply_type can hold; 应为 expected 出让/划拨/未供/租赁"
    )


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("land_use_scheme", "auto | 2023 | gbt21010-2017 | gbt21010-2007 | sandiao"),
        ("industry_scheme", "auto | gbt4754-2017 | gbt4754-2011 | gbt4754-2002"),
    ],
)
def test_a_scheme_that_does_not_exist_is_refused(key: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_columns({key: "gbt21010-2023"}, "map.yaml")
    assert (
        str(info.value)
        == f"map.yaml: {key}: 未知的分类 unknown scheme 'gbt21010-2023'；可用 allowed: {allowed}"
    )


def test_unquoted_numbers_in_the_yaml_read_as_the_text_written(tmp_path: Path) -> None:
    mapping = load_columns(
        _write(tmp_path, "columns:\n  gov_cause: ZFYY\nvalues:\n  gov_cause: {1: 是, 0: 否}\n")
    )
    assert dict(mapping.values["gov_cause"]) == {"1": "是", "0": "否"}
    assert mapping.to_dict() == {
        "source": "map.yaml",
        "columns": {"gov_cause": "ZFYY"},
        "values": {"gov_cause": {"1": "是", "0": "否"}},
        "land_use_scheme": "auto",
        "industry_scheme": "auto",
    }


def test_a_missing_or_malformed_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="column mapping file not found"):
        load_columns(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"map.yaml: YAML 格式错误 does not parse \(line 2\)"):
        load_columns(_write(tmp_path, "columns:\n  a: b: c\n"))
    with pytest.raises(ConfigError, match="a column mapping is a mapping"):
        load_columns(_write(tmp_path, "- columns\n"))


def test_a_mapped_column_the_file_lacks_is_refused_with_the_file_columns(ledger: Path) -> None:
    mapping = parse_columns({"columns": {"agreed_start_date": "约定动工时"}}, "map.yaml")
    with pytest.raises(SchemaError) as info:
        read_parcels(ledger, columns=mapping)
    message = str(info.value)
    assert message.startswith(
        "map.yaml: columns.agreed_start_date: 字段 '约定动工时' 不在 gongdi.shp 中 / column '约定动工时' "
        "is not in gongdi.shp；是不是 did you mean '约定开工时'?; "
        "文件中的字段 columns in the file: 地块编号、"
    )
    with pytest.raises(SchemaError):
        inspect_path(ledger, columns=mapping)


# ------------------------------------------------------------------------------------ application


def test_mapping_applies_before_aliases_and_value_maps_before_coercion(ledger: Path) -> None:
    mapping = parse_columns(
        {
            "columns": {"supply_type": "供地方式", "agreed_start_date": "约定开工时", "tax_wan": "年纳税额"},
            "values": {"supply_type": {"挂牌出让": "出让", "协议出让": "出让", "国有划拨": "划拨"}},
            "land_use_scheme": "gbt21010-2017",
        },
        "map.yaml",
    )
    gdf, report = read_parcels(ledger, columns=mapping)
    assert list(gdf["supply_type"]) == ["出让", "出让", "划拨", "出让", "出让", "划拨"]
    assert list(gdf["agreed_start_date"].dt.strftime("%Y-%m-%d")) == [
        "2021-09-15",
        "2023-11-10",
        "2022-07-20",
        "2025-02-01",
        "2024-06-30",
        "2020-12-01",
    ]
    assert list(gdf["tax_wan"]) == [0.0, 0.0, 150.0, 0.0, 0.0, 45.0]
    hows = {m.canonical: (m.source, m.how) for m in report.columns_matched}
    assert hows["agreed_start_date"] == ("约定开工时", "mapping")
    assert hows["parcel_id"] == ("地块编号", "alias")
    assert [(v.raw, v.canonical, v.count) for v in report.values_mapped] == [
        ("挂牌出让", "出让", 2),
        ("协议出让", "出让", 2),
        ("国有划拨", "划拨", 2),
    ]
    assert report.column_mapping == mapping.to_dict()
    assert "land_use_scheme" in report.to_dict()["column_mapping"]
    text = report.to_text()
    assert "  约定开工时 → agreed_start_date（列映射 mapping map.yaml）" in text
    assert "  值映射 value map supply_type: '挂牌出让' → '出让'（2 个 values）" in text


def test_a_mapped_column_wins_over_an_alias_of_the_same_canonical(ledger: Path) -> None:
    # 地块编号 is an alias of parcel_id; the mapping names another column for parcel_id
    mapping = parse_columns({"columns": {"parcel_id": "受让单位"}}, "map.yaml")
    report = inspect_path(ledger, columns=mapping)
    assert "地块编号" in report.columns_unmatched
    assert [p.code for p in report.problems if p.code == "column_not_used"] == ["column_not_used"]


def test_map_values_matches_whole_numbers_by_their_integer_text() -> None:
    mapping = ColumnMapping(columns={"gov_cause": "ZFYY"}, values={"gov_cause": {"1": "是"}})
    out, counts = mapping.map_values("gov_cause", pd.Series([1.0, 0.0, None]))
    assert list(out[:2]) == ["是", 0.0]
    assert pd.isna(out[2])
    assert counts == {"1": 1}


def test_the_draft_offers_a_value_map_line_for_unreadable_fixed_values() -> None:
    import yaml

    from geo.ingest_report import Suggestion
    from geo.suggest import draft_mapping

    text = draft_mapping(
        {"地块编号": "parcel_id", "供地方式": "supply_type"},
        [Suggestion("约定开工时", "agreed_start_date", "why"), Suggestion("备注", None, "no")],
        "gongdi.shp",
        {"supply_type": ["作价入股", "作价入股", "其他"], "supply_date": ["待定"]},
    )
    lines = text.splitlines()
    assert (
        '#   supply_type: {"作价入股": ?, "其他": ?}    # 无法读取的值，填 出让/划拨/未供/租赁 后去掉 # / '
        "fill in, uncomment"
    ) in lines
    assert not any("supply_date: {" in line for line in lines)  # dates are not guessed
    assert '  # ?: "备注"    # 未能判断 no suggestion: no' in lines
    document = yaml.safe_load(text)
    assert document["columns"] == {
        "parcel_id": "地块编号",
        "supply_type": "供地方式",
        "agreed_start_date": "约定开工时",
    }
    filled = text.replace(
        '#   supply_type: {"作价入股": ?, "其他": ?}',
        'values:\n  supply_type: {"作价入股": 出让, "其他": 划拨}',
    )
    mapping = parse_columns(yaml.safe_load(filled), "draft.yaml")
    assert dict(mapping.values["supply_type"]) == {"作价入股": "出让", "其他": "划拨"}
