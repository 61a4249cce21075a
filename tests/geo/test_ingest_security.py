"""Hostile or mislabelled inputs (hardening.md A2–A5, A7, A10): refused before GDAL sees them."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio
import pytest

import geo.io
from geo.errors import NotFoundError, UnsupportedFormatError
from geo.formats import ReadLimits
from geo.io import inspect_path, read_parcels
from tests.geo.test_ingest_builders import parcels_boxes, tree_hashes, write_shapefile

VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="parcels">
    <SrcDataSource>/etc/passwd</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


@pytest.fixture
def no_gdal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything reaches GDAL."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"GDAL was asked to open {args!r}")

    for name in ("list_layers", "read_info", "read_dataframe"):
        monkeypatch.setattr(pyogrio, name, refuse)
    monkeypatch.setattr(geo.io.pyogrio, "list_layers", refuse)


def _shapefile_set(directory: Path, name: str = "parcels") -> Path:
    return write_shapefile(
        directory,
        name,
        parcels_boxes(2),
        [("地块编号", "C", 10), ("企业名称", "C", 20)],
        [["YL-001", "玉林机械厂"], ["YL-002", "广西糖业"]],
        encoding="gbk",
    )


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _set_bytes(shp: Path) -> dict[str, bytes]:
    return {p.suffix: p.read_bytes() for p in shp.parent.glob(shp.stem + ".*")}


@pytest.mark.parametrize(
    "name", ["parcels.gpkg", "parcels.shp", "parcels.geojson", "parcels.fgb", "parcels.parquet"]
)
def test_vrt_renamed_is_refused_without_opening(tmp_path: Path, name: str, no_gdal: None) -> None:
    path = tmp_path / name
    path.write_text(VRT)
    with pytest.raises(UnsupportedFormatError, match="panhuo reads only"):
        read_parcels(path)


def test_vrt_inside_a_zip_is_refused(tmp_path: Path, no_gdal: None) -> None:
    archive = _zip(tmp_path / "up.zip", {"parcels.shp": VRT.encode(), "parcels.shx": b"", "parcels.dbf": b""})
    with pytest.raises(UnsupportedFormatError, match="not an ESRI Shapefile"):
        read_parcels(archive)


@pytest.mark.parametrize("name", ["random.gpkg", "random.shp", "random.fgb", "random.parquet", "random.zip"])
def test_random_bytes_are_refused(tmp_path: Path, name: str, no_gdal: None) -> None:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnsupportedFormatError):
        read_parcels(path)


def test_truncated_geopackage_is_refused_cleanly(tmp_path: Path) -> None:
    good = tmp_path / "good.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A"]}, geometry=parcels_boxes(1), crs=4546).to_file(good)
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(good.read_bytes()[:2048])
    with pytest.raises(UnsupportedFormatError, match=r"bad\.gpkg"):
        read_parcels(bad)


@pytest.mark.parametrize("name", ["x.csv", "x.kml", "x.vrt", "x.tif", "x"])
def test_unsupported_extensions(tmp_path: Path, name: str, no_gdal: None) -> None:
    path = tmp_path / name
    path.write_text("whatever")
    with pytest.raises(UnsupportedFormatError, match="unsupported extension"):
        read_parcels(path)


@pytest.mark.parametrize(
    "path",
    ["/vsicurl/http://169.254.169.254/x.gpkg", "http://example.com/a.gpkg", "/vsizip//tmp/a.zip/a.shp"],
)
def test_urls_and_virtual_paths_are_refused(path: str, no_gdal: None) -> None:
    with pytest.raises(UnsupportedFormatError, match="local file"):
        read_parcels(path)


def test_missing_file_and_directory(tmp_path: Path, no_gdal: None) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        read_parcels(tmp_path / "nope.gpkg")
    with pytest.raises(UnsupportedFormatError, match="directory"):
        read_parcels(tmp_path)


def test_shapefile_without_dbf_or_given_as_dbf(tmp_path: Path) -> None:
    shp = _shapefile_set(tmp_path)
    with pytest.raises(UnsupportedFormatError, match=r"\.shp"):
        read_parcels(shp.with_suffix(".dbf"))
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(UnsupportedFormatError, match=r"missing \.dbf"):
        read_parcels(shp)


def test_zipped_shapefile_in_nested_folders(tmp_path: Path) -> None:
    parts = _set_bytes(_shapefile_set(tmp_path / "src"))
    archive = _zip(tmp_path / "upload.zip", {f"导出/2024/地块{ext}": data for ext, data in parts.items()})
    archive_hash = tree_hashes(tmp_path)
    gdf, report = read_parcels(archive)
    assert tree_hashes(tmp_path) == archive_hash
    assert gdf["enterprise"].tolist() == ["玉林机械厂", "广西糖业"]
    assert report.member == "导出/2024/地块.shp" and report.format == "ESRI Shapefile (zip)"
    assert report.layer == "地块" and report.encoding == "GBK"


def test_zip_with_two_shapefiles_needs_layer(tmp_path: Path) -> None:
    a = _set_bytes(_shapefile_set(tmp_path / "a", "a"))
    b = _set_bytes(_shapefile_set(tmp_path / "b", "b"))
    files = {f"x/a{ext}": d for ext, d in a.items()} | {f"y/b{ext}": d for ext, d in b.items()}
    archive = _zip(tmp_path / "two.zip", files)
    with pytest.raises(NotFoundError, match=r"x/a\.shp, y/b\.shp"):
        read_parcels(archive)
    gdf, report = read_parcels(archive, layer="b")
    assert report.member == "y/b.shp" and len(gdf) == 2


def _nothing_escaped(sandbox: Path, name: str) -> None:
    """Nothing named ``name`` anywhere in or above the extraction's sandbox, nothing left in it."""
    escaped = [p for p in (sandbox.parent, *sandbox.parent.rglob("*")) if p.name == name]
    assert not escaped, f"an entry escaped the extraction directory: {escaped}"
    assert not Path("/etc", name).exists()
    assert list(sandbox.iterdir()) == [], "the extraction directory was not cleaned up"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make ``tempfile.mkdtemp`` (where a zip is unpacked) create its directories under ``tmp_path``."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.mark.parametrize("entry", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp", "C:\\evil.shp"])
def test_zip_with_unsafe_entries_is_refused(tmp_path: Path, sandbox: Path, entry: str) -> None:
    parts = _set_bytes(_shapefile_set(tmp_path / "src"))
    archive = _zip(tmp_path / "evil.zip", {"ok/parcels.shp": parts[".shp"], entry: b"x"})
    with pytest.raises(UnsupportedFormatError, match="unsafe zip entry"):
        read_parcels(archive)
    _nothing_escaped(sandbox, PurePosixPath(entry.replace("\\", "/")).name)


def test_the_escape_check_sees_an_escaped_entry(sandbox: Path) -> None:
    # what an extractor that joined entry names onto its directory would leave behind
    unpacked = Path(tempfile.mkdtemp(prefix="panhuo-zip-"))
    (unpacked / ".." / "evil.shp").write_bytes(b"x")
    unpacked.rmdir()
    with pytest.raises(AssertionError, match="escaped"):
        _nothing_escaped(sandbox, "evil.shp")


def test_zip_with_symlink_entry_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("parcels.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsupportedFormatError, match="link"):
        read_parcels(archive)


def test_zip_caps(tmp_path: Path) -> None:
    parts = _set_bytes(_shapefile_set(tmp_path / "src"))
    archive = _zip(
        tmp_path / "many.zip",
        {f"p{ext}": d for ext, d in parts.items()} | {f"f{i}.txt": b"" for i in range(30)},
    )
    with pytest.raises(UnsupportedFormatError, match="too many entries"):
        read_parcels(archive, limits=ReadLimits(max_zip_entries=10))
    bomb = _zip(
        tmp_path / "bomb.zip", {f"p{ext}": d for ext, d in parts.items()} | {"zeros.bin": b"\0" * 20_000_000}
    )
    with pytest.raises(UnsupportedFormatError, match="compression ratio"):
        read_parcels(bomb)
    with pytest.raises(UnsupportedFormatError, match="cap"):
        read_parcels(archive, limits=ReadLimits(max_zip_bytes=100))


def test_zip_without_shapefile(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "docs.zip", {"readme.txt": b"hello"})
    with pytest.raises(UnsupportedFormatError, match="no Shapefile"):
        inspect_path(archive)


def test_geopackage_is_not_modified_by_reading(tmp_path: Path) -> None:
    path = tmp_path / "park.gpkg"
    gpd.GeoDataFrame({"DKBH": ["A", "A"]}, geometry=parcels_boxes(2), crs=4546).to_file(path)
    before = tree_hashes(tmp_path)
    inspect_path(path)
    with pytest.raises(Exception):  # noqa: B017 - duplicate ids; the point is the hash below
        read_parcels(path)
    assert tree_hashes(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["park.gpkg"]  # no -wal/-shm left behind


def test_gdal_network_access_is_disabled() -> None:
    with geo.io.gdal_options():  # set around reads, not at import (test_gdal_scope.py)
        allowed = pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_EXTENSIONS")
        assert allowed == ".panhuo-network-disabled"
        assert pyogrio.get_gdal_config_option("GDAL_HTTP_MAX_RETRY") in (0, "0")
        assert pyogrio.get_gdal_config_option("PROJ_NETWORK") in (False, "OFF")


def test_layer_count_cap_and_odd_layer_names(tmp_path: Path) -> None:
    path = tmp_path / "layers.gpkg"
    odd = "a'; DROP TABLE x; -- $(rm -rf /) 地块"
    for name in ("one", "two", odd):
        gpd.GeoDataFrame({"DKBH": [name[:3]]}, geometry=parcels_boxes(1), crs=4546).to_file(path, layer=name)
    with pytest.raises(UnsupportedFormatError, match="too many layers"):
        read_parcels(path, limits=ReadLimits(max_layers=2))
    with pytest.raises(NotFoundError) as info:
        read_parcels(path)
    assert repr(odd) in str(info.value)
    gdf, report = read_parcels(path, layer=odd)
    assert report.layer == odd and gdf["parcel_id"].tolist() == ["a';"]
