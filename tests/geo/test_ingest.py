"""read_parcels / read_layer / inspect_path over every format, CRS case and geometry problem."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, Point, Polygon, box

from geo.errors import CRSError, GeometryError, NotFoundError, SchemaError, UnsupportedFormatError
from geo.io import inspect_path, read_layer, read_parcels
from tests.geo.test_crs import ESRI_GK_CUSTOM, ESRI_GK_ZONE_37
from tests.geo.test_ingest_builders import PREFIX, X0, Y0, parcels_boxes, tree_hashes, write_shapefile

IDS = ["YL-001", "YL-002", "YL-003"]


def _frame(n: int = 3, crs: int | None = 4546, **columns) -> gpd.GeoDataFrame:
    data = {"地块编号": IDS[:n], "企业名称": ["玉林机械厂", "广西糖业", "玉柴配件"][:n], **columns}
    return gpd.GeoDataFrame(data, geometry=parcels_boxes(n), crs=crs)


# ------------------------------------------------------------------------------------------ formats


@pytest.mark.parametrize(
    ("name", "driver"),
    [("p.gpkg", "GPKG"), ("p.geojson", "GeoJSON"), ("p.fgb", "FlatGeobuf"), ("p.shp", "ESRI Shapefile")],
)
def test_each_gdal_format_reads_to_canonical_columns(tmp_path: Path, name: str, driver: str) -> None:
    path = tmp_path / name
    if driver == "ESRI Shapefile":  # GDAL's writer warns when it cuts names; build the DBF by hand
        fields = [("地块编号", "C", 10), ("企业名称", "C", 20), ("extra", "C", 5)]
        rows = [[i, e, x] for i, e, x in zip(IDS, ["玉林机械厂", "广西糖业", "玉柴配件"], "abc", strict=True)]
        write_shapefile(tmp_path, "p", parcels_boxes(3), fields, rows, encoding="utf-8", cpg="UTF-8")
    else:
        _frame(extra=["a", "b", "c"]).to_file(path, driver=driver)
    before = tree_hashes(tmp_path)
    gdf, report = read_parcels(path)
    assert tree_hashes(tmp_path) == before  # inputs never modified
    assert list(gdf.columns) == ["parcel_id", "enterprise", "extra", "geometry"]
    assert isinstance(gdf.index, pd.RangeIndex)
    gdf = gdf.sort_values("parcel_id", ignore_index=True)  # FlatGeobuf stores features in index order
    assert gdf["parcel_id"].tolist() == IDS
    assert all(isinstance(v, str) for v in gdf["parcel_id"])
    assert gdf["enterprise"].tolist() == ["玉林机械厂", "广西糖业", "玉柴配件"]
    assert gdf.crs.to_epsg() == 4546
    assert report.crs_epsg == 4546 and report.feature_count == 3
    assert report.driver == driver
    assert report.columns_unmatched == ("extra",)
    # a UTF-8 DBF keeps 10 bytes of a name: 地块编号 is stored as 地块编 (a truncated alias)
    how = "truncated alias" if driver == "ESRI Shapefile" else "alias"
    assert [(m.canonical, m.how) for m in report.columns_matched] == [("parcel_id", how), ("enterprise", how)]
    np.testing.assert_allclose(gdf.area, 10_000.0)
    assert report.ok and report.problems == ()


def test_geoparquet_with_geo_metadata(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    _frame().to_parquet(path)
    gdf, report = read_parcels(path)
    assert gdf["parcel_id"].tolist() == IDS
    assert report.crs_epsg == 4546 and "geo" in report.crs_how
    assert report.format == "GeoParquet"


def test_geoparquet_without_geo_metadata_needs_crs(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    table = pa.table({"DKBH": IDS, "geometry": shapely.to_wkb(np.array(parcels_boxes(3)))})
    pq.write_table(table, path)
    with pytest.raises(CRSError, match="geo"):
        read_parcels(path)
    gdf, report = read_parcels(path, crs=4546)
    assert gdf["parcel_id"].tolist() == IDS
    assert any(p.code == "no_geo_metadata" for p in report.problems)


def test_parquet_without_geometry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.parquet"
    pq.write_table(pa.table({"DKBH": IDS}), path)
    with pytest.raises(UnsupportedFormatError, match="not GeoParquet"):
        read_parcels(path)


def test_parquet_with_invalid_wkb_names_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    wkb = list(shapely.to_wkb(np.array(parcels_boxes(2))))
    wkb[1] = b"\x01\x03\x00\x00"
    pq.write_table(pa.table({"DKBH": IDS[:2], "geometry": wkb}), path)
    with pytest.raises(GeometryError, match="rows 2"):
        read_parcels(path, crs=4546)


# ---------------------------------------------------------------------------------------------- CRS


def test_missing_prj_is_an_error_unless_crs_is_given(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path, "noprj", parcels_boxes(2), [("DKBH", "C", 10)], [["A"], ["B"]], encoding="utf-8", crs=None
    )
    with pytest.raises(CRSError, match=r"\.prj") as info:
        read_parcels(shp)
    assert "noprj" in str(info.value) and "--crs" in str(info.value)
    gdf, report = read_parcels(shp, crs=4546)
    assert gdf.crs.to_epsg() == 4546 and "crs=" in report.crs_how


def test_missing_crs_with_prefixed_eastings_suggests_the_prefixed_zone(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "p",
        parcels_boxes(2, prefixed=True),
        [("DKBH", "C", 10)],
        [["A"], ["B"]],
        encoding="utf-8",
        crs=None,
    )
    with pytest.raises(CRSError, match="EPSG:4525"):
        read_parcels(shp)


def test_prefixed_coordinates_with_esri_prj_are_epsg_4525(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "z37",
        parcels_boxes(2, prefixed=True),
        [("DKBH", "C", 10)],
        [["A"], ["B"]],
        encoding="utf-8",
        crs=None,
    )
    shp.with_suffix(".prj").write_text(ESRI_GK_ZONE_37)
    gdf, report = read_parcels(shp)
    assert report.crs_epsg == 4525 and gdf.crs.to_epsg() == 4525
    assert gdf.total_bounds[0] == pytest.approx(PREFIX + X0)
    assert ".prj" in report.crs_how


def test_custom_gauss_kruger_prj_is_identified_from_parameters(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "c",
        parcels_boxes(1, prefixed=True),
        [("DKBH", "C", 10)],
        [["A"]],
        encoding="utf-8",
        crs=None,
    )
    shp.with_suffix(".prj").write_text(ESRI_GK_CUSTOM)
    _, report = read_parcels(shp)
    assert report.crs_epsg == 4525


def test_prefixed_coordinates_declared_4546_are_an_error_that_names_4525(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "wrong",
        parcels_boxes(2, prefixed=True),
        [("DKBH", "C", 10)],
        [["A"], ["B"]],
        encoding="utf-8",
        crs=4546,
    )
    with pytest.raises(CRSError) as info:
        read_parcels(shp)
    message = str(info.value)
    assert "wrong.shp" in message and "EPSG:4546" in message
    assert "looks like EPSG:4525 (zone-prefixed); pass --crs 4525" in message
    assert "3 度带第 37 带（带号前缀）" in message
    assert "A (row 1)" in message
    report = inspect_path(shp)  # inspect lists it without raising
    assert any(p.code == "crs_mismatch" for p in report.problems) and not report.ok
    gdf, report = read_parcels(shp, crs=4525)
    assert gdf.crs.to_epsg() == 4525 and "4546" in report.crs_how


def test_unprefixed_coordinates_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "u.gpkg"
    _frame().to_file(path)
    _, report = read_parcels(path)
    assert report.crs_epsg == 4546 and report.crs_name == "CGCS2000 / 3-degree Gauss-Kruger CM 111E"


def _geojson(path: Path, coords: list[list[list[float]]], crs: str | None, ids=IDS) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": []}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    for pid, ring in zip(ids, coords, strict=False):
        doc["features"].append(
            {
                "type": "Feature",
                "properties": {"宗地代码": pid},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _ring(x: float, y: float, d: float) -> list[list[float]]:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def test_geojson_legacy_projected_crs_member_is_honoured(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "legacy.geojson", [_ring(X0, Y0, 100)], "urn:ogc:def:crs:EPSG::4546")
    gdf, report = read_parcels(path)
    assert report.crs_epsg == 4546 and "crs" in report.crs_how
    assert gdf.area.iloc[0] == pytest.approx(10_000.0)
    assert report.reprojected_from is None


def test_geojson_in_metres_without_crs_member_is_not_silently_crs84(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "nocrs.geojson", [_ring(X0, Y0, 100)], None)
    with pytest.raises(CRSError, match="metres"):
        read_parcels(path)


def test_geojson_in_degrees_is_reprojected_to_its_gk_zone(tmp_path: Path) -> None:
    path = _geojson(tmp_path / "deg.geojson", [_ring(110.15, 22.63, 0.001)], None)
    gdf, report = read_parcels(path)
    assert report.crs_epsg == 4546 and gdf.crs.to_epsg() == 4546
    assert report.reprojected_from is not None and "4326" in report.reprojected_from
    assert "RFC 7946" in report.crs_how
    assert 9_000 < gdf.area.iloc[0] < 12_000  # 0.001° ≈ 103 m × 111 m


def test_latitude_9999_is_reported_by_id(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path / "lat.geojson", [_ring(110.15, 22.63, 0.001), _ring(110.15, 9999.0, 0.001)], "EPSG:4490"
    )
    with pytest.raises(CRSError, match=r"YL-002 \(row 2\)"):
        read_parcels(path)


def test_nan_coordinates_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "nan.parquet"
    frame = _frame(2)
    with np.errstate(invalid="ignore"):
        frame.loc[1, "geometry"] = Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 10, np.nan), (X0, Y0)])
    frame.to_parquet(path)
    with pytest.raises(GeometryError, match=r"NaN.*YL-002"):
        read_parcels(path)


# ------------------------------------------------------------------------------------------- layers


def test_multi_layer_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "park.gpkg"
    _frame().to_file(path, layer="parcels")
    gpd.GeoDataFrame({"n": [1]}, geometry=[LineString([(X0, Y0), (X0 + 10, Y0)])], crs=4546).to_file(
        path, layer="roads"
    )
    with pytest.raises(NotFoundError) as info:
        read_parcels(path)
    assert "'parcels'" in str(info.value) and "'roads'" in str(info.value) and "--layer" in str(info.value)
    gdf, report = read_parcels(path, layer="parcels")
    assert len(gdf) == 3 and report.layers == ("parcels", "roads") and report.layer == "parcels"
    with pytest.raises(NotFoundError, match="'nope'"):
        read_parcels(path, layer="nope")
    roads, _ = read_layer(path, layer="roads", geometry_types=("LineString", "MultiLineString"))
    assert roads.geometry.iloc[0].length == pytest.approx(10.0)


def test_point_layer_given_as_parcels_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pts.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A", "B"]}, geometry=[Point(X0, Y0), Point(X0 + 1, Y0)], crs=4546).to_file(
        path
    )
    with pytest.raises(GeometryError, match="Point 2"):
        read_parcels(path)
    points, report = read_layer(path, geometry_types=("Point", "MultiPoint"))
    assert list(points.columns) == ["DKBH", "geometry"] and report.crs_epsg == 4546
    with pytest.raises(GeometryError):
        read_layer(path, geometry_types=("Polygon",))


def test_empty_layer_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    _frame().iloc[:0].to_file(path)
    with pytest.raises(GeometryError, match="empty"):
        read_parcels(path)


# ----------------------------------------------------------------------------------------- geometry


def test_invalid_geometries_are_repaired_and_reported(tmp_path: Path) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10), (X0, Y0)])
    self_touching = Polygon(
        [
            (X0, Y0),
            (X0 + 4, Y0),
            (X0 + 4, Y0 + 4),
            (X0 + 2, Y0 + 4),
            (X0 + 2, Y0 + 2),
            (X0 + 2, Y0 + 4),
            (X0, Y0 + 4),
            (X0, Y0),
        ]
    )
    duplicate_vertices = Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0, Y0 + 10)])
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"DKBH": IDS}, geometry=[bowtie, self_touching, duplicate_vertices], crs=4546).to_file(
        path
    )
    gdf, report = read_parcels(path)
    assert gdf.is_valid.all()
    repaired = {r.parcel_id: r for r in report.geometry.repaired}
    assert set(repaired) == {"YL-001", "YL-002"}
    assert repaired["YL-001"].area_before_m2 == pytest.approx(0.0)
    assert repaired["YL-001"].area_after_m2 == pytest.approx(50.0)  # two triangles of 25 m²
    assert repaired["YL-002"].area_after_m2 == pytest.approx(16.0)
    assert report.geometry.area_change_total_m2 == pytest.approx(50.0)
    assert gdf.area.tolist() == pytest.approx([50.0, 16.0, 100.0])  # duplicate vertices: valid, kept
    assert report.geometry.multipart == 1  # the bow-tie became two triangles
    assert any(p.code == "geometries_repaired" for p in report.problems)
    text = report.to_text()
    assert "YL-001" in text and "make_valid" in text


def test_repair_losing_area_is_listed(tmp_path: Path) -> None:
    # one ring drawn around two overlapping 10 m squares: the shoelace area counts the 25 m²
    # overlap twice (200 m²); make_valid keeps the symmetric difference (150 m²), a 25 % loss
    overlapping = Polygon(
        [
            (X0, Y0),
            (X0 + 10, Y0),
            (X0 + 10, Y0 + 10),
            (X0, Y0 + 10),
            (X0, Y0),
            (X0 + 5, Y0 + 5),
            (X0 + 15, Y0 + 5),
            (X0 + 15, Y0 + 15),
            (X0 + 5, Y0 + 15),
            (X0 + 5, Y0 + 5),
            (X0, Y0),
        ]
    )
    path = tmp_path / "loss.gpkg"
    gpd.GeoDataFrame({"DKBH": ["L1"]}, geometry=[overlapping], crs=4546).to_file(path)
    _, report = read_parcels(path, drop_empty=False)
    rep = report.geometry.repaired[0]
    assert rep.parcel_id == "L1"
    assert rep.area_after_m2 == pytest.approx(150.0)
    assert rep.area_before_m2 == pytest.approx(200.0)
    assert [r.parcel_id for r in report.geometry.over_tolerance] == ["L1"]
    assert any(p.code == "repair_area_loss" for p in report.problems)


def test_empty_and_null_geometries(tmp_path: Path) -> None:
    path = tmp_path / "holes.gpkg"
    geoms = [box(X0, Y0, X0 + 10, Y0 + 10), Polygon(), None]
    gpd.GeoDataFrame({"DKBH": IDS}, geometry=geoms, crs=4546).to_file(path)
    with pytest.raises(GeometryError) as info:
        read_parcels(path)
    assert "YL-002 (row 2)" in str(info.value) and "YL-003 (row 3)" in str(info.value)
    assert "drop_empty=True" in str(info.value)
    gdf, report = read_parcels(path, drop_empty=True)
    assert gdf["parcel_id"].tolist() == ["YL-001"] and isinstance(gdf.index, pd.RangeIndex)
    assert {r.parcel_id for r in report.geometry.dropped} == {"YL-002", "YL-003"}
    report = inspect_path(path)
    assert [r.parcel_id for r in report.geometry.null] == ["YL-003"]
    assert [r.parcel_id for r in report.geometry.empty] == ["YL-002"]


def test_geometry_collection_is_reduced_to_its_polygons(tmp_path: Path) -> None:
    gc = GeometryCollection([box(X0, Y0, X0 + 10, Y0 + 10), LineString([(X0, Y0), (X0 + 50, Y0 + 50)])])
    path = tmp_path / "gc.geojson"
    gpd.GeoDataFrame({"DKBH": ["G1"]}, geometry=[gc], crs=4546).to_file(path)
    gdf, report = read_parcels(path)
    assert gdf.geometry.iloc[0].geom_type == "Polygon" and gdf.area.iloc[0] == pytest.approx(100.0)
    assert [r.parcel_id for r in report.geometry.collections_reduced] == ["G1"]


def test_z_coordinates_are_dropped_and_counted(tmp_path: Path) -> None:
    z = Polygon([(X0, Y0, 5), (X0 + 10, Y0, 5), (X0 + 10, Y0 + 10, 6), (X0, Y0, 5)])
    path = tmp_path / "z.gpkg"
    gpd.GeoDataFrame({"DKBH": ["Z1"]}, geometry=[z], crs=4546).to_file(path)
    gdf, report = read_parcels(path)
    assert not gdf.has_z.any() and report.geometry.z_dropped == 1


# ------------------------------------------------------------------------------------ ids & columns


def test_duplicate_and_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A", "B", "A", None, " "]}, geometry=parcels_boxes(5), crs=4546).to_file(path)
    with pytest.raises(SchemaError) as info:
        read_parcels(path)
    assert "4, 5" in str(info.value)  # the first error: missing ids on rows 4 and 5
    report = inspect_path(path)
    assert [(d.parcel_id, d.rows) for d in report.duplicate_ids] == [("A", (1, 3))]
    assert [r.row for r in report.missing_ids] == [4, 5]
    assert {p.code for p in report.problems} >= {"duplicate_ids", "missing_ids"}
    assert "重复编号" in report.to_text()
    path2 = tmp_path / "dup.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A", "B", "A"]}, geometry=parcels_boxes(3), crs=4546).to_file(path2)
    with pytest.raises(SchemaError, match=r"A（第 1, 3 行）"):
        read_parcels(path2)


def test_no_parcel_id_column_lists_columns_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "noid.gpkg"
    gpd.GeoDataFrame({"编号": ["A"], "名称": ["x"]}, geometry=parcels_boxes(1), crs=4546).to_file(path)
    with pytest.raises(SchemaError) as info:
        read_parcels(path)
    message = str(info.value)
    assert "编号、名称" in message and "地块编号, 宗地编号, 宗地代码, DKBH" in message


def test_numeric_ids_become_text(tmp_path: Path) -> None:
    path = tmp_path / "num.gpkg"
    gpd.GeoDataFrame({"parcel_id": [101, 102]}, geometry=parcels_boxes(2), crs=4546).to_file(path)
    gdf, _ = read_parcels(path)
    assert gdf["parcel_id"].tolist() == ["101", "102"]


def test_aliases_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "case.gpkg"
    gpd.GeoDataFrame(
        {" dkbh ": ["A"], "Land_Use": ["100101"], "R&D经费": ["12.5"]}, geometry=parcels_boxes(1), crs=4546
    ).to_file(path)
    gdf, report = read_parcels(path)
    assert list(gdf.columns) == ["parcel_id", "land_use", "rd_wan", "geometry"]
    assert gdf["land_use"].tolist() == ["100101"] and gdf["rd_wan"].tolist() == [12.5]
    assert [m.how for m in report.columns_matched] == ["alias", "name", "alias"]


def test_two_columns_for_one_canonical_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "twice.gpkg"
    gpd.GeoDataFrame(
        {"DKBH": ["A"], "出让价款": [1.0], "划拨价款": [2.0]}, geometry=parcels_boxes(1), crs=4546
    ).to_file(path)
    with pytest.raises(SchemaError, match="'出让价款' and '划拨价款' both map to land_price_wan"):
        read_parcels(path)


def test_report_round_trips_to_json(tmp_path: Path) -> None:
    path = tmp_path / "j.gpkg"
    _frame(supply_date=["2023/5/1", "bad", "45047"]).to_file(path)
    _, report = read_parcels(path)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["crs_epsg"] == 4546
    assert data["unreadable"] == [
        {
            "column": "supply_date",
            "row": 2,
            "parcel_id": "YL-002",
            "raw": "bad",
            "expected": "日期（如 2023-05-01、2023/5/1、2023年5月1日 或 Excel 序号）",
            "problem": "不是日期（文字或符号），按无法读取处理，不作为空日期",
        }
    ]
    assert data["ok"] is True


def test_geographic_prj_over_metre_coordinates_is_an_error(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path, "geo", parcels_boxes(1), [("DKBH", "C", 10)], [["A"]], encoding="utf-8", crs=4490
    )
    with pytest.raises(CRSError, match="metres, not degrees"):
        read_parcels(shp)


def test_xian80_gauss_kruger_is_kept_as_the_layers_own_metric_crs(tmp_path: Path) -> None:
    path = tmp_path / "xian80.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A"]}, geometry=parcels_boxes(1), crs=2383).to_file(path)  # Xian 1980 CM 114E
    gdf, report = read_parcels(path)
    assert report.crs_epsg == 2383 and gdf.crs.to_epsg() == 2383 and report.reprojected_from is None


def test_hole_outside_shell_is_repaired(tmp_path: Path) -> None:
    shell = [(X0, Y0), (X0 + 10, Y0), (X0 + 10, Y0 + 10), (X0, Y0 + 10), (X0, Y0)]
    hole = [(X0 + 20, Y0), (X0 + 21, Y0), (X0 + 21, Y0 + 1), (X0 + 20, Y0)]
    path = tmp_path / "hole.gpkg"
    gpd.GeoDataFrame({"DKBH": ["H"]}, geometry=[Polygon(shell, [hole])], crs=4546).to_file(path)
    gdf, report = read_parcels(path)
    assert gdf.is_valid.all() and report.geometry.repaired[0].parcel_id == "H"
    assert "Hole" in report.geometry.repaired[0].reason


def test_geojson_nan_and_infinity_tokens_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "nan.geojson"
    ring = "[[110.15,22.63],[110.16,22.63],[110.16,{}],[110.15,22.63]]"
    features = [
        f'{{"type":"Feature","properties":{{"DKBH":"{pid}"}},'
        f'"geometry":{{"type":"Polygon","coordinates":[{ring.format(token)}]}}}}'
        for pid, token in (("A", "NaN"), ("B", "Infinity"), ("C", "22.64"))
    ]
    path.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},'
        f'"features":[{",".join(features)}]}}'
    )
    with pytest.raises(GeometryError, match=r"NaN or infinite in: A \(row 1\), B \(row 2\)"):
        read_parcels(path)


def test_deeply_nested_geojson_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
        '{"type":"Polygon","coordinates":' + "[" * 5000 + "]" * 5000 + "}}]}"
    )
    with pytest.raises(UnsupportedFormatError, match=r"deep\.geojson"):
        read_parcels(path)
