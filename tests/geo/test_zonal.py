"""Zonal statistics on tiny rasters, checked against values worked out by hand.

The reference raster is 10 × 10 cells of 10 m in EPSG:4546 (CGCS2000 / 3° Gauss–Krüger CM 111°E,
which covers 玉林), top-left corner (480 000, 2 500 000). Cell (row r, column c) holds
``10·r + c``, so a parcel's expected statistics follow from the cells it covers; cell (9, 8) and
(9, 9) are nodata (−9999) and cell (8, 9) is NaN.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from rasterio import Affine

from geo.errors import CRSError, GeometryError, InputError, RasterError, UnsupportedFormatError
from geo.zonal import stat_columns, zonal_stats

X0, Y0, CELL = 480_000.0, 2_500_000.0, 10.0
CRS = "EPSG:4546"


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up geotransform (rasterio's own ``from_origin`` triggers affine's deprecation warning)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def cell_box(r0: float, c0: float, r1: float, c1: float) -> shapely.Polygon:
    """Box from (row r0, col c0) to (row r1, col c1) in cell units (fractions allowed)."""
    return shapely.box(X0 + c0 * CELL, Y0 - r1 * CELL, X0 + c1 * CELL, Y0 - r0 * CELL)


def write_raster(
    path: Path, data: np.ndarray, *, crs: str = CRS, transform=None, nodata=-9999.0, **extra
) -> Path:
    profile = {
        "driver": "GTiff",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform or from_origin(X0, Y0, CELL, CELL),
        "nodata": nodata,
    }
    profile.update(extra)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture
def raster(tmp_path) -> Path:
    data = (10 * np.arange(10)[:, None] + np.arange(10)[None, :]).astype("float32")
    data[9, 8] = data[9, 9] = -9999.0
    data[8, 9] = np.nan
    return write_raster(tmp_path / "ten.tif", data)


def parcels(geoms: dict[str, shapely.Geometry], crs: str = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": list(geoms)}, geometry=list(geoms.values()), crs=crs, index=list(geoms))


HAND = {
    # id: (geometry, mean, min, max, std, count, coverage)
    "two_by_two": (cell_box(0, 0, 2, 2), 5.5, 0, 11, math.sqrt(25.25), 4.0, 1.0),
    # columns 0.5–2.5 of rows 2–3: weights ½, 1, ½ on 20 21 22 and 30 31 32
    "half_cells": (cell_box(2, 0.5, 4, 2.5), 26.0, 20, 32, math.sqrt(102 / 4), 4.0, 1.0),
    # 4 m × 4 m inside cell (5, 3)
    "sub_pixel": (cell_box(5.3, 3.3, 5.7, 3.7), 53.0, 53, 53, 0.0, 0.16, 1.0),
    # 4 m × 4 m centred on the corner of cells 44, 45, 54, 55: a quarter of it in each
    "sub_pixel_corner": (cell_box(4.8, 4.8, 5.2, 5.2), 49.5, 44, 55, 5.024937810560445, 0.16, 1.0),
    # cells (8,8)=88, (8,9)=NaN, (9,8)=nodata, (9,9)=nodata: only 88 counts
    "over_nodata": (cell_box(8, 8, 10, 10), 88.0, 88, 88, 0.0, 1.0, 0.25),
    "only_nodata": (cell_box(9, 8, 10, 10), np.nan, np.nan, np.nan, np.nan, 0.0, 0.0),
    "outside": (cell_box(20, 20, 22, 22), np.nan, np.nan, np.nan, np.nan, 0.0, 0.0),
    # half of it left of the raster: only cell (4, 0) = 40 is covered
    "half_outside": (cell_box(4, -1, 5, 1), 40.0, 40, 40, 0.0, 1.0, 0.5),
    # two overlapping 3 × 2 parcels sharing columns 1–2 of rows 6–7
    "overlap_a": (cell_box(6, 0, 8, 3), 66.0, 60, 72, math.sqrt(np.var([60, 61, 62, 70, 71, 72])), 6.0, 1.0),
    "overlap_b": (cell_box(6, 1, 8, 4), 67.0, 61, 73, math.sqrt(np.var([61, 62, 63, 71, 72, 73])), 6.0, 1.0),
    # 3 × 3 block at rows 0–2, columns 6–8 with the centre cell (1, 7) = 17 cut out
    "with_hole": (
        shapely.Polygon(
            shapely.get_coordinates(cell_box(0, 6, 3, 9)),
            [shapely.get_coordinates(cell_box(1, 7, 2, 8))[::-1]],
        ),
        17.0,
        6,
        28,
        math.sqrt(np.var([6, 7, 8, 16, 18, 26, 27, 28])),
        8.0,
        1.0,
    ),
    "multi": (
        shapely.MultiPolygon([cell_box(3, 5, 4, 6), cell_box(3, 7, 4, 8)]),
        36.0,
        35,
        37,
        1.0,
        2.0,
        1.0,
    ),
}


def expected_frame(name: str) -> pd.DataFrame:
    rows = {key: value[1:] for key, value in HAND.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=stat_columns(name), dtype=float)


def test_hand_worked_statistics(raster):
    gdf = parcels({key: value[0] for key, value in HAND.items()})
    result = zonal_stats(gdf, raster, "t")
    assert list(result.columns) == stat_columns("t")
    assert list(result.index) == list(gdf.index)
    pd.testing.assert_frame_equal(result, expected_frame("t"), check_exact=False, atol=1e-9, rtol=1e-9)
    notes = " ".join(result.attrs["notes"])
    assert "1 个地块在栅格" in notes and "之外" in notes  # "outside"
    assert result.attrs["zonal"]["outside"] == 1
    assert result.attrs["zonal"]["no_valid_pixels"] == 1
    assert result.attrs["zonal"]["reprojected"] is False


def test_results_do_not_depend_on_row_bands_or_order(raster):
    gdf = parcels({key: value[0] for key, value in HAND.items()})
    reference = zonal_stats(gdf, raster, "t")
    shuffled = gdf.iloc[::-1]
    tiny_bands = zonal_stats(shuffled, raster, "t", band_cells=1)
    pd.testing.assert_frame_equal(tiny_bands.loc[reference.index], reference, atol=1e-9, rtol=1e-9)


def test_any_index_is_kept_and_input_untouched(raster):
    gdf = parcels({"a": cell_box(0, 0, 2, 2), "b": cell_box(2, 0.5, 4, 2.5)})
    gdf.index = pd.Index([7, 3], name="parcel_id")
    before = gdf.copy()
    result = zonal_stats(gdf, raster, "ndvi")
    assert list(result.index) == [7, 3] and result.index.name == "parcel_id"
    assert result.loc[7, "rs_ndvi_mean"] == pytest.approx(5.5)
    pd.testing.assert_frame_equal(gdf, before)


def test_progress_is_reported(raster):
    seen: list[tuple[int, int]] = []
    zonal_stats(
        parcels({"a": cell_box(0, 0, 10, 10)}),
        raster,
        "t",
        band_cells=1,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen and seen[-1][0] == seen[-1][1] and len(seen) == 10


def test_scale_and_offset_are_applied(tmp_path):
    data = np.full((4, 4), 200, dtype="int16")
    path = tmp_path / "scaled.tif"
    write_raster(path, data, nodata=-1)
    with rasterio.open(path, "r+") as dst:
        dst.scales = (0.005,)
        dst.offsets = (-0.5,)
    gdf = parcels({"a": cell_box(0, 0, 2, 2)})
    result = zonal_stats(gdf, path, "ndvi")
    assert result.loc["a", "rs_ndvi_mean"] == pytest.approx(0.5)
    assert result.loc["a", "rs_ndvi_max"] == pytest.approx(0.5)


def test_raster_in_degrees_gives_the_same_answer(tmp_path):
    """EPSG:4490 raster vs EPSG:4546 parcels: same means as a metric raster of the same field."""

    # a linear field of the metric coordinates, g(x, y) = (x − X0)/10 + 2·(Y0 − y)/10, sampled at
    # cell centres; its cell-weighted mean over a parcel is g at the parcel's centroid up to
    # half a cell's variation (the field is linear inside every cell pair)
    def field(x, y):
        return (x - X0) / 10.0 + 2.0 * (Y0 - y) / 10.0

    n = 100
    metric = np.empty((n, n), dtype="float64")
    cc, rr = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    metric[:] = field(X0 + cc * 2.0, Y0 - rr * 2.0)
    metric_tif = write_raster(tmp_path / "metric.tif", metric, transform=from_origin(X0, Y0, 2.0, 2.0))

    to_geo = Transformer.from_crs(CRS, "EPSG:4490", always_xy=True)
    to_metric = Transformer.from_crs("EPSG:4490", CRS, always_xy=True)
    lon0, lat1 = to_geo.transform(X0 - 20, Y0 + 20)
    lon1, lat0 = to_geo.transform(X0 + 220, Y0 - 220)
    step = 2.0e-5  # about 2 m
    w, h = int((lon1 - lon0) / step) + 1, int((lat1 - lat0) / step) + 1
    lon_c, lat_c = np.meshgrid(lon0 + (np.arange(w) + 0.5) * step, lat1 - (np.arange(h) + 0.5) * step)
    mx, my = to_metric.transform(lon_c, lat_c)
    degree_tif = write_raster(
        tmp_path / "degrees.tif",
        field(mx, my),
        crs="EPSG:4490",
        transform=from_origin(lon0, lat1, step, step),
    )

    geoms = {
        "square": shapely.box(X0 + 20, Y0 - 60, X0 + 60, Y0 - 20),
        "rotated": shapely.affinity.rotate(shapely.box(X0 + 100, Y0 - 150, X0 + 160, Y0 - 110), 30),
        "small": shapely.box(X0 + 150, Y0 - 40, X0 + 152, Y0 - 38),
    }
    gdf = parcels(geoms)
    in_metres = zonal_stats(gdf, metric_tif, "g")
    in_degrees = zonal_stats(gdf, degree_tif, "g")
    centroid_value = field(gdf.centroid.x, gdf.centroid.y)
    np.testing.assert_allclose(in_metres["rs_g_mean"], centroid_value, rtol=0, atol=0.01)
    np.testing.assert_allclose(in_degrees["rs_g_mean"], in_metres["rs_g_mean"], rtol=0, atol=0.05)
    np.testing.assert_allclose(in_degrees["rs_g_coverage"], 1.0, atol=1e-9)
    assert in_degrees.attrs["zonal"]["reprojected"] is True
    assert in_metres.attrs["zonal"]["reprojected"] is False
    assert any("已将地块顶点即时投影" in note for note in in_degrees.attrs["notes"])


def test_raster_not_overlapping_is_an_error(tmp_path):
    path = write_raster(
        tmp_path / "elsewhere.tif",
        np.ones((5, 5), dtype="float32"),
        transform=from_origin(X0 + 50_000, Y0, 10, 10),
    )
    with pytest.raises(RasterError) as info:
        zonal_stats(parcels({"a": cell_box(0, 0, 2, 2)}), path, "t")
    message = str(info.value)
    assert "elsewhere.tif" in message and "不重叠" in message
    assert "530000" in message and "480000" in message  # both bounds are given


def test_corrupt_geotiff_is_a_raster_error(tmp_path):
    path = tmp_path / "corrupt.tif"
    path.write_bytes(b"II*\x00" + bytes(range(256)) * 8)
    with pytest.raises(RasterError, match=r"corrupt\.tif"):
        zonal_stats(parcels({"a": cell_box(0, 0, 2, 2)}), path, "t")


def test_truncated_geotiff_is_a_raster_error(tmp_path):
    data = np.arange(128 * 128, dtype="float32").reshape(128, 128)
    path = write_raster(
        tmp_path / "cut.tif", data, tiled=True, blockxsize=16, blockysize=16, compress="deflate"
    )
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RasterError, match=r"cut\.tif"):
        zonal_stats(parcels({"a": cell_box(0, 0, 128, 128)}), path, "t")


def test_vrt_named_tif_is_refused(tmp_path):
    path = tmp_path / "ndvi.tif"
    path.write_text('<VRTDataset rasterXSize="1" rasterYSize="1"></VRTDataset>', encoding="utf-8")
    with pytest.raises(UnsupportedFormatError):
        zonal_stats(parcels({"a": cell_box(0, 0, 2, 2)}), path, "t")


def test_bad_arguments(raster):
    gdf = parcels({"a": cell_box(0, 0, 2, 2)})
    with pytest.raises(InputError, match="名称"):
        zonal_stats(gdf, raster, "bad name")
    with pytest.raises(RasterError, match="波段"):
        zonal_stats(gdf, raster, "t", band=2)
    with pytest.raises(CRSError):
        zonal_stats(gpd.GeoDataFrame(geometry=[cell_box(0, 0, 1, 1)]), raster, "t")
    lines = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0, Y0), (X0 + 5, Y0 - 5)])], crs=CRS, index=["road"]
    )
    with pytest.raises(GeometryError, match="road"):
        zonal_stats(lines, raster, "t")


def test_missing_and_empty_geometries_give_nulls(raster):
    gdf = gpd.GeoDataFrame(
        geometry=[None, shapely.Polygon(), cell_box(0, 0, 1, 1)], crs=CRS, index=["none", "empty", "ok"]
    )
    result = zonal_stats(gdf, raster, "t")
    assert result.loc["ok", "rs_t_mean"] == 0.0
    assert result.loc[["none", "empty"], "rs_t_mean"].isna().all()
    assert (result.loc[["none", "empty"], "rs_t_count"] == 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    boxes=st.lists(
        st.tuples(st.floats(0, 9.5), st.floats(0, 9.5), st.floats(0.01, 6), st.floats(0.01, 6)),
        min_size=1,
        max_size=8,
    )
)
def test_invariants_on_a_constant_raster(tmp_path_factory, boxes):
    """Over a constant raster every box inside it has mean = the constant, std 0, count = area/cell."""
    path = tmp_path_factory.mktemp("const") / "const.tif"
    if not path.exists():
        write_raster(path, np.full((10, 10), 7.25, dtype="float32"))
    geoms = {f"p{i}": cell_box(r, c, min(r + h, 10), min(c + w, 10)) for i, (r, c, h, w) in enumerate(boxes)}
    result = zonal_stats(parcels(geoms), path, "k")
    areas = np.array([g.area for g in geoms.values()]) / CELL**2
    np.testing.assert_allclose(result["rs_k_mean"], 7.25, rtol=1e-12)
    np.testing.assert_allclose(result["rs_k_std"], 0.0, atol=1e-6)
    np.testing.assert_allclose(result["rs_k_count"], areas, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result["rs_k_coverage"], 1.0, atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.floats(0.05, 9.95), min_size=1, max_size=6, unique=True))
def test_a_partition_of_the_raster_counts_every_cell_once(raster, cuts):
    """Vertical strips that tile the raster: their counts add up to the valid cells (97)."""
    edges = [0.0, *sorted(cuts), 10.0]
    geoms = {f"s{i}": cell_box(0, a, 10, b) for i, (a, b) in enumerate(itertools.pairwise(edges)) if b > a}
    result = zonal_stats(parcels(geoms), raster, "t")
    assert result["rs_t_count"].sum() == pytest.approx(97.0)
    valid = np.array(
        [10 * r + c for r in range(10) for c in range(10) if (r, c) not in {(9, 8), (9, 9), (8, 9)}]
    )
    assert (result["rs_t_mean"] * result["rs_t_count"]).sum() == pytest.approx(valid.sum())


def _reference(geoms, data, valid, transform):
    """Independent oracle: shapely's polygon ∩ cell-box areas, one parcel at a time."""
    height, width = data.shape
    rows, cols = np.mgrid[0:height, 0:width]
    x0 = transform.c + cols * transform.a
    y0 = transform.f + rows * transform.e
    boxes = shapely.box(
        np.minimum(x0, x0 + transform.a),
        np.minimum(y0, y0 + transform.e),
        np.maximum(x0, x0 + transform.a),
        np.maximum(y0, y0 + transform.e),
    )
    cell_area = abs(transform.a * transform.e)
    out = []
    for geom in geoms:
        frac = shapely.area(shapely.intersection(boxes, geom)) / cell_area
        w = np.where(valid, frac, 0.0)
        total = w.sum()
        if total <= 0:
            out.append((np.nan, np.nan, np.nan, np.nan, 0.0, 0.0))
            continue
        mean = (w * data).sum() / total
        std = math.sqrt((w * (data - mean) ** 2).sum() / total)
        touched = data[w > 1e-9]
        out.append((mean, touched.min(), touched.max(), std, total, total * cell_area / geom.area))
    return np.array(out)


@pytest.mark.parametrize("south_up", [False, True])
def test_matches_an_independent_shapely_oracle(tmp_path, south_up):
    rng = np.random.default_rng(7)
    height, width, size = 12, 15, 4.0
    data = rng.normal(50, 10, (height, width))
    nodata_cells = rng.random((height, width)) < 0.1
    stored = np.where(nodata_cells, -9999.0, data)
    top = Y0 - height * size if south_up else Y0
    transform = Affine(size, 0.0, X0, 0.0, size if south_up else -size, top)
    path = write_raster(tmp_path / "random.tif", stored, transform=transform)
    with rasterio.open(path) as src:  # a south-up file keeps its positive row step
        assert (src.transform.e > 0) is south_up
    geoms = {}
    for i in range(40):
        cx = X0 + rng.uniform(-8, width * size + 8)
        cy = (Y0 - height * size) + rng.uniform(-8, height * size + 8)
        radius = rng.uniform(0.3, 14)
        g = shapely.Point(cx, cy).buffer(radius, quad_segs=int(rng.integers(1, 5)))
        if i % 4 == 0:
            g = g.difference(shapely.Point(cx, cy).buffer(radius / 2))
        if i % 5 == 0:
            g = shapely.MultiPolygon([g, shapely.box(cx + radius + 1, cy, cx + radius + 4, cy + 2.5)])
        geoms[f"p{i}"] = g
    result = zonal_stats(parcels(geoms), path, "r")
    expected = _reference(list(geoms.values()), data, ~nodata_cells, transform)
    np.testing.assert_allclose(result.to_numpy(), expected, rtol=1e-9, atol=1e-9)
    assert result["rs_r_count"].gt(0).sum() > 25  # most parcels do overlap the raster


def test_internal_mask_cells_are_excluded(tmp_path):
    data = np.full((4, 4), 3.0, dtype="float32")
    data[0, 0] = 100.0
    path = tmp_path / "masked.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        write_raster(path, data, nodata=None)
        with rasterio.open(path, "r+") as dst:
            mask = np.full((4, 4), 255, dtype="uint8")
            mask[0, 0] = 0
            dst.write_mask(mask)
    result = zonal_stats(parcels({"a": cell_box(0, 0, 2, 2)}), path, "m")
    assert result.loc["a", "rs_m_mean"] == pytest.approx(3.0)
    assert result.loc["a", "rs_m_count"] == pytest.approx(3.0)
    assert result.loc["a", "rs_m_coverage"] == pytest.approx(0.75)


def test_core_modules_do_not_import_the_web_stack():
    import subprocess
    import sys

    code = "import sys, geo.zonal, geo.raster_io; print('fastapi' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("dtype", "nodata", "stored"),
    [("uint8", 255, 255), ("int16", -32768, -32768), ("float32", 0.1, np.float32(0.1))],
)
def test_nodata_compares_in_the_band_type(tmp_path, dtype, nodata, stored):
    data = np.full((2, 2), 7, dtype=dtype)
    data[0, 0] = stored
    path = write_raster(tmp_path / f"{dtype}.tif", data, nodata=nodata)
    result = zonal_stats(parcels({"a": cell_box(0, 0, 2, 2)}), path, "n")
    assert result.loc["a", "rs_n_count"] == pytest.approx(3.0)
    assert result.loc["a", "rs_n_mean"] == pytest.approx(7.0)
