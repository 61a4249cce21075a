"""Values stored as text in every accepted spelling become exact typed values (contract.md §2)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.coerce import coerce_column
from geo.io import read_parcels
from geo.schema import FIELDS_BY_NAME
from tests.geo.test_ingest_builders import parcels_boxes, write_shapefile

DATES = [
    "2023-05-01",
    "2023/5/1",
    "2023年5月1日",
    "45047",
    "20230501",
    "2023-05-01 08:30:00",
    "2023.5.1",
    "２０２３／５／１",
    "2023-5-1",
]
TRUE_SPELLINGS = ["是", "Y", "y", "true", "TRUE", "True", "1", "yes", "T"]
FALSE_SPELLINGS = ["否", "N", "n", "false", "FALSE", "0", "no", "F", "0.0"]


def _gpkg(tmp_path: Path, columns: dict) -> Path:
    n = len(next(iter(columns.values())))
    path = tmp_path / "v.gpkg"
    gpd.GeoDataFrame(
        {"DKBH": [f"P{i}" for i in range(n)], **columns}, geometry=parcels_boxes(n), crs=4546
    ).to_file(path)
    return path


def test_every_date_spelling_reads_as_2023_05_01(tmp_path: Path) -> None:
    gdf, report = read_parcels(_gpkg(tmp_path, {"供地日期": DATES}))
    assert gdf["supply_date"].dtype == "datetime64[ns]"
    assert [str(d.date()) for d in gdf["supply_date"]] == ["2023-05-01"] * len(DATES)
    coercion = {c.column: c for c in report.coercions}["supply_date"]
    assert (coercion.converted, coercion.unreadable, coercion.missing) == (len(DATES), 0, 0)


def test_excel_serial_numbers_stored_as_numbers(tmp_path: Path) -> None:
    gdf, _ = read_parcels(_gpkg(tmp_path, {"约定动工日期": [45047, 44927, 36526]}))
    assert [str(d.date()) for d in gdf["agreed_start_date"]] == ["2023-05-01", "2023-01-01", "2000-01-01"]


def test_unreadable_dates_are_listed_with_raw_value(tmp_path: Path) -> None:
    raw = ["2023-02-30", "明年", "2023", "", None]
    gdf, report = read_parcels(_gpkg(tmp_path, {"实际动工日期": raw}))
    assert gdf["actual_start_date"].isna().all()
    bad = [(u.parcel_id, u.raw, u.column) for u in report.unreadable]
    assert bad == [
        ("P0", "2023-02-30", "actual_start_date"),
        ("P1", "明年", "actual_start_date"),
        ("P2", "2023", "actual_start_date"),
    ]
    coercion = {c.column: c for c in report.coercions}["actual_start_date"]
    assert (coercion.unreadable, coercion.missing) == (3, 2)
    assert "明年" in report.to_text()


def test_every_bool_spelling(tmp_path: Path) -> None:
    values = TRUE_SPELLINGS + FALSE_SPELLINGS + ["也许"]
    gdf, report = read_parcels(_gpkg(tmp_path, {"政府原因": values}))
    assert gdf["gov_cause"].dtype == "boolean"
    expected = [True] * len(TRUE_SPELLINGS) + [False] * len(FALSE_SPELLINGS) + [pd.NA]
    assert gdf["gov_cause"].tolist() == expected
    assert [u.raw for u in report.unreadable] == ["也许"]


def test_numbers_stored_as_text(tmp_path: Path) -> None:
    gdf, report = read_parcels(
        _gpkg(
            tmp_path,
            {
                "税收": ["1,234.5", " 12 ", "３.５", "1e3", "十二", "-4"],
                "投产年份": ["2019", "2020.0", "2021.5", "", "x", "1999"],
            },
        )
    )
    assert gdf["tax_wan"].tolist()[:4] == [1234.5, 12.0, 3.5, 1000.0]
    assert np.isnan(gdf["tax_wan"].iloc[4]) and gdf["tax_wan"].iloc[5] == -4.0
    assert gdf["production_year"].dtype == "Int64"
    assert gdf["production_year"].tolist() == [2019, 2020, pd.NA, pd.NA, pd.NA, 1999]
    assert sorted((u.column, u.raw) for u in report.unreadable) == [
        ("production_year", "2021.5"),
        ("production_year", "x"),
        ("tax_wan", "十二"),
    ]


def test_enum_spellings_map_to_canonical_values(tmp_path: Path) -> None:
    gdf, report = read_parcels(
        _gpkg(
            tmp_path,
            {
                "供地方式": [
                    "划拨",
                    "allocated",
                    "出让",
                    "Leased",
                    "租赁",
                    "rented",
                    "未供",
                    "UNSUPPLIED",
                    "作价出资",
                ],
                "危房等级": ["a", "B", " c ", "D", "A", "b", "C", "d", "E"],
            },
        )
    )
    assert gdf["supply_type"].tolist() == [
        "划拨",
        "划拨",
        "出让",
        "出让",
        "租赁",
        "租赁",
        "未供",
        "未供",
        None,
    ]
    assert gdf["building_grade"].tolist() == ["A", "B", "C", "D", "A", "B", "C", "D", None]
    assert sorted(u.raw for u in report.unreadable) == ["E", "作价出资"]


def test_codes_keep_leading_zeros_and_numbers_become_text(tmp_path: Path) -> None:
    gdf, _ = read_parcels(
        _gpkg(tmp_path, {"现状用途": ["0101", "100101", "1001"], "行业代码": [13.0, 35.0, 39.0]})
    )
    assert gdf["land_use"].tolist() == ["0101", "100101", "1001"]
    assert gdf["industry_code"].tolist() == ["13", "35", "39"]


def test_shapefile_text_numbers_and_dates(tmp_path: Path) -> None:
    fields = [("DKBH", "C", 10), ("供地日期", "C", 16), ("总投资", "C", 12), ("规上企业", "C", 4)]
    rows = [["A1", "2023年5月1日", "12,000", "是"], ["A2", "45047", "350.25", "否"]]
    shp = write_shapefile(tmp_path, "s", parcels_boxes(2), fields, rows, encoding="gbk")
    gdf, report = read_parcels(shp)
    assert [str(d.date()) for d in gdf["supply_date"]] == ["2023-05-01", "2023-05-01"]
    assert gdf["total_investment_wan"].tolist() == [12000.0, 350.25]
    assert gdf["above_scale"].tolist() == [True, False]
    assert report.unreadable == ()


@given(st.dates(min_value=pd.Timestamp("1950-01-02").date(), max_value=pd.Timestamp("2099-12-31").date()))
def test_all_date_spellings_agree(day) -> None:
    serial = (pd.Timestamp(day) - pd.Timestamp("1899-12-30")).days
    raw = pd.Series(
        [
            day.isoformat(),
            f"{day.year}/{day.month}/{day.day}",
            f"{day.year}年{day.month}月{day.day}日",
            str(serial),
            day.strftime("%Y%m%d"),
        ]
    )
    result = coerce_column(raw, FIELDS_BY_NAME["supply_date"])
    assert not result.bad.any()
    assert set(result.values.dt.date) == {day}


@pytest.mark.parametrize("value", [1e300, float("inf")])
def test_absurd_numbers_are_not_read_as_dates(value: float) -> None:
    result = coerce_column(pd.Series([value]), FIELDS_BY_NAME["supply_date"])
    assert result.bad.tolist() == [True]
