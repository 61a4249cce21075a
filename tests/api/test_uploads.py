"""Hostile uploads (hardening.md §A) and the formats the service must accept."""

from __future__ import annotations

import io
import json
import socket
import stat
import struct
import threading
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from tests.api.conftest import Api, parcels_geojson


def _frame(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(n)], "name": [f"地块{i}" for i in range(n)]},
        geometry=[box(36_500_000 + 200 * i, 2_500_000, 36_500_100 + 200 * i, 2_500_100) for i in range(n)],
        crs="EPSG:4524",
    )


def _shapefile_zip(tmp: Path, extra: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    d = tmp / "shp"
    d.mkdir(exist_ok=True)
    _frame().to_file(d / "parcels.shp", encoding="UTF-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(d.iterdir()):
            if f.suffix not in drop:
                z.write(f, f.name)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            z.writestr(info, data)
    return buf.getvalue()


def _tiff(tmp: Path, width: int = 8, height: int = 8, count: int = 1, **profile: object) -> bytes:
    path = tmp / "r.tif"
    with warnings.catch_warnings():  # affine's `*` on rasterio's side: not ours to change
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        _write_tiff(path, width, height, count, **profile)
    return path.read_bytes()


def _write_tiff(path: Path, width: int, height: int, count: int, **profile: object) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype="uint8",
        crs="EPSG:4524",
        transform=from_origin(36_500_000, 2_500_100, 10, 10),
        **profile,
    ) as dst:
        dst.write(np.ones((count, height, width), dtype="uint8"))


def _tiff_header(width: int, height: int, bands: int = 1, tile: int | None = None) -> bytes:
    """A tiny classic TIFF whose header claims ``width × height`` pixels (no pixel data)."""
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (277, 3, 1, bands),
        (284, 3, 1, 1),
    ]
    if tile:
        entries += [(322, 4, 1, tile), (323, 4, 1, tile), (324, 4, 1, 4096), (325, 4, 1, 1)]
    else:
        entries += [(273, 4, 1, 4096), (278, 4, 1, height), (279, 4, 1, 1)]
    entries.sort()
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + (
            struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value)
        )
    ifd += struct.pack("<I", 0)
    data = b"II*\x00" + struct.pack("<I", 8) + ifd
    return data + b"\x00" * (4200 - len(data))


def _refused(r, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "correlation_id"}
    if code:
        assert body["error"]["code"] == code, body
    assert "/tmp" not in r.text and "Traceback" not in r.text
    return body


def _nothing_kept(api: Api) -> None:
    assert api.client.get("/datasets", headers=api.h("planner")).json()["items"] == []
    datasets = api.settings.store.data_dir / "datasets"
    assert not datasets.exists() or list(datasets.iterdir()) == []


# ------------------------------------------------------------------------- accepted formats
def test_every_vector_format_is_accepted(sqlite_api: Api, tmp_path: Path) -> None:
    frame = _frame()
    frame.to_file(tmp_path / "p.gpkg", layer="parcels", driver="GPKG")
    frame.to_file(tmp_path / "p.fgb", driver="FlatGeobuf")
    frame.to_parquet(tmp_path / "p.parquet")
    uploads = {
        "p.zip": _shapefile_zip(tmp_path),
        "p.gpkg": (tmp_path / "p.gpkg").read_bytes(),
        "p.fgb": (tmp_path / "p.fgb").read_bytes(),
        "p.parquet": (tmp_path / "p.parquet").read_bytes(),
        "p.geojson": parcels_geojson(),
    }
    for name, data in uploads.items():
        r = sqlite_api.upload("planner", name, data)
        assert r.status_code == 201, (name, r.text)
        report = r.json()["report"]
        assert report["feature_count"] == 3 and report["crs_epsg"] == 4524, (name, report)
        # the user's own file name, never the server's path or layout (issue 9 item 9)
        assert report["path"].startswith("p.") and "/" not in report["path"], report["path"]
    items = sqlite_api.client.get("/datasets", headers=sqlite_api.h("viewer")).json()["items"]
    assert {i["format"] for i in items} == {"shapefile_zip", "gpkg", "flatgeobuf", "parquet", "geojson"}


def test_geotiff_is_accepted_and_fetched(sqlite_api: Api, tmp_path: Path) -> None:
    data = _tiff(tmp_path, 16, 12, 2)
    r = sqlite_api.upload("planner", "ndbi.tif", data)
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert (report["width"], report["height"], report["bands"]) == (16, 12, 2)
    got = sqlite_api.client.get(
        f"/datasets/{r.json()['id']}/data?format=geotiff", headers=sqlite_api.h("viewer")
    )
    assert got.status_code == 200 and got.content == data
    assert (
        sqlite_api.client.get(f"/datasets/{r.json()['id']}/data", headers=sqlite_api.h("viewer")).status_code
        == 422
    )


def test_fetch_as_geojson_and_geopackage(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson(4)).json()["id"]
    r = sqlite_api.client.get(f"/datasets/{dataset}/data?format=geojson", headers=sqlite_api.h("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    doc = json.loads(r.content)
    assert len(doc["features"]) == 4
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 104 < lon < 110 and 20 < lat < 24  # WGS 84, zone 36 around 108° E
    r = sqlite_api.client.get(f"/datasets/{dataset}/data?format=gpkg", headers=sqlite_api.h("viewer"))
    (tmp_path / "x.gpkg").write_bytes(r.content)
    assert len(gpd.read_file(tmp_path / "x.gpkg")) == 4


def test_delete_removes_files(sqlite_api: Api) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    folder = sqlite_api.settings.store.data_dir / "datasets" / dataset
    assert folder.is_dir()
    assert (
        sqlite_api.client.delete(f"/datasets/{dataset}", headers=sqlite_api.h("planner")).status_code == 204
    )
    assert not folder.exists()
    assert sqlite_api.client.get(f"/datasets/{dataset}", headers=sqlite_api.h("planner")).status_code == 404


# ------------------------------------------------------------------------- A1 zip bombs
def test_a1_zip_bomb_refused_from_central_directory(sqlite_api: Api) -> None:
    bomb = _zip([("parcels.shp", b"\x00" * (9 * 1024 * 1024)), ("parcels.shx", b"x"), ("parcels.dbf", b"x")])
    assert len(bomb) < 100_000
    _refused(sqlite_api.upload("planner", "bomb.zip", bomb), 413, "payload_too_large")
    _nothing_kept(sqlite_api)


def test_a1_high_ratio_entry_refused(sqlite_api: Api) -> None:
    bomb = _zip([("parcels.shp", b"\x00" * (2 * 1024 * 1024)), ("parcels.shx", b"x"), ("parcels.dbf", b"x")])
    _refused(sqlite_api.upload("planner", "ratio.zip", bomb), 413, "payload_too_large")


def test_a1_nested_zip_refused(sqlite_api: Api, tmp_path: Path) -> None:
    inner = _shapefile_zip(tmp_path)
    _refused(
        sqlite_api.upload("planner", "nested.zip", _zip([("inner.zip", inner)])), 415, "unsupported_format"
    )


# ------------------------------------------------------------------------- A2 unsafe entries
@pytest.mark.parametrize("name", ["../../x.shp", "/etc/x.shp", "C:\\x.shp", "a/../../x.shp"])
def test_a2_traversal_entries_refused(sqlite_api: Api, tmp_path: Path, name: str) -> None:
    data = _zip([(name, b"x"), ("parcels.shx", b"x"), ("parcels.dbf", b"x")])
    _refused(sqlite_api.upload("planner", "evil.zip", data), 422, "invalid_input")
    # uploads are unpacked under the data directory, itself under tmp_path: an escaped entry would
    # land somewhere below tmp_path (or at the absolute path)
    assert sqlite_api.settings.store.data_dir.is_relative_to(tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.name in ("x.shp", "C:\\x.shp")] == []
    assert not Path("/etc/x.shp").exists()
    _nothing_kept(sqlite_api)
    _nothing_kept(sqlite_api)


def test_a2_symlink_entry_refused(sqlite_api: Api) -> None:
    link = zipfile.ZipInfo("parcels.dbf")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = _zip([("parcels.shp", b"x"), ("parcels.shx", b"x"), (link, b"/etc/passwd")])
    _refused(sqlite_api.upload("planner", "link.zip", data), 422, "invalid_input")


def test_a2_duplicate_names_refused(sqlite_api: Api) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("parcels.shp", b"x")
        z.writestr("parcels.shx", b"x")
        z.writestr("parcels.dbf", b"x")
        z.writestr("parcels.dbf", b"y")
    _refused(sqlite_api.upload("planner", "dup.zip", buf.getvalue()), 422, "invalid_input")


# ------------------------------------------------------------------------- A3 entry count, sets
def test_a3_too_many_entries_refused(sqlite_api: Api) -> None:
    data = _zip([(f"f{i}.txt", b"") for i in range(25)])
    _refused(sqlite_api.upload("planner", "many.zip", data), 413, "payload_too_large")


def test_a3_two_shapefile_sets_refused(sqlite_api: Api, tmp_path: Path) -> None:
    data = _shapefile_zip(tmp_path, extra={"other.shp": b"x", "other.shx": b"x", "other.dbf": b"x"})
    body = _refused(sqlite_api.upload("planner", "two.zip", data), 415, "unsupported_format")
    assert "exactly one Shapefile" in body["error"]["message"]


@pytest.mark.parametrize("missing", [".shx", ".dbf"])
def test_a3_missing_sidecar_refused(sqlite_api: Api, tmp_path: Path, missing: str) -> None:
    body = _refused(sqlite_api.upload("planner", "p.zip", _shapefile_zip(tmp_path, drop=(missing,))), 422)
    assert missing in body["error"]["message"]


# ------------------------------------------------------------------------- A4–A6 VRT and kin
VRT_PASSWD = b"""<VRTDataset rasterXSize="100" rasterYSize="100">
  <VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">
    <SourceFilename relativetoVRT="0">/etc/passwd</SourceFilename>
  </VRTRasterBand>
</VRTDataset>"""


@pytest.mark.parametrize("name", ["parcels.tif", "parcels.gpkg", "parcels.geojson", "parcels.vrt", "x"])
def test_a4_vrt_refused_whatever_the_extension(sqlite_api: Api, name: str) -> None:
    r = sqlite_api.upload("planner", name, VRT_PASSWD)
    body = _refused(r, 415, "unsupported_format")
    assert "root:" not in r.text and "passwd" not in body["error"]["message"]
    _nothing_kept(sqlite_api)


def test_a4_vrt_inside_zip_as_tif_refused(sqlite_api: Api) -> None:
    r = sqlite_api.upload("planner", "parcels.zip", _zip([("parcels.tif", VRT_PASSWD)]))
    _refused(r, 415, "unsupported_format")
    assert "root:" not in r.text


def test_a4_vrt_pointing_at_another_upload_refused(sqlite_api: Api, tmp_path: Path) -> None:
    other = sqlite_api.upload("other", "secret.tif", _tiff(tmp_path)).json()["id"]
    target = sqlite_api.settings.store.data_dir / "datasets" / other / "data.tif"
    vrt = VRT_PASSWD.replace(b"/etc/passwd", str(target).encode())
    _refused(sqlite_api.upload("planner", "steal.tif", vrt), 415, "unsupported_format")


def test_a5_no_network_for_remote_references(sqlite_api: Api) -> None:
    hits: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                hits.append(conn.recv(100))
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/latest/meta-data".encode()
    payloads = {
        "vrt.tif": VRT_PASSWD.replace(b"/etc/passwd", b"/vsicurl/" + url),
        "gti.gpkg": b"<GDALTileIndexDataset><IndexDataset>/vsicurl/"
        + url
        + b"</IndexDataset></GDALTileIndexDataset>",
        "ogr.geojson": b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/vsicurl/'
        + url
        + b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        "doc.kml": b'<?xml version="1.0"?><kml><NetworkLink><Link><href>'
        + url
        + b"</href></Link></NetworkLink></kml>",
        "p.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "features": [],
                "crs": {"type": "link", "properties": {"href": url.decode()}},
            }
        ).encode(),
    }
    try:
        for name, data in payloads.items():
            r = sqlite_api.upload("planner", name, data)
            if name == "p.geojson":  # a GeoJSON `crs` link is never followed; the empty layer is refused
                assert r.status_code == 422 and "is empty (0 features)" in r.text, r.text
            else:
                assert r.status_code in (415, 422), (name, r.status_code, r.text)
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
    assert hits == []


def test_a6_mrf_refused(sqlite_api: Api) -> None:
    mrf = (
        b"<MRF_META><CachedSource><Source>/etc/passwd</Source></CachedSource>"
        b"<Raster><DataFile>/tmp/pwn</DataFile></Raster></MRF_META>"
    )
    _refused(sqlite_api.upload("planner", "x.mrf", mrf), 415, "unsupported_format")
    _refused(sqlite_api.upload("planner", "x.tif", mrf), 415, "unsupported_format")
    assert not Path("/tmp/pwn").exists()


# ------------------------------------------------------------------------- A7 names and params
@pytest.mark.parametrize(
    "filename",
    [
        "/vsicurl?header_file=/etc/passwd&url=http://x/p.geojson",
        "../../../etc/p.geojson",
        "/vsizip/a.zip/p.geojson",
    ],
)
def test_a7_filenames_never_reach_a_path(sqlite_api: Api, filename: str) -> None:
    r = sqlite_api.upload("planner", filename, parcels_geojson())
    assert r.status_code == 201, r.text
    row = sqlite_api.client.get(f"/datasets/{r.json()['id']}", headers=sqlite_api.h("planner")).json()
    assert "/" not in row["name"] and row["name"].endswith("p.geojson")
    folder = sqlite_api.settings.store.data_dir / "datasets" / r.json()["id"]
    assert {p.name for p in folder.iterdir()} >= {"data.geojson"}


@pytest.mark.parametrize(
    "body",
    [
        {"dataset_id": "../../etc/passwd"},
        {"dataset_id": "/vsicurl/http://x"},
        {"dataset_id": "{d}", "rules": "/etc/passwd"},
        {"dataset_id": "{d}", "rules": "../presets/x.yaml"},
        {"dataset_id": "{d}", "rules": "/vsicurl?header_file=/etc/passwd&url=http://x"},
        {"dataset_id": "{d}", "rasters": {"../x": "abc"}},
        {"dataset_id": "{d}", "rasters": {"ndbi": "http://169.254.169.254/x"}},
    ],
)
def test_a7_params_with_paths_are_422(sqlite_api: Api, body: dict) -> None:
    dataset = sqlite_api.upload("planner", "p.geojson", parcels_geojson()).json()["id"]
    body = {k: (v.replace("{d}", dataset) if isinstance(v, str) else v) for k, v in body.items()}
    r = sqlite_api.client.post("/analyses", headers=sqlite_api.h("planner"), json=body)
    _refused(r, 422, "validation_error")
    assert sqlite_api.client.get("/jobs", headers=sqlite_api.h("planner")).json()["items"] == []


# ------------------------------------------------------------------------- A8 raster caps
@pytest.mark.parametrize(
    ("width", "height", "bands", "tile"),
    [(1_000_000, 1_000_000, 1, None), (1, 1, 65_535, None), (1, 1, 1, 1 << 30), (64, 64, 1, 65536)],
)
def test_a8_raster_caps_before_pixels(
    sqlite_api: Api, width: int, height: int, bands: int, tile: int | None
) -> None:
    data = _tiff_header(width, height, bands, tile)
    assert len(data) < 10_000
    _refused(sqlite_api.upload("planner", "huge.tif", data), (415, 422))
    _nothing_kept(sqlite_api)


# ------------------------------------------------------------------------- A10 corrupt files
def test_a10_corrupt_files_refused_cleanly(sqlite_api: Api, tmp_path: Path) -> None:
    _frame().to_file(tmp_path / "p.gpkg", driver="GPKG")
    gpkg = (tmp_path / "p.gpkg").read_bytes()
    tiff = _tiff(tmp_path, 64, 64)
    _frame().to_parquet(tmp_path / "p.parquet")
    parquet = (tmp_path / "p.parquet").read_bytes()
    rng = np.random.default_rng(7)
    cases = {
        "trunc.gpkg": gpkg[: len(gpkg) // 3],
        "trunc.tif": tiff[:300],
        "trunc.parquet": parquet[:200] + b"PAR1",
        "random.gpkg": rng.bytes(5000),
        "random.geojson": b"{" + rng.bytes(3000),
        "empty.geojson": b"",
    }
    for name, data in cases.items():
        r = sqlite_api.upload("planner", name, data)
        _refused(r, (415, 422))
    _nothing_kept(sqlite_api)
    assert sqlite_api.client.get("/health").status_code == 200


# ------------------------------------------------------------------------- A11 layer count
def test_a11_too_many_layers_refused(sqlite_api: Api, tmp_path: Path) -> None:
    path = tmp_path / "many.gpkg"
    for i in range(7):
        _frame(1).to_file(path, layer=f"l{i}'; DROP TABLE x;--", driver="GPKG")
    body = _refused(sqlite_api.upload("planner", "many.gpkg", path.read_bytes()), (415, 422))
    assert "too many layers" in body["error"]["message"]


# ------------------------------------------------------------------------- A12 size cap, legacy crs
def test_a12_oversized_body_is_413(sqlite_api: Api) -> None:
    big = b'{"type": "FeatureCollection", "features": [' + b" " * (5 * 1024 * 1024) + b"]}"
    _refused(sqlite_api.upload("planner", "big.geojson", big), 413, "payload_too_large")
    _nothing_kept(sqlite_api)


def test_a12_projected_legacy_crs_member_is_honoured(sqlite_api: Api) -> None:
    r = sqlite_api.upload("planner", "p.geojson", parcels_geojson(crs="EPSG:4524"))
    assert r.status_code == 201
    assert r.json()["report"]["crs_epsg"] == 4524


def test_a12_out_of_range_coordinates_reported(sqlite_api: Api) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"parcel_id": "A"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 9999], [1, 9999], [1, 9998], [0, 9999]]],
                },
            }
        ],
    }
    r = sqlite_api.upload("planner", "bad.geojson", json.dumps(doc).encode())
    assert r.status_code == 201  # kept, with the range error in its report; analysis is blocked
    report = r.json()["report"]
    assert report["ok"] is False
    assert any("out of range" in p["message"] for p in report["problems"]), report["problems"]


# ------------------------------------------------------------------------- A13 GeoParquet
def test_a13_parquet_without_geo_metadata_refused(sqlite_api: Api, tmp_path: Path) -> None:
    table = pa.table({"parcel_id": ["a", "b"], "geometry": [b"\x00\x01", b"\x00\x02"]})
    pq.write_table(table, tmp_path / "plain.parquet")
    _refused(
        sqlite_api.upload("planner", "plain.parquet", (tmp_path / "plain.parquet").read_bytes()), (415, 422)
    )


def test_missing_crs_is_flagged_then_settled_with_crs(sqlite_api: Api) -> None:
    data = parcels_geojson(crs=None)
    # RFC 7946 says WGS 84 without a crs member: metre coordinates cannot be in it, never guessed
    r = sqlite_api.upload("planner", "nocrs.geojson", data)
    assert r.status_code == 201
    assert r.json()["report"]["ok"] is False
    assert "4524" in json.dumps(r.json()["report"]["problems"]) + r.json()["report"]["crs_suggestion"]
    r = sqlite_api.client.post(
        "/datasets",
        headers=sqlite_api.h("planner"),
        files={"file": ("nocrs.geojson", data)},
        data={"crs": "4524"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["report"]["crs_epsg"] == 4524 and r.json()["report"]["ok"] is True
    bad = sqlite_api.client.post(
        "/datasets",
        headers=sqlite_api.h("planner"),
        files={"file": ("x.geojson", data)},
        data={"crs": "/etc/passwd"},
    )
    _refused(bad, 422)


def test_extension_must_match_content(sqlite_api: Api, tmp_path: Path) -> None:
    _refused(sqlite_api.upload("planner", "p.gpkg", parcels_geojson()), 415, "unsupported_format")
    _refused(sqlite_api.upload("planner", "p.geojson", _tiff(tmp_path)), 415, "unsupported_format")


def test_a14_gbk_shapefile_without_cpg_comes_out_as_utf8(sqlite_api: Api, tmp_path: Path) -> None:
    """A GBK Shapefile without .cpg: the encoding is detected and the exports hold correct Chinese."""
    d = tmp_path / "gbk"
    d.mkdir()
    frame = _frame()
    frame["name"] = ["玉林高新区一号地块", "二号地块（闲置）", "三号地块"]
    frame.to_file(d / "parcels.shp", encoding="GBK")
    (d / "parcels.cpg").unlink(missing_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(d.iterdir()):
            z.write(f, f.name)
    r = sqlite_api.upload("planner", "gbk.zip", buf.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["report"]["encoding"] in ("GBK", "GB18030")
    got = sqlite_api.client.get(
        f"/datasets/{r.json()['id']}/data?format=geojson", headers=sqlite_api.h("viewer")
    )
    names = sorted(f["properties"]["name"] for f in json.loads(got.content)["features"])
    assert names == sorted(["玉林高新区一号地块", "二号地块（闲置）", "三号地块"])
