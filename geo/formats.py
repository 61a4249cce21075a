"""Recognise a vector file by its bytes, and unpack zipped Shapefiles safely.

panhuo reads five formats (contract.md §2). A file is handed to GDAL only after its magic bytes
show it is what its extension says, and always with the driver named (``GPKG:``/``GeoJSON:``
prefixes; Shapefile and FlatGeobuf are checked against the driver GDAL reports), so an XML VRT or
OGR_VRT renamed ``.gpkg``, ``.geojson`` or ``.shp`` — which would make GDAL read other files or URLs
(hardening.md A4/A5) — is refused and never opened (:class:`~geo.errors.UnsupportedFormatError`).
GeoParquet is read with pyarrow, not GDAL.

Zip archives are unpacked with :mod:`zipfile` into a private temporary directory, after checking
every entry (hardening.md A1–A3): no absolute paths, drive letters or ``..``, no links, no
duplicate names, at most :attr:`ReadLimits.max_zip_entries` entries and
:attr:`ReadLimits.max_zip_bytes` bytes expanded (counted while writing, not trusted from the
header), and exactly one Shapefile (or the one named by ``layer=``). GDAL's ``/vsizip/`` is never
used on user paths.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from geo.errors import NotFoundError, UnsupportedFormatError


@dataclass(frozen=True)
class ReadLimits:
    """Caps that keep a hostile file from exhausting the machine (hardening.md A1, A3, A11, A12)."""

    max_zip_entries: int = 1000
    max_zip_bytes: int = 4 * 1024**3
    max_zip_ratio: float = 1000.0
    max_layers: int = 1000
    max_geojson_bytes: int = 1024**3
    #: vertices of one feature / of the whole layer, checked right after reading, before any
    #: geometry operation (a 1-million-vertex polygon keeps GEOS' validity check busy for minutes)
    max_vertices_per_feature: int = 250_000
    max_vertices_per_layer: int = 50_000_000


DEFAULT_LIMITS = ReadLimits()

#: format key → (label, GDAL driver, extensions)
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "gpkg": ("GeoPackage", "GPKG", (".gpkg",)),
    "shapefile": ("ESRI Shapefile", "ESRI Shapefile", (".shp",)),
    "geojson": ("GeoJSON", "GeoJSON", (".geojson", ".json")),
    "parquet": ("GeoParquet", "Parquet", (".parquet", ".geoparquet")),
    "flatgeobuf": ("FlatGeobuf", "FlatGeobuf", (".fgb",)),
}
_EXTENSIONS = {ext: key for key, (_, _, exts) in FORMATS.items() for ext in exts}
SUPPORTED_TEXT = (
    "GeoPackage (.gpkg)、Shapefile (.shp 或 .zip)、GeoJSON、GeoParquet (.parquet)、FlatGeobuf (.fgb)"
)
_GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")
_SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class Source:
    """A recognised file ready to open: ``path`` is what GDAL/pyarrow open (local, regular file)."""

    original: Path
    path: Path
    format: str
    member: str | None = None

    @property
    def label(self) -> str:
        """Human name of the format (``"ESRI Shapefile (zip)"`` for a zipped one)."""
        label = FORMATS[self.format][0]
        return f"{label} (zip)" if self.member else label

    @property
    def driver(self) -> str:
        """The GDAL driver that must read this file."""
        return FORMATS[self.format][1]

    @property
    def gdal_path(self) -> str:
        """The name passed to GDAL, naming the driver where GDAL allows it."""
        if self.format == "gpkg":
            return f"GPKG:{self.path}"
        if self.format == "geojson":
            return f"GeoJSON:{self.path}"
        return str(self.path)


def _refuse(path: Path, what: str) -> UnsupportedFormatError:
    return UnsupportedFormatError(
        f"{path.name}: {what}；panhuo 只读取 {SUPPORTED_TEXT} / panhuo reads only GeoPackage, Shapefile "
        "(loose or zipped), GeoJSON, GeoParquet and FlatGeobuf"
    )


def resolve_input(path: str | Path) -> Path:
    """Check a user path names an existing local regular file; refuse URLs and GDAL virtual paths."""
    text = str(path)
    lowered = text.lower()
    if lowered.startswith(("/vsi", "http:", "https:", "ftp:", "s3:", "gs:")) or "://" in lowered:
        raise UnsupportedFormatError(
            f"{text}: 只接受本地文件路径，不接受网址或 GDAL 虚拟路径 / only local file paths are accepted"
        )
    p = Path(text).expanduser()
    if not p.exists():
        raise NotFoundError(f"{text}: 文件不存在 / file not found")
    if p.is_dir():
        raise UnsupportedFormatError(
            f"{text}: 是目录而不是文件；请给出 .shp/.gpkg 等文件或 .zip 压缩包 / is a directory; "
            "give the .shp, .gpkg, … file or a .zip"
        )
    if not p.is_file():
        raise UnsupportedFormatError(f"{text}: 不是普通文件 / not a regular file")
    return p.resolve()


def _head(path: Path, n: int = 128) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def _tail(path: Path, n: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - n))
        return fh.read(n)


def sniff(path: Path) -> str:
    """Return the format key of ``path`` after checking its bytes agree with its extension.

    Raises
    ------
    UnsupportedFormatError
        Unknown extension, or content that is not the format the extension says (XML, random bytes,
        a truncated file).

    """
    ext = path.suffix.lower()
    if ext == ".zip":
        if _head(path, 4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise _refuse(path, "扩展名是 .zip 但内容不是 zip 压缩包 / not a zip archive")
        return "zip"
    if ext in (".dbf", ".shx", ".prj", ".cpg"):
        raise _refuse(path, f"这是 Shapefile 的附属文件 ({ext})，请给出 .shp 文件 / give the .shp file")
    fmt = _EXTENSIONS.get(ext)
    if fmt is None:
        raise _refuse(path, f"不支持的扩展名 unsupported extension {ext or '(none)'}")
    head = _head(path, 128)
    if fmt == "gpkg":
        if not head.startswith(b"SQLite format 3\x00") or head[68:72] not in _GPKG_APPLICATION_IDS:
            raise _refuse(path, "扩展名是 .gpkg，但内容不是 GeoPackage / the content is not a GeoPackage")
    elif fmt == "shapefile":
        if len(head) < 100 or head[:4] != b"\x00\x00\x27\x0a":
            raise _refuse(path, "扩展名是 .shp，但内容不是 Shapefile / the content is not an ESRI Shapefile")
    elif fmt == "flatgeobuf":
        if len(head) < 8 or head[:3] != b"fgb" or head[3] != 3 or head[4:7] != b"fgb":
            raise _refuse(path, "扩展名是 .fgb，但内容不是 FlatGeobuf / the content is not FlatGeobuf")
    elif fmt == "parquet":
        if head[:4] != b"PAR1" or _tail(path, 4) != b"PAR1":
            raise _refuse(path, "扩展名是 .parquet，但内容不是 Parquet / the content is not Parquet")
    elif fmt == "geojson":
        text = head.lstrip(b"\xef\xbb\xbf").lstrip()
        if not text.startswith(b"{"):
            raise _refuse(
                path, "扩展名是 GeoJSON，但内容不是 JSON 对象 / the content is not a GeoJSON object"
            )
    return fmt


def shapefile_parts(shp: Path) -> dict[str, Path]:
    """Side-car files of a Shapefile (matched case-insensitively); ``.shx`` and ``.dbf`` required."""
    stem = shp.stem.casefold()
    parts: dict[str, Path] = {}
    for sibling in shp.parent.iterdir():
        if sibling.stem.casefold() == stem and sibling.suffix.lower() in _SHAPEFILE_SIDECARS:
            parts.setdefault(sibling.suffix.lower(), sibling)
    parts[".shp"] = shp
    for needed in (".shx", ".dbf"):
        if needed not in parts:
            raise UnsupportedFormatError(
                f"{shp.name}: 缺少 {shp.stem}{needed}（Shapefile 需要 .shp、.shx、.dbf 三个文件）/ "
                f"missing {needed}: a Shapefile needs .shp, .shx and .dbf together"
            )
    return parts


def _check_member(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath:
    name = info.filename
    posix = PurePosixPath(name.replace("\\", "/"))
    mode = info.external_attr >> 16
    bad = (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in posix.parts
        or stat.S_ISLNK(mode)
        or "\x00" in name
    )
    if bad:
        raise UnsupportedFormatError(
            f"{archive.name}: 压缩包条目 {name!r} 不安全（绝对路径、上级目录 .. 或链接）/ unsafe zip entry "
            f"{name!r} (absolute path, '..' or link); the archive is refused"
        )
    return posix


@contextlib.contextmanager
def open_zip(archive: Path, layer: str | None, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Source]:
    """Unpack the one Shapefile of a zip into a private temporary directory and yield its source.

    The directory and everything in it is removed when the context ends. ``layer`` names the
    Shapefile (its stem, or its path inside the archive) when the archive holds several.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsupportedFormatError(
            f"{archive.name}: zip 压缩包已损坏 / corrupt zip archive ({error})"
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise UnsupportedFormatError(
                f"{archive.name}: 压缩包条目过多（{len(infos)} > {limits.max_zip_entries}）/ too many entries"
            )
        seen: set[str] = set()
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            posix = _check_member(info, archive)
            key = str(posix).casefold()
            if key in seen:
                raise UnsupportedFormatError(
                    f"{archive.name}: 压缩包内有重名条目 {info.filename!r} / duplicate entry name"
                )
            seen.add(key)
            if info.is_dir():
                continue
            total += info.file_size
            if total > limits.max_zip_bytes:
                raise UnsupportedFormatError(
                    f"{archive.name}: 解压后超过 {limits.max_zip_bytes / 1024**3:.1f} GiB 上限 / "
                    "expands beyond the cap"
                )
            if info.compress_size and info.file_size / info.compress_size > limits.max_zip_ratio:
                raise UnsupportedFormatError(
                    f"{archive.name}: 条目 {info.filename!r} "
                    "压缩比异常（疑似压缩炸弹）/ suspicious compression ratio"
                )
            members[str(posix)] = info
        shps = sorted(
            name
            for name in members
            if name.lower().endswith(".shp") and not PurePosixPath(name).name.startswith(("._", "."))
        )
        if not shps:
            raise UnsupportedFormatError(
                f"{archive.name}: 压缩包内没有 .shp 文件 / the zip holds no Shapefile (.shp); "
                f"entries: {', '.join(sorted(members)[:20])}"
            )
        if layer is not None:
            chosen = [
                s
                for s in shps
                if s.casefold() == layer.casefold() or PurePosixPath(s).stem.casefold() == layer.casefold()
            ]
            if len(chosen) != 1:
                raise NotFoundError(
                    f"{archive.name}: 压缩包内没有名为 {layer!r} 的 Shapefile / "
                    f"no Shapefile named {layer!r}; "
                    f"available: {', '.join(shps)}"
                )
        elif len(shps) > 1:
            raise NotFoundError(
                f"{archive.name}: 压缩包内有 {len(shps)} 个 Shapefile，请用 --layer 指定一个 / several "
                f"Shapefiles, choose one with layer=: {', '.join(shps)}"
            )
        else:
            chosen = shps
        shp_name = chosen[0]
        stem = PurePosixPath(shp_name)
        wanted = {
            name: info
            for name, info in members.items()
            if PurePosixPath(name).parent == stem.parent
            and PurePosixPath(name).stem.casefold() == stem.stem.casefold()
            and PurePosixPath(name).suffix.lower() in _SHAPEFILE_SIDECARS
        }
        tmp = Path(tempfile.mkdtemp(prefix="panhuo-zip-"))
        try:
            budget = limits.max_zip_bytes
            for name, info in wanted.items():
                target = tmp / ("layer" + PurePosixPath(name).suffix.lower())
                budget = _extract(zf, info, target, budget, archive)
            yield Source(archive, tmp / "layer.shp", "shapefile", member=shp_name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, archive: Path) -> int:
    """Copy one entry, counting bytes as they are written (the header's sizes are not trusted)."""
    written = 0
    with zf.open(info) as src, target.open("wb") as dst:
        while chunk := src.read(1024 * 1024):
            written += len(chunk)
            if written > info.file_size or written > budget:
                raise UnsupportedFormatError(
                    f"{archive.name}: 条目 {info.filename!r} 解压后大于声明或上限 / "
                    "expands beyond its declared size"
                )
            dst.write(chunk)
    return budget - written


@contextlib.contextmanager
def open_source(path: str | Path, layer: str | None, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Source]:
    """Resolve, sniff and (for a zip) unpack ``path``; yield the :class:`Source` to read."""
    resolved = resolve_input(path)
    fmt = sniff(resolved)
    if fmt == "zip":
        with open_zip(resolved, layer, limits) as source:
            sniff(source.path)  # the unpacked .shp must itself be a Shapefile
            shapefile_parts(source.path)
            yield source
        return
    if fmt == "shapefile":
        shapefile_parts(resolved)
    if fmt == "geojson" and resolved.stat().st_size > limits.max_geojson_bytes:
        raise UnsupportedFormatError(
            f"{resolved.name}: GeoJSON 超过 "
            f"{limits.max_geojson_bytes / 1024**3:.1f} GiB 上限，请转换为 GeoPackage 或 "
            "GeoParquet / GeoJSON larger than the cap; convert it to GeoPackage or GeoParquet"
        )
    yield Source(resolved, resolved, fmt)
