"""Uploads are hostile until proven otherwise (hardening.md §A).

What happens here, in the web process, touches bytes only — never GDAL:

* the body is streamed once, straight into a fresh per-upload directory of the data dir (never the
  system ``/tmp``), with a byte cap (``413`` past it);
* the format is decided from the file's **content** (magic bytes), not its name; anything that is
  not one of the formats panhuo reads — in particular any XML (VRT, OGR-VRT, GTI, MRF, KML …) —
  is refused as ``unsupported_format`` whatever its extension (A4, A5, A6);
* a zip is judged from its central directory *before* anything is extracted: entry count, total
  and per-entry expanded size, compression ratio, absolute or ``..`` paths, drive letters,
  symbolic links, duplicate names, nested archives, encryption; it must hold exactly one Shapefile
  set with its ``.shx`` and ``.dbf`` (A1, A2, A3). Extraction then writes each entry under a name
  panhuo chooses, counting the bytes actually inflated;
* the client's file name is only ever a label: files on disk are named ``data.<ext>``, so a name
  like ``../../x`` or ``/vsicurl/http://…`` never reaches a path or GDAL (A7).

GDAL only opens the file afterwards, in a worker process with the allow-listed drivers, the
dimension/band/layer caps, a memory cap and no network (:mod:`api.worker`).
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import struct
import zipfile
import zlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from api.errors import PayloadTooLargeError
from api.settings import UploadLimits
from geo.errors import InputError, UnsupportedFormatError

#: format → (extension on disk, kind)
FORMATS: dict[str, tuple[str, str]] = {
    "shapefile_zip": ("shp", "vector"),
    "gpkg": ("gpkg", "vector"),
    "geojson": ("geojson", "vector"),
    "parquet": ("parquet", "vector"),
    "flatgeobuf": ("fgb", "vector"),
    "geotiff": ("tif", "raster"),
}

#: extensions a client may give for each format (case-insensitive)
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "shapefile_zip": (".zip",),
    "gpkg": (".gpkg",),
    "geojson": (".geojson", ".json"),
    "parquet": (".parquet", ".geoparquet"),
    "flatgeobuf": (".fgb",),
    "geotiff": (".tif", ".tiff"),
}

#: members allowed beside the .shp in a zipped Shapefile
_SHAPEFILE_SIDECARS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd"}
_ARCHIVE_SUFFIXES = {".zip", ".7z", ".rar", ".gz", ".tar", ".tgz", ".bz2", ".xz"}
_CHUNK = 1024 * 1024

#: compression methods the standard library inflates (PKWARE APPNOTE 4.4.5)
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
#: names of common methods it does not, for the message
_METHOD_NAMES = {
    1: "Shrink",
    6: "Implode",
    9: "Deflate64",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
    99: "AES 加密",
}
#: what the standard library raises on a damaged member while inflating it
_INFLATE_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)


@dataclass(frozen=True)
class StoredUpload:
    """An upload that passed the byte-level checks, in its own directory."""

    format: str
    kind: str
    path: Path
    size_bytes: int
    original_name: str


def safe_label(filename: str | None) -> str:
    """Return the client's file name reduced to a harmless display label (no directories, no controls)."""
    name = PurePosixPath((filename or "upload").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "upload"
    return name[:200]


def labelled_links(data_path: Path, label: str, folder: Path) -> Path:
    """Link a stored dataset's files into ``folder`` under the user's file name; return the main one.

    A dataset is stored as ``data.<ext>`` (with a Shapefile's ``data.shx``, ``data.dbf`` … beside
    it); each ``data.*`` file is linked as ``<stem>.*``, ``stem`` being the user's file name without
    its extension (``yulin_parcels.zip`` → ``yulin_parcels.shp``, ``.shx``, ``.dbf``). A reader
    opening the link names the user's file in every message, and nothing is copied (hard links in
    the data dir; symbolic links where a hard link is impossible).
    """
    name = safe_label(label)
    pure = PurePosixPath(name)
    known = {ext for exts in _EXTENSIONS.values() for ext in exts}
    stem = (pure.stem if pure.suffix.lower() in known else name).lstrip(".").strip() or "upload"
    folder.mkdir(parents=True, exist_ok=True)
    for file in sorted(data_path.parent.glob("data.*")):
        link = folder / (stem + file.name.removeprefix("data"))
        if link.exists() or link.is_symlink():
            continue
        try:
            os.link(file, link)  # a hard link: readers that resolve symlinks still see the user's name
        except OSError:  # another file system: a symbolic link
            link.symlink_to(file.resolve())
    return folder / (stem + data_path.name.removeprefix("data"))


def sniff(path: Path) -> str | None:
    """Return the format a file really is, from its first bytes (None when it is none of panhuo's)."""
    with path.open("rb") as f:
        head = f.read(4096)
        f.seek(0, 2)
        size = f.tell()
        tail = b""
        if size >= 8:
            f.seek(-4, 2)
            tail = f.read(4)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "shapefile_zip"
    if (
        head.startswith(b"SQLite format 3\x00")
        and len(head) >= 72
        and head[68:72] in (b"GPKG", b"GP10", b"GP11")
    ):
        return "gpkg"
    if head.startswith(b"PAR1") and tail == b"PAR1":
        return "parquet"
    if head.startswith(b"fgb\x03"):
        return "flatgeobuf"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "geotiff"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "geojson"
    return None


def check_zip(path: Path, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """Judge a zip from its central directory only; return the Shapefile members to extract.

    Raises
    ------
    PayloadTooLargeError
        More than ``zip_max_entries`` entries, more than ``zip_max_expanded_mb`` in total, or an
        entry compressed more than ``zip_max_ratio`` times (a zip bomb).
    UnsupportedFormatError
        Not a readable zip, an encrypted or nested archive, or members that are not one Shapefile set.
    InputError
        Unsafe member names (absolute, ``..``, drive letters), links or duplicates; a missing
        ``.shx``/``.dbf``.

    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as error:
        raise UnsupportedFormatError("zip 文件已损坏或无法读取 — not a readable zip archive") from error
    with archive:
        members = archive.infolist()
        start_dir = int(getattr(archive, "start_dir", path.stat().st_size))
    if len(members) > limits.zip_max_entries:
        raise PayloadTooLargeError(
            f"zip 内文件过多（{len(members)} 个，上限 {limits.zip_max_entries}）— too many entries in the zip"
        )
    total = sum(m.file_size for m in members)
    if total > limits.zip_max_expanded_mb * 1024 * 1024:
        raise PayloadTooLargeError(
            f"zip 解压后超过上限 {limits.zip_max_expanded_mb} MiB — the zip expands past the size budget"
        )
    files = _safe_members(members, limits)
    chosen = _shapefile_set(files)
    check_local_headers(path, members, start_dir)
    return chosen


def _check_member(m: zipfile.ZipInfo) -> None:
    """Refuse an unsafe name, a link, encryption or a compression method the library cannot inflate."""
    name = m.filename
    if (
        "\\" in name
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name)
        or ".." in PurePosixPath(name).parts
    ):
        raise InputError("zip 内含不安全的路径（绝对路径或 ..）— unsafe path inside the zip")
    mode = m.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InputError("zip 内含符号链接 — the zip holds a symbolic link")
    if m.flag_bits & 0x1:
        raise UnsupportedFormatError("zip 已加密 — encrypted zips are not accepted")
    if m.compress_type not in _METHODS:
        method = _METHOD_NAMES.get(m.compress_type, "未知 unknown")
        raise UnsupportedFormatError(
            f"zip 条目 {safe_label(name)!r} 使用不支持的压缩方法 {m.compress_type}（{method}）"
            "— unsupported compression method; re-zip with standard Deflate"
        )


def _safe_members(members: list[zipfile.ZipInfo], limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """Check every member (names, links, duplicates, ratio, nesting); return the files that count."""
    seen: set[str] = set()
    files: list[zipfile.ZipInfo] = []
    for m in members:
        _check_member(m)
        key = m.filename.lower()
        if key in seen:
            raise InputError("zip 内有重名文件 — duplicate names inside the zip")
        seen.add(key)
        if m.is_dir():
            continue
        base = PurePosixPath(m.filename)
        if base.name.startswith(".") or "__MACOSX" in base.parts:
            continue
        if m.compress_size and m.file_size / m.compress_size > limits.zip_max_ratio:
            raise PayloadTooLargeError("zip 压缩比异常（疑似压缩炸弹）— compression ratio too high, refused")
        if base.suffix.lower() in _ARCHIVE_SUFFIXES:
            raise UnsupportedFormatError("zip 内不允许再嵌套压缩包 — nested archives are not accepted")
        files.append(m)
    return files


def _shapefile_set(files: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """Return the members of the one Shapefile set (with its ``.shx`` and ``.dbf``) the zip must hold."""
    shp = [m for m in files if PurePosixPath(m.filename).suffix.lower() == ".shp"]
    if len(shp) != 1:
        raise UnsupportedFormatError(
            f"zip 中应恰好有一套 Shapefile（找到 {len(shp)} 个 .shp）"
            "— the zip must hold exactly one Shapefile set"
        )
    stem = PurePosixPath(shp[0].filename).with_suffix("")
    chosen: list[zipfile.ZipInfo] = []
    for m in files:
        p = PurePosixPath(m.filename)
        suffix = "".join(p.suffixes[-2:]).lower() if p.name.lower().endswith(".shp.xml") else p.suffix.lower()
        if suffix not in _SHAPEFILE_SIDECARS and suffix != ".shp.xml":
            raise UnsupportedFormatError(
                f"zip 中含有 Shapefile 以外的文件 {safe_label(p.name)!r} — only one Shapefile set is accepted"
            )
        if PurePosixPath(p.as_posix().removesuffix(suffix if suffix != ".shp.xml" else ".shp.xml")) != stem:
            raise UnsupportedFormatError(
                "zip 中含有不属于该 Shapefile 的文件 — files of another layer in the zip"
            )
        chosen.append(m)
    present = {PurePosixPath(m.filename).suffix.lower() for m in chosen}
    for needed in (".shx", ".dbf"):
        if needed not in present:
            raise InputError(f"Shapefile 缺少 {needed} 文件 — the zipped Shapefile has no {needed}")
    return chosen


def check_local_headers(path: Path, members: list[zipfile.ZipInfo], start_dir: int) -> None:
    """Each member's local file header must agree with the central directory (APPNOTE 4.3.7).

    The local header signature, the same name and compression method, and the data inside the
    archive: a member's compressed bytes end before the next member's header (or the central
    directory) begins, so no two entries share bytes and no size points past the file.
    """
    ordered = sorted(members, key=lambda m: m.header_offset)
    limits = [m.header_offset for m in ordered[1:]] + [start_dir]
    with path.open("rb") as f:
        for m, limit in zip(ordered, limits, strict=True):
            label = safe_label(m.filename)
            f.seek(m.header_offset)
            head = f.read(30)
            if len(head) < 30 or head[:4] != b"PK\x03\x04":
                raise InputError(
                    f"zip 条目 {label!r} 的本地文件头损坏 — the entry's local file header is missing"
                )
            method, name_len, extra_len = (
                struct.unpack("<H", head[8:10])[0],
                *struct.unpack("<HH", head[26:30]),
            )
            local_name = f.read(name_len)
            expected = m.orig_filename.encode("utf-8" if m.flag_bits & 0x800 else "cp437", "replace")
            if local_name != expected or method != m.compress_type:
                raise InputError(
                    f"zip 条目 {label!r} 的本地文件头与中央目录不一致（名称或压缩方法）"
                    "— the local header disagrees with the central directory"
                )
            if m.header_offset + 30 + name_len + extra_len + m.compress_size > limit:
                raise InputError(
                    f"zip 条目 {label!r} 声明的压缩大小超出其所在范围"
                    " — the entry's sizes lie (data past its end)"
                )


def extract_shapefile(
    path: Path, members: list[zipfile.ZipInfo], target_dir: Path, limits: UploadLimits
) -> Path:
    """Extract the checked members as ``data.<ext>``, counting inflated bytes; return the ``.shp``."""
    budget = limits.zip_max_expanded_mb * 1024 * 1024
    written = 0
    with zipfile.ZipFile(path) as archive:
        for m in members:
            name = PurePosixPath(m.filename).name.lower()
            suffix = ".shp.xml" if name.endswith(".shp.xml") else PurePosixPath(name).suffix
            out_path = target_dir / f"data{suffix}"
            entry = 0
            label = safe_label(m.filename)
            try:
                with archive.open(m) as src, out_path.open("wb") as out:
                    # the central directory's sizes are a claim: count what is really inflated
                    while chunk := src.read(_CHUNK):
                        entry += len(chunk)
                        written += len(chunk)
                        if written > budget:
                            raise PayloadTooLargeError(
                                "zip 解压后超过上限 — the zip expands past the size budget"
                            )
                        out.write(chunk)
            except _INFLATE_ERRORS as error:
                raise InputError(f"zip 条目 {label!r} 已损坏：{_inflate_problem(error)}") from None
            if entry != m.file_size:
                raise InputError(
                    f"zip 条目 {label!r} 声明解压后 {m.file_size} 字节，实际 {entry} 字节"
                    " — the entry's sizes lie"
                )
    return target_dir / "data.shp"


def _inflate_problem(error: BaseException) -> str:
    """Say what is wrong with a member the standard library could not inflate (no bytes of it)."""
    text = str(error)
    if "CRC" in text:
        return "CRC 校验失败（数据损坏或大小不实）— bad CRC-32: corrupt data or sizes that lie"
    if "differ" in text or "magic number" in text:
        return "本地文件头与中央目录不一致 — the local header disagrees with the central directory"
    if isinstance(error, NotImplementedError):
        return "不支持的压缩方法 — unsupported compression method"
    if isinstance(error, EOFError):
        return "数据被截断 — the compressed data ends early"
    return "压缩数据无法解压 — the compressed data is corrupt"


def accept_upload(raw: Path, filename: str | None, target_dir: Path, limits: UploadLimits) -> StoredUpload:
    """Sniff, check and (for zips) extract the upload received as ``raw`` inside ``target_dir``.

    ``raw`` is the body as :class:`DiskMultiPartParser` wrote it (once, in the dataset's own
    folder); on any refusal ``target_dir`` is removed again.
    """
    label = safe_label(filename)
    try:
        size = raw.stat().st_size
        if size == 0:
            raise InputError("上传的文件为空 — the uploaded file is empty")
        if size > limits.max_upload_bytes:
            raise PayloadTooLargeError(
                f"上传文件超过上限 {limits.max_upload_bytes // (1024 * 1024)} MiB"
                " — upload larger than the cap"
            )
        fmt = sniff(raw)
        if fmt is None:
            raise UnsupportedFormatError(
                f"不支持的文件格式（{label}）：只接受 zip 压缩的 Shapefile、GeoPackage、GeoJSON、GeoParquet、"
                "FlatGeobuf 或 GeoTIFF — unsupported format; VRT and other XML-based formats are refused"
            )
        suffix = PurePosixPath(label).suffix.lower()
        if suffix and suffix not in _EXTENSIONS[fmt]:
            raise UnsupportedFormatError(
                f"文件扩展名 {suffix!r} 与内容（{fmt}）不符 — the file's extension does not match its content"
            )
        ext, kind = FORMATS[fmt]
        if fmt == "shapefile_zip":
            members = check_zip(raw, limits)
            path = extract_shapefile(raw, members, target_dir, limits)
            raw.unlink()
        else:
            path = target_dir / f"data.{ext}"
            raw.rename(path)
        return StoredUpload(format=fmt, kind=kind, path=path, size_bytes=size, original_name=label)
    except BaseException:
        shutil.rmtree(target_dir, ignore_errors=True)
        raise


class DiskMultiPartParser(MultiPartParser):
    """Starlette's multipart parser, writing the file part straight into the upload's folder.

    Starlette spools a file part to a ``SpooledTemporaryFile`` in the system temporary directory
    (past 1 MiB), and the upload would then be copied again into the data dir. Here the part is
    written once, to ``<data-dir>/datasets/<id>/upload.bin``, counted against
    ``max_upload_bytes`` as it arrives (``413`` past it), so the data dir's disk and its limits are
    the only ones an upload touches. Everything else (field caps, header parsing) is Starlette's.
    """

    def __init__(
        self, headers: Headers, stream: AsyncGenerator[bytes, None], *, raw: Path, max_bytes: int
    ) -> None:
        super().__init__(headers, stream, max_files=1, max_fields=5, max_part_size=64 * 1024)
        self.raw = raw
        self.max_bytes = max_bytes
        self.received = 0

    def on_headers_finished(self) -> None:
        """Open the file part on disk in place of Starlette's spool."""
        super().on_headers_finished()
        upload = self._current_part.file
        if upload is not None:
            upload.file.close()  # the empty in-memory spool Starlette just made: never written
            disk = self.raw.open("w+b")
            self._files_to_close_on_error.append(disk)  # type: ignore[arg-type]
            upload.file = disk

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        """Count the file part's bytes against the cap, then let Starlette queue them for writing."""
        if self._current_part.file is not None:
            self.received += end - start
            if self.received > self.max_bytes:
                raise PayloadTooLargeError(
                    f"上传文件超过上限 {self.max_bytes // (1024 * 1024)} MiB — upload larger than the cap"
                )
        super().on_part_data(data, start, end)


async def receive_upload(request: Request, target_dir: Path, limits: UploadLimits) -> FormData:
    """Parse a multipart upload, its file part written to ``target_dir / "upload.bin"`` (new folder).

    The caller closes the returned form (``await form.close()``) and removes ``target_dir`` on failure.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise InputError(
            "上传应为 multipart/form-data，文件字段 file — the upload must be multipart/form-data"
        )
    target_dir.mkdir(parents=True, exist_ok=False)
    parser = DiskMultiPartParser(
        request.headers, request.stream(), raw=target_dir / "upload.bin", max_bytes=limits.max_upload_bytes
    )
    try:
        return await parser.parse()
    except MultiPartException as error:
        raise HTTPException(400, f"multipart 请求体无效 — invalid multipart body: {error.message}") from None
