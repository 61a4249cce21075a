r"""Open rasters safely — the only way panhuo opens a raster.

A raster reaches panhuo as an upload or a command-line path, so it is untrusted input
(hardening.md §A4, A5, A7, A8, A9, A10). :func:`open_raster` applies these rules, in this order:

1. **The name is a local file path.** A string starting with ``/vsi`` (GDAL's virtual file
   systems: ``/vsicurl/``, ``/vsizip/``, …) or carrying a URL scheme (``http://``, ``s3://``,
   ``zip+file://``, …) is refused before GDAL sees it (A7). The path must name an existing
   regular file (not a directory, FIFO or device).
2. **The bytes say TIFF.** The first bytes must be a classic TIFF (``II*\\0`` / ``MM\\0*``) or
   BigTIFF (``II+\\0`` / ``MM\\0+``) signature. Anything else — a VRT XML, an MRF, a PNG, random
   bytes — named ``.tif`` is refused with :class:`~geo.errors.UnsupportedFormatError` and is
   never handed to GDAL, so a VRT's sources (``/etc/passwd``, another upload, a URL) are never
   opened (A4, A5, A6).
3. **Only the GTiff driver.** The file is opened with ``driver="GTiff"``, which rasterio passes
   to ``GDALOpenEx`` as the list of allowed drivers, so GDAL cannot pick another driver even if
   the magic bytes were somehow accepted.
4. **GDAL never reaches the network nor writes beside the input.** Every open and every read runs
   inside a :class:`rasterio.Env` with :data:`SAFE_GDAL_OPTIONS`:
   ``CPL_VSIL_CURL_ALLOWED_FILENAME`` set to a name no real request can have (GDAL's
   ``/vsicurl/`` family — ``/vsicurl``, ``/vsis3``, ``/vsigs``, ``/vsiaz``, … — then refuses
   every URL; ``tests/geo/test_raster_io.py`` proves it with a loopback listener that never sees
   a connection), ``CPL_VSIL_CURL_ALLOWED_EXTENSIONS`` to an impossible extension,
   ``GDAL_HTTP_TIMEOUT``/``GDAL_HTTP_MAX_RETRY`` small,
   ``GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR`` (no directory listing of the upload folder;
   side-car files such as ``.msk``/``.ovr`` are therefore ignored — only what is inside the
   GeoTIFF counts) and ``GDAL_PAM_ENABLED=NO`` (no ``.aux.xml`` read or written: inputs are
   never modified on disk). ``GDAL_CACHEMAX`` is process-global in rasterio, so it is left to
   the worker's environment.
5. **Caps checked right after open, before any pixel is read** (A8): width, height, width ×
   height, band count, and the block (tile/strip) size in pixels and in decoded bytes. A header
   claiming 10⁶ × 10⁶ pixels in a few kilobytes is refused by :class:`RasterLimits` without
   allocating anything. Capping the decoded block size also bounds what one decompressed tile
   can take (A9); callers read in windows.
6. **Corrupt or truncated files** raise :class:`~geo.errors.RasterError` naming the file (A10);
   :func:`read_error` turns an error met later while reading pixels into the same message.

The file may still be swapped between the signature check and GDAL's open (a TOCTOU race); the
service avoids that by extracting each upload alone into its own job directory.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors

from geo.errors import NotFoundError, RasterError, UnsupportedFormatError

__all__ = [
    "SAFE_GDAL_OPTIONS",
    "TIFF_SIGNATURES",
    "RasterLimits",
    "gdal_safe_env",
    "open_raster",
    "read_error",
]

#: Byte signatures of the files panhuo accepts: little/big-endian classic TIFF and BigTIFF.
TIFF_SIGNATURES: tuple[bytes, ...] = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

#: GDAL configuration options in force for every open and read (see the module docstring).
SAFE_GDAL_OPTIONS: dict[str, str] = {
    # only this exact /vsicurl/ filename may be fetched — a name no request can have, so none is
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/panhuo-network-access-is-disabled",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".panhuo-no-network",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
}

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@dataclass(frozen=True)
class RasterLimits:
    """Caps checked right after a raster is opened, before any pixel is read.

    The defaults are generous for a development zone (a 100 000 × 100 000 scene at 0.5 m covers
    50 km × 50 km) and still refuse headers that only exist to exhaust memory (hardening A8).

    Attributes
    ----------
    max_width, max_height : int
        Largest accepted raster width and height in pixels.
    max_pixels : int
        Largest accepted width × height.
    max_bands : int
        Largest accepted band count.
    max_block_pixels : int
        Largest accepted tile or strip (block width × block height).
    max_block_bytes : int
        Largest accepted decompressed block in bytes: block pixels × sample size, times the band
        count for pixel-interleaved files (GDAL decodes all their bands at once). Bounds what one
        read can make GDAL allocate, whatever the compression ratio (hardening A9).

    """

    max_width: int = 200_000
    max_height: int = 200_000
    max_pixels: int = 10_000_000_000
    max_bands: int = 256
    max_block_pixels: int = 16_777_216
    max_block_bytes: int = 268_435_456


@contextmanager
def gdal_safe_env() -> Iterator[None]:
    """Run the enclosed block with :data:`SAFE_GDAL_OPTIONS` in force (no network, no side files)."""
    with rasterio.Env(**SAFE_GDAL_OPTIONS):
        yield


def _local_path(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` names a local regular file and return it made absolute.

    Raises
    ------
    UnsupportedFormatError
        For a GDAL virtual-file-system name or a URL.
    NotFoundError
        When the file does not exist or is not a regular file.

    """
    text = os.fspath(path)
    if not isinstance(text, str):
        raise UnsupportedFormatError(
            f"栅格路径必须是文本路径，收到 {text!r}（raster path must be a text path）"
        )
    stripped = text.strip()
    if stripped.lower().startswith("/vsi") or _URL_SCHEME.match(stripped):
        raise UnsupportedFormatError(
            f"栅格 {text!r} 不是本地文件路径：不接受 GDAL 虚拟文件系统（/vsi…）或网址，"
            "请提供本地 GeoTIFF 文件"
            f"（raster {text!r} is not a local file path: /vsi… names and URLs are refused; "
            "give a local GeoTIFF file）"
        )
    absolute = Path(os.path.abspath(text))
    if str(absolute).lower().startswith("/vsi"):
        raise UnsupportedFormatError(
            f"栅格 {text!r} 解析为 GDAL 虚拟路径，已拒绝（raster {text!r} resolves to a /vsi… name; refused）"
        )
    try:
        info = absolute.stat()
    except FileNotFoundError:
        raise NotFoundError(f"找不到栅格文件 {text}（raster file not found: {text}）") from None
    except OSError as exc:
        raise NotFoundError(
            f"无法访问栅格文件 {text}：{exc.strerror}（cannot access raster file {text}）"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise NotFoundError(f"栅格 {text} 不是普通文件（raster {text} is not a regular file）")
    return absolute


def _check_signature(path: Path, shown: str) -> None:
    """Refuse any file whose first bytes are not a TIFF or BigTIFF signature."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise RasterError(
            f"无法读取栅格文件 {shown}：{exc.strerror}（cannot read raster file {shown}）"
        ) from None
    if head[:4] in TIFF_SIGNATURES:
        return
    stripped = head.lstrip()
    if stripped.startswith(b"<"):
        kind = "XML 文本（如 VRT），不是 GeoTIFF / XML text such as a VRT, not a GeoTIFF"
    elif not head:
        kind = "空文件 / an empty file"
    else:
        kind = "未知格式 / an unknown format"
    raise UnsupportedFormatError(
        f"栅格文件 {shown} 不是 GeoTIFF：文件开头不是 TIFF 标识，而是{kind}；只接受 GeoTIFF（.tif）"
        f"（raster {shown} is not a GeoTIFF: its first bytes are not a TIFF signature; "
        "only GeoTIFF is accepted）"
    )


def _check_limits(src: rasterio.io.DatasetReader, shown: str, limits: RasterLimits) -> None:
    """Apply :class:`RasterLimits` to an opened dataset (reads header fields only)."""
    width, height, count = src.width, src.height, src.count
    problems = []
    if width > limits.max_width or height > limits.max_height:
        problems.append(
            f"尺寸 {width} × {height} 像元超过上限 {limits.max_width} × {limits.max_height}"
            f" (size {width} × {height} px exceeds {limits.max_width} × {limits.max_height})"
        )
    if width * height > limits.max_pixels:
        problems.append(
            f"像元总数 {width * height} 超过上限 {limits.max_pixels}"
            f" ({width * height} px exceeds the cap of {limits.max_pixels})"
        )
    if count > limits.max_bands:
        problems.append(
            f"波段数 {count} 超过上限 {limits.max_bands} ({count} bands exceed the cap of {limits.max_bands})"
        )
    if count < 1:
        problems.append("没有波段 (no band)")
    interleaved = count if src.interleaving is not None and src.interleaving.name == "pixel" else 1
    sample_bytes = max((np.dtype(d).itemsize for d in src.dtypes), default=1)
    for block_h, block_w in set(src.block_shapes):
        if block_h * block_w > limits.max_block_pixels:
            problems.append(
                f"分块 {block_w} × {block_h} 像元超过上限 {limits.max_block_pixels}"
                f" (block {block_w} × {block_h} px exceeds {limits.max_block_pixels})"
            )
        block_bytes = block_h * block_w * sample_bytes * interleaved
        if block_bytes > limits.max_block_bytes:
            problems.append(
                f"解压后单个分块 {block_bytes} 字节超过上限 {limits.max_block_bytes}"
                f" (one decoded block takes {block_bytes} bytes, above {limits.max_block_bytes})"
            )
    if problems:
        raise RasterError(
            f"栅格 {shown} 超出安全上限，未读取像元："
            + "；".join(problems)
            + f"（raster {shown} refused by the caps）"
        )


def read_error(shown: str, exc: BaseException) -> RasterError:
    """Build the :class:`RasterError` for a GDAL failure while opening or reading ``shown``.

    Parameters
    ----------
    shown : str
        The raster's name as the caller gave it.
    exc : BaseException
        The rasterio/GDAL exception; its first line (at most 200 characters) is appended for
        developers.

    """
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return RasterError(
        f"栅格文件 {shown} 已损坏、被截断或不是有效的 GeoTIFF，无法读取（raster {shown} is corrupt, "
        f"truncated or not a valid GeoTIFF: {detail}）"
    )


@contextmanager
def open_raster(
    path: str | os.PathLike[str], *, limits: RasterLimits | None = None
) -> Iterator[rasterio.io.DatasetReader]:
    """Open a local GeoTIFF for reading under panhuo's safety rules (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        A local file path. ``/vsi…`` names and URLs are refused.
    limits : RasterLimits, optional
        Caps on size, bands and block size; :class:`RasterLimits` defaults when omitted.

    Yields
    ------
    rasterio.io.DatasetReader
        The open dataset. Read from it inside the ``with`` block: the safe GDAL options stay in
        force only there.

    Raises
    ------
    UnsupportedFormatError
        A ``/vsi…`` name, a URL, or a file whose bytes are not TIFF/BigTIFF.
    NotFoundError
        The file does not exist or is not a regular file.
    RasterError
        GDAL cannot open the file (corrupt, truncated) or a cap is exceeded.

    Examples
    --------
    >>> with open_raster("ndvi.tif") as src:  # doctest: +SKIP
    ...     band = src.read(1, window=((0, 256), (0, 256)))

    """
    limits = limits or RasterLimits()
    shown = os.fspath(path)
    local = _local_path(path)
    _check_signature(local, shown)
    with gdal_safe_env():
        try:
            src = rasterio.open(str(local), driver="GTiff", sharing=False)
        except rasterio.errors.RasterioError as exc:
            raise read_error(shown, exc) from None
        with src:
            if src.driver != "GTiff":  # defensive: the allowed-driver list already ensures this
                raise UnsupportedFormatError(
                    f"栅格 {shown} 由 {src.driver} 驱动打开，只接受 GTiff（raster {shown} opened by "
                    f"{src.driver}; only GTiff is accepted）"
                )
            _check_limits(src, shown, limits)
            yield src
