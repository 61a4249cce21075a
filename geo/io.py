"""Read any vector layer panhuo accepts into a validated GeoDataFrame and an :class:`IngestReport`.

Public entry points:

* :func:`read_parcels` — the parcel layer in canonical columns (contract.md §2), or an error;
* :func:`inspect_path` — the report alone, listing problems instead of raising for them;
* :func:`read_layer` — any other layer (demand points, roads, facilities, exclusion zones) with
  the same format, encoding and CRS handling but no parcel schema.

The data flow is read → CRS → columns → ids → values → geometry, each step pure and vectorised:

1. **Format** (:mod:`geo.formats`): the bytes must match the extension; zipped Shapefiles are
   unpacked safely; GDAL is told the driver. GeoParquet is read with pyarrow.
2. **Encoding** (:mod:`geo.encoding`): Shapefile text is decoded as the ``.cpg``, the DBF language
   id or a strict UTF-8 → GBK → GB18030 test decides; a conflict is an error, never mojibake.
   The other formats are UTF-8 by specification.
3. **CRS** (:mod:`geo.crs`): from ``crs=`` (which overrides the file), the ``.prj``, the GeoPackage
   srs, the GeoJSON ``crs`` member (a legacy projected CRS is honoured; without one RFC 7946 says
   WGS 84) or the GeoParquet ``geo`` metadata. Missing → :class:`~geo.errors.CRSError` with a hint
   from the coordinates' magnitude, never a guess. Coordinates that cannot be in the CRS → CRSError.
   A geographic layer is reprojected to the CGCS2000 3-degree zone holding its centre.
4. **Columns**: the column mapping (``columns=``, :mod:`geo.columns`) first, then matched to
   :mod:`geo.schema` by canonical name or alias (case and surrounding spaces ignored) and, for
   Shapefiles, by the 10-byte DBF truncation of exactly one alias. Unmatched columns are kept under
   their original names, each with a suggestion (:mod:`geo.suggest`). The mapping's value maps
   replace values before coercion.
5. **Ids and values**: ``parcel_id`` must exist, be present on every row and unique; values are
   coerced by :mod:`geo.coerce`; every value that cannot be read is listed.
6. **Geometry** (:mod:`geo.geomcheck`): polygonal only; Z/M dropped; collections reduced to their
   polygons; invalid polygons repaired with ``make_valid`` (each listed with its area change).
   NULL and empty geometries are an error unless ``drop_empty=True``, which drops them and lists
   them by id.

GDAL runs with network access disabled (no ``/vsicurl``, PROJ network off) while a read runs —
:func:`gdal_options` sets the options around each read and restores them after; importing this
module sets nothing — and inputs are only read, never written.
"""

from __future__ import annotations

import codecs
import mmap
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pyproj.network
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from geo import crs as crsmod
from geo.codes import INDUSTRY_SCHEMES, LAND_USE_SCHEMES, check_scheme, read_industry, read_land_use
from geo.coerce import EXPECTED_ZH, Coerced, coerce_column
from geo.columns import ColumnMapping
from geo.encoding import EncodingDecision, detect_dbf_encoding, read_dbf_header
from geo.errors import (
    CRSError,
    EncodingError,
    GeometryError,
    NotFoundError,
    PanhuoError,
    SchemaError,
    UnsupportedFormatError,
)
from geo.formats import DEFAULT_LIMITS, FORMATS, ReadLimits, Source, open_source, shapefile_parts
from geo.geomcheck import POLYGONAL, GeometryCheck, check_geometries, check_vertex_caps
from geo.ingest_report import (
    ColumnCoercion,
    ColumnMatch,
    DuplicateId,
    GeometrySummary,
    IngestReport,
    Problem,
    Repair,
    RowRef,
    UnreadableValue,
    ValueMapped,
    ValueReading,
)
from geo.schema import FIELDS_BY_NAME, PARCEL_FIELDS, canonical_name
from geo.suggest import suggest_columns

__all__ = [
    "LayerInfo",
    "gdal_options",
    "inspect_layer",
    "inspect_path",
    "list_layers",
    "read_layer",
    "read_parcels",
]

#: GDAL settings in force while :func:`gdal_options` holds, i.e. around every read by this module
#: (hardening.md §1.12): no network (``/vsicurl`` allowed for no file, no retries, PROJ grids never
#: fetched), no Python in VRTs. Drivers themselves are pinned per file by :mod:`geo.formats`.
GDAL_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".panhuo-network-disabled",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "PROJ_NETWORK": "OFF",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
}
_GPKG_OPEN_OPTIONS = {"IMMUTABLE": "YES", "PRELUDE_STATEMENTS": "PRAGMA trusted_schema=OFF"}
DEFAULT_REPAIR_TOLERANCE = 0.01
_COORD_DIGITS = re.compile(r"(\d+\.\d{2})\d+")
_ID_ALIASES = ", ".join(("parcel_id", *FIELDS_BY_NAME["parcel_id"].aliases))


class _GdalScope:
    """The state behind :func:`gdal_options`: how many reads are open and what they replaced.

    pyogrio's GDAL config options are process-wide, so overlapping scopes (nested, or reads in two
    threads) share one setting: the first to enter saves the previous values and applies
    :data:`GDAL_CONFIG`, the last to leave restores them. A read never runs unprotected because
    another one finished first.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: dict[str, Any] = {}

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.saved = {name: pyogrio.get_gdal_config_option(name) for name in GDAL_CONFIG}
                pyogrio.set_gdal_config_options(GDAL_CONFIG)
            self.depth += 1
            # pyproj's own switch, not a GDAL option: see gdal_options for why it is not restored
            pyproj.network.set_network_enabled(False)

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0:
                pyogrio.set_gdal_config_options(self.saved)  # None clears an option that was unset
                self.saved = {}


_GDAL_SCOPE = _GdalScope()


@contextmanager
def gdal_options() -> Iterator[None]:
    """Run the enclosed block with :data:`GDAL_CONFIG` set on pyogrio's GDAL, then restore.

    Importing this module changes nothing: the options are set when a read starts and the values
    they replaced (:func:`pyogrio.get_gdal_config_option`, ``None`` for an unset option) are put
    back when it ends, even on error. Every pyogrio call of this module runs inside; so should any
    other caller's direct pyogrio read of an untrusted file.

    One setting outlives the block on purpose: pyproj's network switch
    (:func:`pyproj.network.set_network_enabled`) is turned off when a read starts and stays off.
    The layer read here is reprojected by pyproj after the block (the CGCS2000 zone, then maps and
    the optimizer), and PROJ must never fetch a grid for it; pyproj has no per-call network
    option. It touches neither ``os.environ`` nor GDAL's options.
    """
    _GDAL_SCOPE.enter()
    try:
        yield
    finally:
        _GDAL_SCOPE.leave()


@dataclass
class _Raw:
    """What a reader hands to the checks: attributes, geometries and the file's own facts."""

    attributes: pd.DataFrame
    geometry: np.ndarray
    declared_crs: pyproj.CRS | None
    crs_how: str
    crs_missing_hint: str
    layer: str | None
    layers: tuple[str, ...]
    driver: str
    encoding: EncodingDecision | None
    raw_field_names: tuple[bytes, ...] | None = None
    codec: str | None = None
    notes: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- readers


def _choose_layer(
    source: Source, listed: list[tuple[str, str]], layer: str | None, limits: ReadLimits
) -> str:
    names = [name for name, _ in listed]
    shown = "、".join(f"{name!r}（{gtype or '无几何 no geometry'}）" for name, gtype in listed[:50])
    if len(names) > limits.max_layers:
        raise UnsupportedFormatError(
            f"{source.original.name}: 图层过多（{len(names)} > {limits.max_layers}）/ too many layers"
        )
    if not names:
        raise NotFoundError(f"{source.original.name}: 文件内没有图层 / the file holds no layer")
    if source.format == "shapefile":
        return names[0]
    if layer is None:
        if len(names) == 1:
            return names[0]
        raise NotFoundError(
            f"{source.original.name}: 文件内有 {len(names)} 个图层，请用 --layer 指定一个 / the file holds "
            f"{len(names)} layers; choose one with --layer (layer=): {shown}"
        )
    if layer not in names:
        raise NotFoundError(
            f"{source.original.name}: 没有名为 {layer!r} 的图层 / no layer named {layer!r}; layers: {shown}"
        )
    return layer


def _read_gdal(source: Source, layer: str | None, encoding: str | None, limits: ReadLimits) -> _Raw:
    name = source.original.name
    opts = dict(_GPKG_OPEN_OPTIONS) if source.format == "gpkg" else {}
    decision: EncodingDecision | None
    raw_names: tuple[bytes, ...] | None = None
    codec: str | None = None
    read_encoding: str | None = None
    if source.format == "shapefile":
        # decide first, then let GDAL pass the bytes through as ISO-8859-1 (one byte = one
        # character, lossless) and decode them here: GDAL's own recoding cannot handle a name cut
        # inside a multi-byte character at the DBF's 10-byte limit
        parts = shapefile_parts(source.path)
        decision = detect_dbf_encoding(parts[".dbf"], parts.get(".cpg"), encoding=encoding)
        raw_names = read_dbf_header(parts[".dbf"]).field_names_raw
        codec = decision.name
        read_encoding = "ISO-8859-1"
    else:
        decision = EncodingDecision(
            "UTF-8", f"{FORMATS[source.format][0]} 规定为 UTF-8 / UTF-8 by specification"
        )
    try:
        listed = [(str(n), str(t) if t else "") for n, t in pyogrio.list_layers(source.gdal_path)]
        chosen = _choose_layer(source, listed, layer, limits)
        info = pyogrio.read_info(source.gdal_path, layer=chosen, encoding=read_encoding, **opts)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as error:
        raise UnsupportedFormatError(
            f"{name}: 无法读取，文件可能已损坏或不是 {FORMATS[source.format][0]} / cannot be read ({error})"
        ) from None
    if info.get("driver") != source.driver:
        raise UnsupportedFormatError(
            f"{name}: 内容由 {info.get('driver')} 驱动识别，而不是 {source.driver} / "
            f"not a {source.driver} file"
        )
    try:
        frame = pyogrio.read_dataframe(
            source.gdal_path, layer=chosen, encoding=read_encoding, force_2d=False, **opts
        )
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as error:
        raise UnsupportedFormatError(f"{name}: 读取失败，文件可能已损坏 / cannot be read ({error})") from None
    if codec is not None and raw_names is not None:
        frame = _redecode(frame, raw_names, codec)

    crs_text = info.get("crs")
    declared = pyproj.CRS.from_user_input(crs_text) if crs_text else None
    how, hint = _crs_provenance(source, declared)
    geometry = np.asarray(frame.geometry.array, dtype=object)
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    layer_name = (source.member and Path(source.member).stem) or (
        source.path.stem if source.format == "shapefile" else chosen
    )
    return _Raw(
        attributes=attributes,
        geometry=geometry,
        declared_crs=declared,
        crs_how=how,
        crs_missing_hint=hint,
        layer=layer_name,
        layers=tuple(n for n, _ in listed) if source.format != "shapefile" else (layer_name,),
        driver=source.driver,
        encoding=decision,
        raw_field_names=raw_names,
        codec=codec,
    )


def _decode_cut(value: bytes, codec: str) -> str:
    """Decode strictly, dropping only a character cut short at the end (DBF width limits)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    return decoder.decode(value, final=False)


def _redecode(frame: gpd.GeoDataFrame, raw_names: tuple[bytes, ...], codec: str) -> gpd.GeoDataFrame:
    """Turn the ISO-8859-1 pass-through of a DBF back into text decoded with ``codec``."""
    attributes = [c for c in frame.columns if c != frame.geometry.name]
    names = [_decode_cut(raw, codec).strip() for raw in raw_names]
    if len(names) != len(attributes):
        names = [str(c).encode("latin-1").decode(codec, errors="replace") for c in attributes]
    seen: dict[str, int] = {}
    unique = []
    for label in names:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    out = frame.rename(columns=dict(zip(attributes, unique, strict=True)))
    for column in unique:
        series = out[column]
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        present = series.notna()
        raw = series[present].astype(str).str.encode("latin-1")
        try:
            text = raw.str.decode(codec)
        except UnicodeDecodeError:
            text = raw.map(lambda b: _decode_cut(b, codec))
        decoded = np.full(len(series), None, dtype=object)
        decoded[present.to_numpy()] = text.to_numpy(dtype=object)
        out[column] = pd.Series(decoded, index=series.index, dtype=object)
    return out


def _crs_provenance(source: Source, declared: pyproj.CRS | None) -> tuple[str, str]:
    """How the file states its CRS, and what to say when it does not."""
    if source.format == "shapefile":
        return ".prj 文件 / from the .prj file", "缺少 .prj 文件 / the .prj file is missing"
    if source.format == "gpkg":
        return (
            "GeoPackage 空间参考（gpkg_spatial_ref_sys）/ GeoPackage srs",
            "GeoPackage 图层的坐标系未定义 / the GeoPackage layer's srs is undefined",
        )
    if source.format == "flatgeobuf":
        return "FlatGeobuf 文件头 / FlatGeobuf header", "FlatGeobuf 文件头没有坐标系 / no CRS in the header"
    if source.format == "geojson":
        if _geojson_has_crs_member(source.path):
            return "GeoJSON 的 crs 成员（旧版规范，按声明采用）/ legacy GeoJSON crs member, honoured", ""
        return "GeoJSON 默认坐标系 WGS 84（RFC 7946，无 crs 成员）/ RFC 7946 default, no crs member", ""
    return "", ""


def _geojson_has_crs_member(path: Path) -> bool:
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return mm.find(b'"crs"') >= 0


_WKB_COLUMNS = ("geometry", "geom", "wkb_geometry", "the_geom", "shape")


@dataclass(frozen=True)
class _ParquetGeometry:
    """Where a Parquet file keeps its geometry and what it says about the CRS."""

    column: str
    encoding: str
    declared: pyproj.CRS | None
    how: str
    hint: str
    notes: tuple[Problem, ...] = ()


def _parquet_geo_metadata(name: str, raw_meta: bytes) -> _ParquetGeometry:
    """Read the GeoParquet ``geo`` metadata: primary column, encoding and CRS (default OGC:CRS84)."""
    import json

    try:
        geo_meta = json.loads(raw_meta)
        column = geo_meta["primary_column"]
        col_meta = geo_meta["columns"][column]
    except (ValueError, KeyError, TypeError) as error:
        raise UnsupportedFormatError(
            f"{name}: GeoParquet 的 geo 元数据无效 / invalid 'geo' metadata ({error})"
        ) from None
    declared: pyproj.CRS | None
    if "crs" not in col_meta:
        declared = pyproj.CRS.from_user_input("OGC:CRS84")
        how = "GeoParquet 默认 OGC:CRS84（geo 元数据未写 crs）/ GeoParquet default, no crs key"
    elif col_meta["crs"] is None:
        declared = None
        how = ""
    else:
        try:
            declared = pyproj.CRS.from_user_input(col_meta["crs"])
        except pyproj.exceptions.CRSError as error:
            raise CRSError(
                f"{name}: geo 元数据中的 crs 无法识别 / unknown crs in 'geo' metadata ({error})"
            ) from None
        how = "GeoParquet geo 元数据 / GeoParquet 'geo' metadata"
    encoding = str(col_meta.get("encoding", "WKB")).upper()
    hint = "GeoParquet 的 geo 元数据中 crs 为 null / the 'geo' metadata says crs null"
    return _ParquetGeometry(column, encoding, declared, how, hint)


def _parquet_wkb_column(name: str, table: Any) -> _ParquetGeometry:
    """Find the WKB column of a plain Parquet file (no ``geo`` metadata, so no CRS)."""
    import pyarrow as pa

    candidates = [c for c in table.column_names if c.lower() in _WKB_COLUMNS]
    binary = [
        c
        for c in candidates
        if pa.types.is_binary(table.schema.field(c).type)
        or pa.types.is_large_binary(table.schema.field(c).type)
    ]
    if not binary:
        raise UnsupportedFormatError(
            f"{name}: 不是 GeoParquet：没有 geo 元数据，也没有 WKB 几何列 / "
            "not GeoParquet: no 'geo' metadata and "
            f"no WKB column named geometry; columns: {', '.join(table.column_names[:30])}"
        )
    column = binary[0]
    note = Problem(
        "no_geo_metadata",
        "warning",
        f"{name}: 没有 GeoParquet geo 元数据，按 WKB 读取列 {column!r} / no 'geo' metadata; "
        f"column {column!r} read as WKB",
    )
    hint = "Parquet 文件没有 geo 元数据，坐标系未知 / no 'geo' metadata, so the CRS is unknown"
    return _ParquetGeometry(column, "WKB", None, "", hint, (note,))


def _parquet_wkb(name: str, table: Any, column: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Decode a WKB column (a row that is not WKB is a GeometryError) and the other columns."""
    raw_wkb = table.column(column).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):  # NaN coordinates are reported by the geometry checks
        geometry = shapely.from_wkb(raw_wkb, on_invalid="ignore")
    bad = np.flatnonzero(pd.notna(raw_wkb) & shapely.is_missing(geometry))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:20])
        raise GeometryError(
            f"{name}: 第 {rows} 行的几何不是有效的 WKB / rows {rows} hold invalid WKB in column {column!r}"
        )
    return geometry, table.drop_columns([column]).to_pandas()


def _read_parquet(source: Source) -> _Raw:
    """Read a (Geo)Parquet file with pyarrow: the ``geo`` metadata, else a WKB column named geometry."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = source.original.name
    try:
        pf = pq.ParquetFile(source.path)
        table = pf.read()
    except (pa.ArrowException, OSError) as error:
        raise UnsupportedFormatError(f"{name}: Parquet 文件已损坏 / corrupt Parquet file ({error})") from None
    metadata = pf.schema_arrow.metadata or {}
    found = (
        _parquet_geo_metadata(name, metadata[b"geo"])
        if b"geo" in metadata
        else _parquet_wkb_column(name, table)
    )
    if found.encoding == "WKB":
        geometry, attributes = _parquet_wkb(name, table, found.column)
    else:
        frame = gpd.read_parquet(source.path)
        geometry = np.asarray(frame.geometry.array, dtype=object)
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    attributes = attributes.reset_index(drop=True)
    return _Raw(
        attributes=attributes,
        geometry=np.asarray(geometry, dtype=object),
        declared_crs=found.declared,
        crs_how=found.how,
        crs_missing_hint=found.hint,
        layer=source.path.stem,
        layers=(source.path.stem,),
        driver="Parquet (pyarrow)",
        encoding=EncodingDecision("UTF-8", "Parquet 规定为 UTF-8 / UTF-8 by specification"),
        notes=list(found.notes),
    )


# --------------------------------------------------------------------------------------------- columns


def _truncations(codec: str) -> dict[str, set[tuple[str, str]]]:
    """Map the decoded 10-byte DBF truncation of every spelling → {(canonical, spelling)}."""
    found: dict[str, set[tuple[str, str]]] = {}
    for f in PARCEL_FIELDS:
        for spelling in (f.name, *f.aliases):
            try:
                encoded = spelling.encode(codec)
            except (UnicodeEncodeError, LookupError):
                continue
            if len(encoded) <= 10:
                continue
            key = encoded[:10].decode(codec, errors="ignore").strip().casefold()
            found.setdefault(key, set()).add((f.name, spelling))
    return found


@dataclass
class _Columns:
    rename: dict[str, str]
    matches: list[ColumnMatch]
    unmatched: list[str]
    problems: list[tuple[Problem, PanhuoError]]


def _match_columns(raw: _Raw, file: str, mapping: ColumnMapping | None = None) -> _Columns:
    """Match the file's columns to canonical ones: the mapping first, then names and aliases."""
    columns = [str(c) for c in raw.attributes.columns]
    mapped = mapping.check_file(columns, file) if mapping is not None else {}
    truncated: dict[str, set[tuple[str, str]]] = {}
    names = raw.raw_field_names
    if names is not None and raw.codec is not None and len(names) == len(columns):
        truncated = _truncations(raw.codec)
    rename: dict[str, str] = {}
    matches: list[ColumnMatch] = []
    unmatched: list[str] = []
    problems: list[tuple[Problem, PanhuoError]] = []
    taken: dict[str, str] = {}
    for column, target in mapped.items():
        taken[target] = column
        rename[column] = target
        matches.append(ColumnMatch(column, target, "mapping", mapping.source if mapping else ""))
    for i, column in enumerate(columns):
        if column in mapped:
            continue
        canonical = canonical_name(column)
        how, alias = ("name" if column.strip().casefold() == canonical else "alias"), ""
        if canonical is None and truncated and names is not None and 7 <= len(names[i]) <= 10:
            key = names[i].decode(raw.codec or "ascii", errors="ignore").strip().casefold()
            hits = truncated.get(key, set())
            targets = {c for c, _ in hits}
            if len(targets) == 1:
                canonical, how = targets.pop(), "truncated alias"
                alias = " / ".join(sorted(s for _, s in hits))
            elif len(targets) > 1:
                msg = (
                    f"{file}: 字段 {column!r} 是多个字段别名的截断，无法确定 / "
                    f"column {column!r} is the truncation of "
                    f"aliases of several columns ({', '.join(sorted(targets))}); kept under its own name — "
                    "rename it to the full alias"
                )
                problems.append((Problem("ambiguous_truncated_column", "warning", msg), SchemaError(msg)))
        if canonical is None:
            unmatched.append(column)
            continue
        if canonical in taken and taken[canonical] in mapped:
            msg = (
                f"{file}: 字段 {column!r} 看似 {canonical}，但列映射指定了 {taken[canonical]!r}，"
                f"此字段按原名保留 / column {column!r} looks like {canonical} but the mapping names "
                f"{taken[canonical]!r}; kept under its own name"
            )
            problems.append((Problem("column_not_used", "warning", msg), SchemaError(msg)))
            unmatched.append(column)
            continue
        if canonical in taken:
            msg = (
                f"{file}: 字段 {taken[canonical]!r} 与 {column!r} 都对应 {canonical} / "
                f"columns {taken[canonical]!r} "
                f"and {column!r} both map to {canonical}; keep one or rename the other"
            )
            problems.append((Problem("duplicate_column", "error", msg), SchemaError(msg)))
            unmatched.append(column)
            continue
        taken[canonical] = column
        rename[column] = canonical
        matches.append(ColumnMatch(column, canonical, how, alias))
    return _Columns(rename, matches, unmatched, problems)


# --------------------------------------------------------------------------------------------- ingest


def _apply_value_maps(
    attributes: pd.DataFrame, by_canonical: dict[str, str], mapping: ColumnMapping
) -> tuple[pd.DataFrame, tuple[ValueMapped, ...]]:
    """Replace values by the mapping's value maps before coercion (a copy; the input is not touched)."""
    out = attributes
    done: list[ValueMapped] = []
    for canonical in mapping.values:
        source_col = by_canonical.get(canonical)
        if source_col is None:
            continue
        series, counts = mapping.map_values(canonical, attributes[source_col])
        if not counts:
            continue
        if out is attributes:
            out = attributes.copy()
        out[source_col] = series
        target = mapping.values[canonical]
        keys = {k.strip(): v for k, v in target.items()}
        done += [ValueMapped(canonical, raw, keys[raw], count) for raw, count in counts.items()]
    return out, tuple(done)


@dataclass
class _FieldRead:
    values: pd.Series
    bad: np.ndarray
    problems: np.ndarray | None
    readings: tuple[Any, ...]
    how: str = ""
    #: the codes as written, kept beside a translated code column (``land_use_source``)
    source: pd.Series | None = None
    converted: int = 0
    missing: int = 0
    source_dtype: str = ""


def _read_field(
    raw: pd.Series, f: Any, land_use_scheme: str, industry_scheme: str, context: pd.Series | None = None
) -> _FieldRead:
    """Coerce one column to its kind and, for code columns, read it under its code list (geo.codes)."""
    result: Coerced = coerce_column(raw, f)
    out = _FieldRead(
        result.values,
        result.bad,
        result.problems,
        result.readings,
        converted=result.converted,
        missing=result.missing,
        source_dtype=result.source_dtype,
    )
    if f.name not in ("land_use", "planned_use", "industry_code"):
        return out
    coded = (
        read_industry(result.values, industry_scheme)
        if f.name == "industry_code"
        else read_land_use(
            result.values,
            land_use_scheme,
            column=f.name,
            context=None if context is None else coerce_column(context, f).values,
        )
    )
    problems = coded.problems.copy()
    if result.problems is not None:
        problems[result.bad] = result.problems[result.bad]
    out.values, out.bad, out.problems = coded.values, result.bad | coded.bad, problems
    out.readings = (*result.readings, *coded.readings)
    out.how = coded.how
    if f.name != "industry_code" and (coded.readings or coded.bad.any()):
        out.source = result.values
    return out


def _refs(positions: np.ndarray, ids: np.ndarray | None, details: Any = None) -> tuple[RowRef, ...]:
    out = []
    for k, pos in enumerate(np.asarray(positions, dtype=int)):
        pid = None if ids is None or ids[pos] is None else str(ids[pos])
        detail = "" if details is None else str(details[k])
        out.append(RowRef(int(pos) + 1, pid, detail))
    return tuple(out)


def _list_refs(refs: tuple[RowRef, ...], limit: int = 20) -> str:
    shown = ", ".join(
        f"{r.parcel_id if r.parcel_id is not None else '?'} (row {r.row})" for r in refs[:limit]
    )
    return shown + (f" … (+{len(refs) - limit})" if len(refs) > limit else "")


@dataclass
class _Outcome:
    frame: gpd.GeoDataFrame | None
    report: IngestReport
    errors: list[PanhuoError]


def _ingest(path: str | Path, **options: Any) -> _Outcome:
    # NaN/inf coordinates are found and reported by the geometry checks; numpy's "invalid value"
    # warnings from shapely and pyproj about them would only repeat that, less clearly
    with np.errstate(invalid="ignore"), gdal_options():
        return _ingest_checked(path, _ReadOptions(**options))


@dataclass
class _Values:
    """What reading the canonical columns gives: the values and everything said about them."""

    coerced: dict[str, pd.Series] = field(default_factory=dict)
    coercions: list[ColumnCoercion] = field(default_factory=list)
    unreadable: list[UnreadableValue] = field(default_factory=list)
    readings: list[ValueReading] = field(default_factory=list)
    schemes: dict[str, str] = field(default_factory=dict)
    sources: dict[str, pd.Series] = field(default_factory=dict)


def _check_ids(
    attributes: pd.DataFrame, id_column: str, file: str, values: _Values, add: Any
) -> tuple[np.ndarray, tuple[RowRef, ...], list[DuplicateId]]:
    """Coerce ``parcel_id``; report rows without an id and ids used more than once."""
    id_col = coerce_column(attributes[id_column], FIELDS_BY_NAME["parcel_id"])
    ids = id_col.values.to_numpy(dtype=object)
    values.coerced["parcel_id"] = id_col.values
    missing_ids: tuple[RowRef, ...] = ()
    duplicate_ids: list[DuplicateId] = []
    missing = np.flatnonzero(pd.isna(id_col.values).to_numpy())
    if missing.size:
        missing_ids = _refs(missing, None)
        rows = ", ".join(str(r.row) for r in missing_ids[:50]) + (
            f" … (+{len(missing_ids) - 50})" if len(missing_ids) > 50 else ""
        )
        msg = (
            f"{file}: 字段 {id_column!r} 第 {rows} 行没有地块编号 / column "
            f"{id_column!r} has no parcel id "
            f"on rows {rows}; every parcel needs a unique id"
        )
        add(Problem("missing_ids", "error", msg), SchemaError(msg))
    series = pd.Series(ids)
    dup_mask = series.duplicated(keep=False).to_numpy() & series.notna().to_numpy()
    if dup_mask.any():
        positions = np.flatnonzero(dup_mask)
        groups = pd.Series(positions + 1).groupby(series[dup_mask].to_numpy(), sort=True)
        duplicate_ids = [DuplicateId(str(k), tuple(int(x) for x in v)) for k, v in groups]
        shown = "; ".join(f"{d.parcel_id}（第 {', '.join(map(str, d.rows))} 行）" for d in duplicate_ids[:20])
        msg = (
            f"{file}: 字段 {id_column!r} 有重复的地块编号 / "
            "duplicate parcel ids in column "
            f"{id_column!r}: {shown}; each id must be unique"
        )
        add(Problem("duplicate_ids", "error", msg), SchemaError(msg))
    return ids, missing_ids, duplicate_ids


def _read_values(
    attributes: pd.DataFrame,
    by_canonical: dict[str, str],
    ids: np.ndarray | None,
    file: str,
    schemes: tuple[str, str],
    values: _Values,
    add: Any,
) -> None:
    """Coerce every canonical column but the id (``schemes``: land use, industry), listing what failed."""
    for f in PARCEL_FIELDS[1:]:
        if f.name not in by_canonical:
            continue
        source_col = by_canonical[f.name]
        partner = {"land_use": "planned_use", "planned_use": "land_use"}.get(f.name)
        context = attributes[by_canonical[partner]] if partner in by_canonical else None
        result = _read_field(attributes[source_col], f, schemes[0], schemes[1], context)
        values.coerced[f.name] = result.values
        if result.how:
            values.schemes[f.name] = result.how
        if result.source is not None:
            values.sources[f"{f.name}_source"] = result.source
        bad = _list_field(attributes[source_col], f, result, ids, values)
        if bad.size:
            unreadable = values.unreadable
            sample = ", ".join(f"{u.parcel_id}: {u.raw!r}" for u in unreadable[-len(bad) :][:5])
            add(
                Problem(
                    "unreadable_values",
                    "warning",
                    f"{file}: 字段 {source_col!r}（{f.name}）有 "
                    f"{bad.size} 个值无法读取为{EXPECTED_ZH.get(f.name, EXPECTED_ZH[f.kind])}，"
                    "已置为空、不参与认定"
                    f" / {bad.size} values of column {source_col!r} "
                    f"could not be read as {f.kind} and are "
                    f"left empty: {sample}",
                )
            )


def _list_field(
    raw: pd.Series, f: Any, result: _FieldRead, ids: np.ndarray | None, values: _Values
) -> np.ndarray:
    """Record one column's unreadable values, ledger readings and coercion counts; return the bad rows."""
    bad = np.flatnonzero(result.bad)
    raw_values = raw.to_numpy(dtype=object)
    expected = EXPECTED_ZH.get(f.name, EXPECTED_ZH[f.kind]) + (
        f"：{'/'.join(sorted(set(f.values.values())))}" if f.values else ""
    )
    for pos in bad:
        values.unreadable.append(
            UnreadableValue(
                f.name,
                int(pos) + 1,
                None if ids is None or ids[pos] is None else str(ids[pos]),
                str(raw_values[pos]),
                expected,
                "" if result.problems is None or result.problems[pos] is None else str(result.problems[pos]),
            )
        )
    for reading in result.readings:
        positions = np.asarray(reading.positions, dtype=np.int64)
        values.readings.append(
            ValueReading(
                f.name,
                reading.raw,
                reading.read_as,
                reading.note,
                tuple(int(p) + 1 for p in positions),
                tuple(None if ids is None or ids[p] is None else str(ids[p]) for p in positions),
            )
        )
    values.coercions.append(
        ColumnCoercion(f.name, f.kind, result.source_dtype, result.converted, result.missing, len(bad))
    )
    return bad


def _active_crs(
    raw: _Raw, crs: Any, source_desc: str | None, bounds: np.ndarray, file: str
) -> tuple[pyproj.CRS, int | None, str]:
    """Choose the CRS (``crs=`` over the file's; none is a CRSError), its EPSG code and how it was found."""
    if crs is not None:
        active: pyproj.CRS | None = crsmod.parse_crs(crs)
        how = "crs= 参数指定 / given by crs= (--crs)" + (
            f"，覆盖文件中的 {source_desc} / overrides the file's {source_desc}" if source_desc else ""
        )
    else:
        active, how = raw.declared_crs, raw.crs_how
    if active is None:
        hint = crsmod.suggest_for_missing_crs(bounds)
        msg = (
            f"{file}: 没有坐标系 / no CRS: {raw.crs_missing_hint}; 请用 --crs（crs=）指定 EPSG 代码 / "
            "pass --crs "
            f"(crs=) with its EPSG code" + (f"; {hint}" if hint else "")
        )
        raise CRSError(msg)
    epsg, identified = crsmod.identify_epsg(active)
    if identified == "Gauss–Krüger parameters":
        how += "；按高斯-克吕格参数识别 / identified from its Gauss–Krüger parameters"
    if epsg is not None:
        active = pyproj.CRS.from_epsg(epsg)
    return active, epsg, how


def _check_crs_fit(
    active: pyproj.CRS, epsg: int | None, bounds: np.ndarray, ids: np.ndarray | None, file: str, add: Any
) -> tuple[str, bool]:
    """Report coordinates that cannot be in ``active`` (crs_mismatch); return the hint and if they fit."""
    check = crsmod.check_coordinates(bounds, active, epsg)
    if check.ok:
        return "", True
    hint = check.suggestion
    bad_refs = _refs(check.bad_rows, ids)
    declared_text = crsmod.describe_crs(active)
    msg = (
        f"{file}: 坐标不可能属于声明的坐标系 {declared_text} / coordinates cannot be in the declared "
        f"{declared_text}: {check.reason}; rows: {_list_refs(bad_refs)}" + (f"; {hint}" if hint else "")
    )
    add(Problem("crs_mismatch", "error", msg), CRSError(msg))
    return hint, False


def _to_metric(
    geometry: np.ndarray, bounds: np.ndarray, active: pyproj.CRS
) -> tuple[np.ndarray, pyproj.CRS, str | None]:
    """Reproject to the CGCS2000 3-degree zone holding the layer's centre (contract §2)."""
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return geometry, active, None
    total = np.array(
        [bounds[finite, 0].min(), bounds[finite, 1].min(), bounds[finite, 2].max(), bounds[finite, 3].max()]
    )
    lon, _ = crsmod.layer_centre_lonlat(total, active)
    final_crs = pyproj.CRS.from_epsg(crsmod.gk3_epsg_for_longitude(lon))
    geometry = np.asarray(gpd.GeoSeries(geometry, crs=active).to_crs(final_crs).array, dtype=object)
    return geometry, final_crs, crsmod.describe_crs(active)


@dataclass
class _ColumnsRead:
    """The attribute table after column matching, id checks and value reading (parcels only)."""

    attributes: pd.DataFrame
    unmatched: list[str]
    values: _Values = field(default_factory=_Values)
    ids: np.ndarray | None = None
    matches: list[ColumnMatch] = field(default_factory=list)
    duplicate_ids: list[DuplicateId] = field(default_factory=list)
    missing_ids: tuple[RowRef, ...] = ()
    values_mapped: tuple[ValueMapped, ...] = ()


def _read_columns(
    raw: _Raw, file: str, columns: ColumnMapping | None, schemes: tuple[str, str], add: Any
) -> _ColumnsRead:
    """Match the columns, check the ids, apply the value maps and read every canonical column."""
    attributes = raw.attributes.reset_index(drop=True)
    values = _Values()
    ids: np.ndarray | None = None
    duplicate_ids: list[DuplicateId] = []
    missing_ids: tuple[RowRef, ...] = ()
    values_mapped: tuple[ValueMapped, ...] = ()
    cols = _match_columns(raw, file, columns)
    matches, unmatched = cols.matches, cols.unmatched
    for problem, error in cols.problems:
        add(problem, error)
    by_canonical = {canonical: source_col for source_col, canonical in cols.rename.items()}
    if "parcel_id" not in by_canonical:
        found = "、".join(map(str, attributes.columns)) or "（无 none）"
        msg = (
            f"{file}: 没有找到地块编号字段 / no parcel_id column; 文件中的字段 columns found: {found}; "
            f"可用的字段名 accepted names: {_ID_ALIASES}"
        )
        add(Problem("missing_id_column", "error", msg), SchemaError(msg))
    else:
        ids, missing_ids, duplicate_ids = _check_ids(attributes, by_canonical["parcel_id"], file, values, add)
    if columns is not None:
        attributes, values_mapped = _apply_value_maps(attributes, by_canonical, columns)
    _read_values(attributes, by_canonical, ids, file, schemes, values, add)
    return _ColumnsRead(
        attributes, unmatched, values, ids, matches, duplicate_ids, missing_ids, values_mapped
    )


@dataclass(frozen=True)
class _ReadOptions:
    """How one read is done: layer, CRS and encoding, what geometry is accepted, how codes are read."""

    layer: str | None
    crs: Any
    encoding: str | None
    parcels: bool
    geometry_types: tuple[str, ...] | None
    drop_empty: bool
    repair_tolerance: float
    limits: ReadLimits
    columns: ColumnMapping | None = None
    land_use_scheme: str = "auto"
    industry_scheme: str = "auto"


def _canonical_frame(
    values: _Values,
    unmatched: list[str],
    attributes: pd.DataFrame,
    geometries: np.ndarray,
    final_crs: pyproj.CRS,
    keep: np.ndarray | None,
) -> gpd.GeoDataFrame:
    """Build the result: canonical columns in schema order, ``*_source`` codes, unmatched columns."""
    data: dict[str, Any] = {}
    for f in PARCEL_FIELDS:
        if f.name in values.coerced:
            data[f.name] = values.coerced[f.name]
    data.update({k: v for k, v in values.sources.items() if k not in data})
    for column in unmatched:
        if column not in data and column != "geometry":
            data[column] = attributes[column]
    frame = gpd.GeoDataFrame(
        pd.DataFrame(data, index=pd.RangeIndex(len(attributes))),
        geometry=gpd.GeoSeries(geometries, crs=final_crs),
        crs=final_crs,
    )
    if keep is not None:
        frame = frame.loc[keep].reset_index(drop=True)
    return frame


def _ingest_checked(path: str | Path, options: _ReadOptions) -> _Outcome:
    """Read, then check CRS, columns, ids, values and geometry in that order (the module's steps)."""
    layer, crs, encoding, parcels = options.layer, options.crs, options.encoding, options.parcels
    columns, limits = options.columns, options.limits
    land_use_scheme, industry_scheme = options.land_use_scheme, options.industry_scheme
    if columns is not None:  # the mapping file's schemes, unless the caller chose one
        land_use_scheme = columns.land_use_scheme if land_use_scheme == "auto" else land_use_scheme
        industry_scheme = columns.industry_scheme if industry_scheme == "auto" else industry_scheme
    check_scheme(land_use_scheme, LAND_USE_SCHEMES, "land_use_scheme")
    check_scheme(industry_scheme, INDUSTRY_SCHEMES, "industry_scheme")
    with open_source(path, layer, limits) as source:
        raw = (
            _read_parquet(source)
            if source.format == "parquet"
            else _read_gdal(source, layer, encoding, limits)
        )
    file = source.original.name
    n = len(raw.attributes)
    problems: list[Problem] = list(raw.notes)
    if encoding is not None and source.format != "shapefile":
        problems.append(
            Problem(
                "encoding_ignored",
                "warning",
                f"{file}: encoding={encoding!r} 只用于 Shapefile，{source.label} 规定为 UTF-8，已忽略 / "
                f"ignored: {source.label} is UTF-8 by specification",
            )
        )
    errors: list[PanhuoError] = []

    def add(problem: Problem, error: PanhuoError | None = None) -> None:
        problems.append(problem)
        if error is not None and problem.severity == "error":
            errors.append(error)

    if n == 0:
        msg = f"{file}: 图层 {raw.layer!r} 没有任何要素 / layer {raw.layer!r} is empty (0 features)"
        add(Problem("empty_layer", "error", msg), GeometryError(msg))

    # ---- columns and ids (parcels only)
    read = (
        _read_columns(raw, file, columns, (land_use_scheme, industry_scheme), add)
        if parcels
        else _ColumnsRead(raw.attributes.reset_index(drop=True), [str(c) for c in raw.attributes.columns])
    )
    attributes, unmatched, values, ids = read.attributes, read.unmatched, read.values, read.ids
    matches, duplicate_ids, missing_ids = read.matches, read.duplicate_ids, read.missing_ids
    values_mapped = read.values_mapped
    coerced_columns = values.coerced
    coercions, unreadable, readings = values.coercions, values.unreadable, values.readings
    schemes = values.schemes
    columns_missing = tuple(f.name for f in PARCEL_FIELDS if parcels and f.name not in coerced_columns)
    suggestions = (
        suggest_columns(unmatched, raw.attributes, coerced_columns, coerced_columns.get("supply_date"))
        if parcels
        else ()
    )

    # ---- CRS
    geometry = raw.geometry
    check_vertex_caps(geometry, ids, file, limits.max_vertices_per_feature, limits.max_vertices_per_layer)
    bounds = shapely.bounds(geometry)
    declared = raw.declared_crs
    source_desc = crsmod.describe_crs(declared) if declared is not None else None
    active, epsg, how = _active_crs(raw, crs, source_desc, bounds, file)
    hint, crs_ok = _check_crs_fit(active, epsg, bounds, ids, file, add)

    # ---- reproject to a metric CRS (only when the coordinates fit their CRS)
    final_crs, reprojected_from = active, None
    if crs_ok and not crsmod.is_projected_metric(active):
        geometry, final_crs, reprojected_from = _to_metric(geometry, bounds, active)

    # ---- geometry
    allowed = POLYGONAL if parcels else options.geometry_types
    checked = check_geometries(geometry, allowed)
    summary, keep = _geometry_report(
        checked, ids, file, raw.layer, allowed, options.drop_empty, options.repair_tolerance, add
    )

    final_epsg, _ = crsmod.identify_epsg(final_crs)
    report = IngestReport(
        path=str(source.original),
        format=source.label,
        driver=raw.driver,
        layer=raw.layer,
        layers=raw.layers,
        feature_count=n,
        member=source.member,
        encoding=raw.encoding.name if raw.encoding else None,
        encoding_how=raw.encoding.how if raw.encoding else None,
        crs_epsg=final_epsg,
        crs_name=pyproj.CRS.from_epsg(final_epsg).name if final_epsg else final_crs.name,
        crs_how=how
        if reprojected_from is None
        else (
            f"{how}；重投影到图层中心所在的 CGCS2000 3度带 / "
            "reprojected to the CGCS2000 3-degree zone of the "
            "layer's centre"
        ),
        source_crs=source_desc,
        reprojected_from=reprojected_from,
        crs_suggestion=hint,
        columns_matched=tuple(matches),
        columns_unmatched=tuple(unmatched),
        columns_missing=columns_missing,
        column_mapping=columns.to_dict() if columns is not None else None,
        values_mapped=values_mapped,
        suggestions=suggestions,
        geometry=summary,
        coercions=tuple(coercions),
        unreadable=tuple(unreadable),
        readings=tuple(readings),
        code_schemes=schemes,
        duplicate_ids=tuple(duplicate_ids),
        missing_ids=missing_ids,
        problems=tuple(problems),
    )
    if errors:
        return _Outcome(None, report, errors)
    frame = _canonical_frame(values, unmatched, attributes, checked.geometries, final_crs, keep)
    return _Outcome(frame, report, errors)


def _repairs(checked: GeometryCheck, ids: np.ndarray | None) -> tuple[Repair, ...]:
    """List every ``make_valid`` repair with its reason (coordinates cut to cm) and areas."""
    return tuple(
        Repair(
            int(pos) + 1,
            None if ids is None or ids[pos] is None else str(ids[pos]),
            _COORD_DIGITS.sub(r"\1", str(reason)),  # "Self-intersection[37412725.62 2502961.19]"
            float(before),
            float(after),
        )
        for pos, reason, before, after in zip(
            checked.repaired, checked.repair_reasons, checked.area_before, checked.area_after, strict=True
        )
    )


def _wrong_type_message(
    checked: GeometryCheck,
    wrong: tuple[RowRef, ...],
    file: str,
    layer: str | None,
    allowed: tuple[str, ...] | None,
) -> str:
    """Say that the whole layer, or which features, are not of the accepted geometry types."""
    present = sum(checked.types.values())
    kinds = "、".join(f"{k} {v}" for k, v in sorted(checked.types.items()))
    wanted = "/".join(allowed or ())
    polygon_layer = allowed == POLYGONAL
    if len(wrong) == present:
        return (
            f"{file}: 图层 {layer!r} "
            f"不是{'面' if polygon_layer else '所需类型的'}图层（{kinds}）/ layer {layer!r} "
            f"holds {kinds}, not {wanted}" + ("; a parcel layer needs polygons" if polygon_layer else "")
        )
    return (
        f"{file}: 以下要素的几何类型不对 / features of the wrong geometry type (need {wanted}): "
        + ", ".join(f"{r.parcel_id or '?'} (row {r.row}: {r.detail})" for r in wrong[:20])
    )


def _report_blank(
    blank: tuple[RowRef, ...], n: int, file: str, drop_empty: bool, add: Any
) -> np.ndarray | None:
    """Drop NULL/empty geometries when asked (the rows to keep), else report them as an error."""
    if not blank:
        return None
    if not drop_empty:
        msg = (
            f"{file}: 以下要素没有几何（NULL 或空）/ features without geometry (NULL or empty): "
            f"{_list_refs(blank)}; 请补全几何，或传 drop_empty=True 剔除并记录 / "
            "fix them or pass drop_empty=True"
        )
        add(Problem("empty_geometries", "error", msg), GeometryError(msg))
        return None
    keep = np.ones(n, dtype=bool)
    keep[[r.row - 1 for r in blank]] = False
    add(
        Problem(
            "empty_geometries_dropped",
            "warning",
            f"{file}: 按 drop_empty 剔除空几何 / "
            f"dropped empty or NULL geometries on request: {_list_refs(blank)}",
        )
    )
    return keep


def _report_repairs(repairs: tuple[Repair, ...], file: str, tolerance: float, add: Any) -> None:
    """Warn about the repaired geometries, and again about those losing more than ``tolerance``."""
    if not repairs:
        return
    over = [r for r in repairs if r.loss_ratio > tolerance]
    add(
        Problem(
            "geometries_repaired",
            "warning",
            f"{file}: {len(repairs)} 个无效几何已用 make_valid 修复 / "
            f"{len(repairs)} invalid geometries repaired "
            f"with make_valid: " + ", ".join(f"{r.parcel_id or '?'} (row {r.row})" for r in repairs[:20]),
        )
    )
    if over:
        add(
            Problem(
                "repair_area_loss",
                "warning",
                f"{file}: 修复后面积损失超过 {tolerance:.0%} / "
                f"repairs losing more than {tolerance:.0%} of the area: "
                + ", ".join(f"{r.parcel_id or '?'} ({r.loss_ratio:.1%})" for r in over[:20]),
            )
        )


def _geometry_report(
    checked: GeometryCheck,
    ids: np.ndarray | None,
    file: str,
    layer: str | None,
    allowed: tuple[str, ...] | None,
    drop_empty: bool,
    tolerance: float,
    add: Any,
) -> tuple[GeometrySummary, np.ndarray | None]:
    """Report the geometry checks (wrong types, non-finite, blank, repairs, reductions, Z/M)."""
    null = _refs(checked.null, ids)
    empty = _refs(checked.empty, ids)
    wrong = _refs(checked.wrong_type, ids, checked.wrong_type_names)
    non_finite = _refs(checked.non_finite, ids)
    reduced = _refs(checked.collections_reduced, ids)
    repairs = _repairs(checked, ids)
    if wrong:
        msg = _wrong_type_message(checked, wrong, file, layer, allowed)
        add(Problem("wrong_geometry_type", "error", msg), GeometryError(msg))
    if non_finite:
        msg = (
            f"{file}: 以下要素的坐标含 NaN 或无穷值 / "
            f"coordinates are NaN or infinite in: {_list_refs(non_finite)}; "
            "fix them in the source"
        )
        add(Problem("non_finite_coordinates", "error", msg), GeometryError(msg))
    blank = null + empty
    keep = _report_blank(blank, len(checked.geometries), file, drop_empty, add)
    _report_repairs(repairs, file, tolerance, add)
    if reduced:
        add(
            Problem(
                "collections_reduced",
                "warning",
                f"{file}: 几何集合仅保留面部分 / "
                f"GeometryCollections reduced to their polygons: {_list_refs(reduced)}",
            )
        )
    if checked.z_dropped or checked.m_dropped:
        add(
            Problem(
                "z_m_dropped",
                "warning",
                f"{file}: 已去除 Z/M 值 / Z values dropped from {checked.z_dropped} and M values from "
                f"{checked.m_dropped} geometries",
            )
        )
    summary = GeometrySummary(
        geometry_types=checked.types,
        repaired=repairs,
        repair_tolerance=tolerance,
        null=null,
        empty=empty,
        dropped=blank if drop_empty else (),
        wrong_type=wrong,
        non_finite=non_finite,
        collections_reduced=reduced,
        multipart=checked.multipart,
        z_dropped=checked.z_dropped,
        m_dropped=checked.m_dropped,
    )
    return summary, keep


# --------------------------------------------------------------------------------------------- public


def read_parcels(  # noqa: PLR0913 — the public reader: one keyword per documented read option
    path: str | Path,
    layer: str | None = None,
    crs: Any = None,
    *,
    encoding: str | None = None,
    drop_empty: bool = False,
    repair_tolerance: float = DEFAULT_REPAIR_TOLERANCE,
    limits: ReadLimits = DEFAULT_LIMITS,
    columns: ColumnMapping | None = None,
    land_use_scheme: str = "auto",
    industry_scheme: str = "auto",
) -> tuple[gpd.GeoDataFrame, IngestReport]:
    """Read a parcel layer into canonical columns, validated (contract.md §2).

    Parameters
    ----------
    path
        A GeoPackage, Shapefile (``.shp`` or ``.zip``), GeoJSON, GeoParquet or FlatGeobuf file.
    layer
        Layer name (GeoPackage) or Shapefile name inside a zip; required when there are several.
    crs
        EPSG code or CRS that overrides (or supplies) the file's CRS, e.g. ``4525``.
    encoding
        Shapefile text encoding, to settle a conflict the detection reports (e.g. ``"GBK"``).
    drop_empty
        Drop NULL/empty geometries (listed in the report) instead of raising.
    repair_tolerance
        Share of a parcel's area a ``make_valid`` repair may lose before it is listed.
    limits
        Caps on archives and layers.
    columns
        The column mapping of contract §2.1 (:func:`geo.columns.load_columns`): its columns are
        taken before alias matching, its value maps apply before coercion, and it is recorded in
        the report (``column_mapping``). A column it names that the file lacks is a SchemaError.
    land_use_scheme, industry_scheme
        How ``land_use``/``planned_use`` and ``industry_code`` are read (contract §2.1; the column
        mapping file's keys): see :mod:`geo.codes`. ``auto`` decides from the codes and reports
        what it cannot decide.

    Returns
    -------
    (GeoDataFrame, IngestReport)
        Canonical columns first (schema order), then the unmatched columns under their original
        names, then ``geometry``; a RangeIndex; ``parcel_id`` as ``str``; a projected metric CRS.

    Raises
    ------
    CRSError, SchemaError, GeometryError, UnsupportedFormatError, EncodingError, NotFoundError
        See the module docstring; each message names the file, column and rows and says what
        would be right.

    """
    outcome = _ingest(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        parcels=True,
        geometry_types=POLYGONAL,
        drop_empty=drop_empty,
        repair_tolerance=repair_tolerance,
        limits=limits,
        columns=columns,
        land_use_scheme=land_use_scheme,
        industry_scheme=industry_scheme,
    )
    if outcome.errors:
        raise outcome.errors[0]
    assert outcome.frame is not None
    return outcome.frame, outcome.report


def read_layer(
    path: str | Path,
    layer: str | None = None,
    crs: Any = None,
    geometry_types: tuple[str, ...] | None = None,
    *,
    encoding: str | None = None,
    drop_empty: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[gpd.GeoDataFrame, IngestReport]:
    """Read any vector layer safely (same format, encoding and CRS handling; no parcel schema).

    ``geometry_types`` lists the accepted types, e.g. ``("Point", "MultiPoint")`` for demand points
    or ``("Polygon", "MultiPolygon")`` for exclusion zones (invalid polygons are then repaired);
    ``None`` accepts any. Columns keep their names; the CRS is made projected metric as for parcels.
    """
    outcome = _ingest(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        parcels=False,
        geometry_types=geometry_types,
        drop_empty=drop_empty,
        repair_tolerance=DEFAULT_REPAIR_TOLERANCE,
        limits=limits,
    )
    if outcome.errors:
        raise outcome.errors[0]
    assert outcome.frame is not None
    return outcome.frame, outcome.report


def inspect_path(
    path: str | Path,
    layer: str | None = None,
    crs: Any = None,
    *,
    encoding: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    columns: ColumnMapping | None = None,
    land_use_scheme: str = "auto",
    industry_scheme: str = "auto",
) -> IngestReport:
    """Report on a parcel layer without raising for problems the report can hold.

    Duplicate or missing ids, a missing ``parcel_id`` column, wrong or invalid geometries,
    unreadable values and coordinates that do not fit the CRS are listed in
    :attr:`IngestReport.problems`. A file that cannot be read at all — not found, wrong format,
    ambiguous encoding, no CRS, several layers and none chosen — still raises.
    """
    return _ingest(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        parcels=True,
        geometry_types=POLYGONAL,
        drop_empty=False,
        repair_tolerance=DEFAULT_REPAIR_TOLERANCE,
        limits=limits,
        columns=columns,
        land_use_scheme=land_use_scheme,
        industry_scheme=industry_scheme,
    ).report


@dataclass(frozen=True)
class LayerInfo:
    """One layer of a file: its name, geometry type, feature count and what it most likely holds.

    ``role`` is ``parcels`` (polygons: a parcel layer can be read from it), ``lines`` (roads),
    ``points`` (demand points or facilities) or ``table`` (no geometry).
    """

    name: str
    geometry_type: str
    features: int
    role: str

    @property
    def role_zh(self) -> str:
        """The role as a Chinese reader would name it."""
        return LAYER_ROLES_ZH[self.role]


LAYER_ROLES_ZH = {
    "parcels": "面图层，可作地块图层 polygons: a parcel layer",
    "lines": "线图层（如道路）lines: roads, not parcels",
    "points": "点图层（如需求点、设施）points: demand or facilities, not parcels",
    "table": "无几何的表 a table without geometry",
}


def layer_role(geometry_type: str | None) -> str:
    """Return the role of a layer from its geometry type (see :class:`LayerInfo`)."""
    kind = (geometry_type or "").upper().replace(" ", "")
    if not kind:
        return "table"
    if "POLYGON" in kind or "SURFACE" in kind:
        return "parcels"
    if "LINE" in kind or "CURVE" in kind:
        return "lines"
    if "POINT" in kind:
        return "points"
    return "parcels" if kind in ("GEOMETRY", "UNKNOWN") else "table"


def list_layers(path: str | Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[LayerInfo, ...]:
    """List the layers of a file: geometry type, feature count and role (no attributes read).

    A single-layer format (Shapefile, GeoJSON, GeoParquet, FlatGeobuf) gives one entry.
    """
    with gdal_options(), open_source(path, None, limits) as source:
        if source.format == "parquet":
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(source.path).metadata.num_rows
            return (LayerInfo(source.path.stem, "Unknown", int(rows), "parcels"),)
        opts = dict(_GPKG_OPEN_OPTIONS) if source.format == "gpkg" else {}
        try:
            listed = [(str(n), str(t) if t else "") for n, t in pyogrio.list_layers(source.gdal_path)]
            if len(listed) > limits.max_layers:
                raise UnsupportedFormatError(
                    f"{source.original.name}: 图层过多（{len(listed)} > {limits.max_layers}）"
                    " / too many layers"
                )
            out = []
            for name, gtype in listed:
                info = pyogrio.read_info(source.gdal_path, layer=name, **opts)
                count = int(info.get("features") or 0)
                out.append(LayerInfo(name, gtype or "None", count, layer_role(gtype)))
        except (DataSourceError, DataLayerError) as error:
            raise UnsupportedFormatError(
                f"{source.original.name}: 无法读取图层列表 / cannot list the layers ({error})"
            ) from None
        if source.format == "shapefile" and out:
            out = [LayerInfo(source.path.stem, out[0].geometry_type, out[0].features, out[0].role)]
        return tuple(out)


def inspect_layer(
    path: str | Path,
    layer: str | None = None,
    crs: Any = None,
    *,
    encoding: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> IngestReport:
    """Report on a layer that is not a parcel layer (roads, demand, facilities): no parcel schema.

    Format, encoding, CRS and geometry are checked as for parcels; any geometry type is accepted.
    """
    return _ingest(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        parcels=False,
        geometry_types=None,
        drop_empty=False,
        repair_tolerance=DEFAULT_REPAIR_TOLERANCE,
        limits=limits,
    ).report


# re-exported for callers that catch by class
__all__ += [
    "CRSError",
    "EncodingError",
    "GeometryError",
    "NotFoundError",
    "SchemaError",
    "UnsupportedFormatError",
]
