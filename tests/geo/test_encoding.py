"""Shapefile text encodings (hardening.md A14): detection order, conflicts, exact Chinese text."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.encoding import detect_dbf_encoding, read_dbf_header
from geo.errors import EncodingError
from geo.io import inspect_path, read_parcels
from tests.geo.test_ingest_builders import parcels_boxes, write_shapefile

FIELDS = [("地块编号", "C", 10), ("企业名称", "C", 40), ("供地方式", "C", 10)]
ROWS = [["YL-001", "玉林机械厂", "出让"], ["YL-002", "广西玉柴配件有限公司", "划拨"]]
NAMES = ["玉林机械厂", "广西玉柴配件有限公司"]


def _shp(tmp_path: Path, encoding: str, **kwargs) -> Path:
    rows = kwargs.pop("rows", ROWS)
    return write_shapefile(
        tmp_path, "parcels", parcels_boxes(len(rows)), FIELDS, rows, encoding=encoding, **kwargs
    )


def test_gbk_without_cpg_and_ldid_0_is_detected_as_gbk(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk", ldid=0)
    gdf, report = read_parcels(shp)
    assert report.encoding == "GBK"
    assert "GBK" in report.encoding_how and "UTF-8" in report.encoding_how
    assert gdf["enterprise"].tolist() == NAMES
    assert gdf["parcel_id"].tolist() == ["YL-001", "YL-002"]
    assert gdf["supply_type"].tolist() == ["出让", "划拨"]


def test_gbk_with_ldid_0x4d_is_read_by_the_language_id(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk", ldid=0x4D)
    assert read_dbf_header(shp.with_suffix(".dbf")).ldid == 0x4D
    gdf, report = read_parcels(shp)
    assert report.encoding == "GBK"
    assert "LDID 0x4D" in report.encoding_how
    assert gdf["enterprise"].tolist() == NAMES


def test_utf8_without_cpg_is_detected_by_strict_decode(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "utf-8")
    gdf, report = read_parcels(shp)
    assert report.encoding == "UTF-8"
    assert "UTF-8" in report.encoding_how
    assert gdf["enterprise"].tolist() == NAMES


def test_utf8_with_cpg(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "utf-8", cpg="UTF-8")
    gdf, report = read_parcels(shp)
    assert report.encoding == "UTF-8"
    assert ".cpg" in report.encoding_how
    assert gdf["enterprise"].tolist() == NAMES


def test_gbk_with_cpg_936(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk", cpg="936")
    gdf, report = read_parcels(shp)
    assert report.encoding == "GBK"
    assert gdf["enterprise"].tolist() == NAMES


def test_lying_cpg_raises_with_both_previews_and_encoding_resolves_it(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk", cpg="UTF-8")
    with pytest.raises(EncodingError) as info:
        read_parcels(shp)
    message = str(info.value)
    assert "parcels.dbf" in message
    assert "UTF-8" in message and "GBK" in message
    assert "玉林机械厂" in message  # the GBK preview
    assert "\ufffd" in message  # the UTF-8 preview shows replacement characters
    assert "encoding='GBK'" in message
    # the inspect command cannot read it either: the conflict must be settled by the user
    with pytest.raises(EncodingError):
        inspect_path(shp)
    gdf, report = read_parcels(shp, encoding="GBK")
    assert report.encoding == "GBK"
    assert "encoding=" in report.encoding_how
    assert gdf["enterprise"].tolist() == NAMES


def test_ldid_cp1252_over_chinese_bytes_is_a_conflict(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk", ldid=0x57)
    with pytest.raises(EncodingError, match="LDID 0x57"):
        read_parcels(shp)
    gdf, _ = read_parcels(shp, encoding="gbk")
    assert gdf["enterprise"].tolist() == NAMES


def test_wrong_explicit_encoding_is_refused(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gbk")
    with pytest.raises(EncodingError, match="not valid UTF-8"):
        read_parcels(shp, encoding="UTF-8")


def test_gb18030_only_characters_are_reported_as_gb18030(tmp_path: Path) -> None:
    rows = [["YL-001", "𠮷祥物流有限公司", "出让"], ["YL-002", "玉林机械厂", "租赁"]]
    shp = _shp(tmp_path, "gb18030", rows=rows)
    gdf, report = read_parcels(shp)
    assert report.encoding == "GB18030"
    assert gdf["enterprise"].tolist() == ["𠮷祥物流有限公司", "玉林机械厂"]
    assert gdf["supply_type"].tolist() == ["出让", "租赁"]


def test_plain_gbk_text_is_reported_as_gbk_not_gb18030(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "gb18030")  # GB18030 bytes of GBK characters are GBK bytes
    _, report = read_parcels(shp)
    assert report.encoding == "GBK"


def test_ascii_only_table(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path, "a", parcels_boxes(1), [("DKBH", "C", 10)], [["P1"]], encoding="ascii")
    gdf, report = read_parcels(shp)
    assert report.encoding == "UTF-8"
    assert "ASCII" in report.encoding_how
    assert gdf["parcel_id"].tolist() == ["P1"]


def test_truncated_chinese_field_names_map_to_their_alias(tmp_path: Path) -> None:
    # GBK: 2 bytes per character, so the 10-byte DBF name keeps 5 characters
    fields = [
        ("地块编号", "C", 10),
        ("土地使用权到期日期", "C", 12),
        ("行政办公及生活服务设施用地面积", "C", 8),
        ("高新技术企业", "C", 2),
        ("备注说明文字很长", "C", 10),
    ]
    raw_names = [f[0].encode("gbk")[:10] for f in fields]
    shp = write_shapefile(
        tmp_path,
        "t",
        parcels_boxes(2),
        fields,
        [["A1", "2043/5/1", "1200", "是", "x"], ["A2", "2050年1月2日", "350.5", "否", "y"]],
        encoding="gbk",
        raw_names=raw_names,
    )
    gdf, report = read_parcels(shp)
    matched = {m.source: (m.canonical, m.how) for m in report.columns_matched}
    assert matched["土地使用权"] == ("lease_end_date", "truncated alias")
    assert matched["行政办公及"] == ("admin_area_m2", "truncated alias")
    assert matched["高新技术企"] == ("high_tech", "truncated alias")
    assert report.columns_unmatched == ("备注说明文",)
    assert [str(d.date()) for d in gdf["lease_end_date"]] == ["2043-05-01", "2050-01-02"]
    assert gdf["admin_area_m2"].tolist() == [1200.0, 350.5]
    assert gdf["high_tech"].tolist() == [True, False]
    assert gdf["备注说明文"].tolist() == ["x", "y"]


def test_truncated_utf8_field_name_cut_inside_a_character(tmp_path: Path) -> None:
    # UTF-8: 3 bytes per character; 10 bytes = 3 characters and one byte of the fourth
    raw = "约定动工日期".encode()[:10]
    shp = write_shapefile(
        tmp_path,
        "u",
        parcels_boxes(1),
        [("地块编号", "C", 10), ("约定动工日期", "C", 10)],
        [["A1", "2021-03-01"]],
        encoding="utf-8",
        raw_names=["地块编号".encode()[:10], raw],
        cpg="UTF-8",
    )
    gdf, report = read_parcels(shp)
    assert [m.canonical for m in report.columns_matched] == ["parcel_id", "agreed_start_date"]
    assert str(gdf["agreed_start_date"].iloc[0].date()) == "2021-03-01"


def test_detect_order_cpg_before_ldid(tmp_path: Path) -> None:
    shp = _shp(tmp_path, "utf-8", ldid=0x4D, cpg="UTF-8")
    decision = detect_dbf_encoding(shp.with_suffix(".dbf"), shp.with_suffix(".cpg"))
    assert decision.name == "UTF-8"
    assert decision.declared == "UTF-8"


def test_undecodable_bytes_without_declaration(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "l",
        parcels_boxes(1),
        [("DKBH", "C", 10), ("QYMC", "C", 20)],
        [["A1", "Caf\u00e9 \u00ff\u00fe"]],
        encoding="latin-1",
    )
    with pytest.raises(EncodingError, match="neither UTF-8 nor GBK"):
        read_parcels(shp)
