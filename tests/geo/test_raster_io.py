"""Safe raster opening (hardening.md A4, A5, A7, A8, A10): tiny files written in tmp dirs."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.errors
from rasterio import Affine

import geo.raster_io as raster_io
from geo.errors import NotFoundError, RasterError, UnsupportedFormatError
from geo.raster_io import RasterLimits, gdal_safe_env, open_raster

CRS = "EPSG:4546"


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    """North-up geotransform (rasterio's own ``from_origin`` triggers affine's deprecation warning)."""
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_tif(path: Path, *, width: int = 10, height: int = 10, count: int = 1, **extra) -> Path:
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": "float32",
        "crs": CRS,
        "transform": from_origin(480_000, 2_500_000, 10, 10),
    }
    profile.update(extra)
    with rasterio.open(path, "w", **profile) as dst:
        if not extra.get("sparse_ok"):
            dst.write(np.arange(width * height * count, dtype="float32").reshape(count, height, width))
    return path


@pytest.fixture
def gdal_open_spy(monkeypatch):
    """Record every path handed to rasterio.open from geo.raster_io."""
    calls: list[str] = []
    real_open = rasterio.open

    def spy(path, mode="r", *args, **kwargs):
        if mode == "r":  # the tests' own writes are not GDAL opens made by open_raster
            calls.append(str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(raster_io.rasterio, "open", spy)
    return calls


def test_opens_a_geotiff_and_reads_it(tmp_path, gdal_open_spy):
    path = write_tif(tmp_path / "ok.tif")
    with open_raster(path) as src:
        assert src.driver == "GTiff"
        assert src.read(1)[2, 3] == 23
    assert gdal_open_spy == [str(path)]


def test_bigtiff_signature_is_accepted(tmp_path):
    path = write_tif(tmp_path / "big.tif", BIGTIFF="YES")
    assert path.read_bytes()[:4] == b"II+\x00"
    with open_raster(path) as src:
        assert src.read(1)[0, 9] == 9


def test_vrt_named_tif_is_refused_before_gdal(tmp_path, gdal_open_spy):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET-neighbour-upload-0123456789")
    vrt = f"""<VRTDataset rasterXSize="8" rasterYSize="1">
  <VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">
    <SourceFilename relativetoVRT="0">{secret}</SourceFilename>
    <ImageOffset>0</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>8</LineOffset>
  </VRTRasterBand>
</VRTDataset>
"""
    fake = tmp_path / "parcels.tif"
    fake.write_text(vrt, encoding="utf-8")
    with pytest.raises(UnsupportedFormatError) as info, open_raster(fake):
        pass
    message = str(info.value)
    assert "parcels.tif" in message and "VRT" in message
    assert "TOP-SECRET" not in message
    assert gdal_open_spy == []  # GDAL was never asked to open anything


def test_vrt_pointing_at_a_url_is_refused_before_gdal(tmp_path, gdal_open_spy):
    fake = tmp_path / "ndvi.tif"
    fake.write_text(
        '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1">'
        "<SimpleSource><SourceFilename>/vsicurl/http://169.254.169.254/latest/meta-data</SourceFilename>"
        "</SimpleSource></VRTRasterBand></VRTDataset>",
        encoding="utf-8",
    )
    with pytest.raises(UnsupportedFormatError), open_raster(fake):
        pass
    assert gdal_open_spy == []


@pytest.mark.parametrize(
    "name",
    [
        "/vsicurl/http://169.254.169.254/x.tif",
        "/vsizip//tmp/upload.zip/parcels.tif",
        "/VSIMEM/x.tif",
        "http://example.invalid/x.tif",
        "s3://bucket/x.tif",
        "zip+file:///tmp/a.zip!/x.tif",
    ],
)
def test_virtual_paths_and_urls_are_refused_before_gdal(name, gdal_open_spy):
    with pytest.raises(UnsupportedFormatError), open_raster(name):
        pass
    assert gdal_open_spy == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", UnsupportedFormatError),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), UnsupportedFormatError),
        (bytes(range(256)) * 4, UnsupportedFormatError),
        (b"II*\x00" + b"\xff\x00\x13\x37" * 64, RasterError),  # TIFF signature, garbage after it
    ],
)
def test_non_tiff_and_corrupt_files(tmp_path, content, expected):
    path = tmp_path / "bad.tif"
    path.write_bytes(content)
    with pytest.raises(expected) as info, open_raster(path):
        pass
    assert "bad.tif" in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(NotFoundError, match=r"nope\.tif"), open_raster(tmp_path / "nope.tif"):
        pass
    (tmp_path / "dir.tif").mkdir()
    with pytest.raises(NotFoundError, match=r"dir\.tif"), open_raster(tmp_path / "dir.tif"):
        pass


def test_header_claiming_a_million_by_a_million_pixels_is_refused(tmp_path):
    # a sparse tiled BigTIFF: the header says 10⁶ × 10⁶ px, the file holds no tile data
    path = write_tif(
        tmp_path / "huge.tif",
        width=1_000_000,
        height=1_000_000,
        tiled=True,
        blockxsize=4096,
        blockysize=4096,
        sparse_ok=True,
        BIGTIFF="YES",
    )
    assert path.stat().st_size < 2_000_000
    with pytest.raises(RasterError) as info, open_raster(path):
        pass
    assert "huge.tif" in str(info.value) and "1000000 × 1000000" in str(info.value)
    # the caps, not GDAL, refused it: with caps raised the header opens (nothing is read)
    with open_raster(path, limits=RasterLimits(max_width=10**6, max_height=10**6, max_pixels=10**12)) as src:
        assert src.width == 1_000_000


def test_band_and_block_caps(tmp_path):
    path = write_tif(tmp_path / "three.tif", count=3, tiled=True, blockxsize=16, blockysize=16)
    with pytest.raises(RasterError, match="波段数 3"), open_raster(path, limits=RasterLimits(max_bands=2)):
        pass
    small_blocks = RasterLimits(max_block_pixels=255)
    with pytest.raises(RasterError, match="分块 16 × 16"), open_raster(path, limits=small_blocks):
        pass
    with open_raster(path, limits=RasterLimits(max_bands=3, max_block_pixels=256)) as src:
        assert src.count == 3
    # pixel-interleaved: one 16 × 16 block of 3 float32 bands decodes to 3072 bytes
    few_bytes = RasterLimits(max_block_bytes=3071)
    with pytest.raises(RasterError, match="3072"), open_raster(path, limits=few_bytes):
        pass
    with open_raster(path, limits=RasterLimits(max_block_bytes=3072)) as src:
        assert src.interleaving.name == "pixel"


def test_truncated_geotiff_fails_cleanly_on_read(tmp_path):
    path = write_tif(tmp_path / "cut.tif", width=64, height=64, tiled=True, blockxsize=16, blockysize=16)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(RasterError) as info, open_raster(path) as src:
        try:
            src.read(1)
        except rasterio.errors.RasterioError as exc:
            raise raster_io.read_error(str(path), exc) from None
    assert "cut.tif" in str(info.value)


def test_no_aux_xml_is_written_beside_the_input(tmp_path):
    path = write_tif(tmp_path / "stats.tif")
    with open_raster(path) as src:
        src.stats(indexes=[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.tif"]
    # control: without the safe options GDAL does persist the statistics next to the file
    with rasterio.open(path) as src:
        src.stats(indexes=[1])
    assert (tmp_path / "stats.tif.aux.xml").exists()


class _Listener:
    """A loopback TCP listener that counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = _Listener()
    yield server
    server.close()


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("/vsicurl/http://127.0.0.1:{port}/x.tif", {}),
        (
            "/vsis3/bucket/x.tif",
            {
                "AWS_S3_ENDPOINT": "127.0.0.1:{port}",
                "AWS_HTTPS": "NO",
                "AWS_NO_SIGN_REQUEST": "YES",
                "AWS_VIRTUAL_HOSTING": "FALSE",
            },
        ),
    ],
)
def test_safe_gdal_env_never_reaches_the_network(listener, url, options):
    target = url.format(port=listener.port)
    opts = {k: v.format(port=listener.port) for k, v in options.items()}
    with gdal_safe_env(), rasterio.Env(**opts), pytest.raises(rasterio.errors.RasterioIOError):
        rasterio.open(target)
    assert listener.connections == 0
    # control: the same request outside the safe options does connect, so the check can fail
    with rasterio.Env(GDAL_HTTP_MAX_RETRY="0", **opts), pytest.raises(rasterio.errors.RasterioIOError):
        rasterio.open(target)
    assert listener.connections >= 1


def test_side_car_mask_files_are_not_read(tmp_path):
    """A ``.msk`` next to the upload is ignored: only what is inside the GeoTIFF counts."""
    path = tmp_path / "with_sidecar.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=False):
        write_tif(path)
        with rasterio.open(path, "r+") as dst:
            dst.write_mask(np.zeros((10, 10), dtype="uint8"))
    assert (tmp_path / "with_sidecar.tif.msk").exists()
    with rasterio.open(path) as src:  # control: plain GDAL picks the side-car mask up
        assert rasterio.enums.MaskFlags.per_dataset in src.mask_flag_enums[0]
    with open_raster(path) as src:
        assert src.mask_flag_enums[0] == [rasterio.enums.MaskFlags.all_valid]
