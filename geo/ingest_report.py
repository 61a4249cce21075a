"""The ingest report: what reading a layer found and did, as a frozen value.

:class:`IngestReport` is returned by :func:`geo.io.read_parcels`, :func:`geo.io.read_layer` and
:func:`geo.io.inspect_path`. ``to_dict()`` gives plain JSON types (for ``--json`` and the service);
``to_text()`` renders the bilingual report ``panhuo inspect`` prints.

Row numbers in the report are 1-based feature numbers in the order the file stores them (the first
feature is row 1), the way a user counts rows in a GIS attribute table.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: columns of the data_issues table (contract §2.1)
ISSUE_COLUMNS = ("parcel_id", "column", "value", "problem")
#: rows (and parcel ids) of each value reading listed in ``to_dict()``; ``count`` gives them all
READING_ROWS_IN_JSON = 200
#: how many items a text rendering lists before saying "… and N more" (the JSON has all of them)
TEXT_LIST_LIMIT = 20


@dataclass(frozen=True)
class ColumnMatch:
    """An input column mapped to a canonical one.

    ``how`` is ``mapping`` (the column mapping file named it; ``alias`` then holds the file's name),
    ``name``, ``alias`` or ``truncated alias``.
    """

    source: str
    canonical: str
    how: str
    alias: str = ""


@dataclass(frozen=True)
class ValueMapped:
    """Values replaced by the column mapping's value map before coercion (contract §2.1)."""

    column: str
    raw: str
    canonical: str
    count: int


@dataclass(frozen=True)
class Suggestion:
    """The canonical column an unmatched column most likely is, and why (contract §2.1).

    ``canonical`` is ``None`` when nothing in the name or the values points to a canonical column.
    """

    column: str
    canonical: str | None
    why: str


@dataclass(frozen=True)
class ColumnCoercion:
    """How one canonical column was coerced to its kind."""

    column: str
    kind: str
    source_dtype: str
    converted: int
    missing: int
    unreadable: int


@dataclass(frozen=True)
class UnreadableValue:
    """A value that could not be read as its column's kind (it became missing)."""

    column: str
    row: int
    parcel_id: str | None
    raw: str
    expected: str
    #: why it could not be read, where more specific than "not a <kind>" (e.g. a month-only date)
    problem: str = ""

    @property
    def problem_zh(self) -> str:
        """The data-issue text: what the value should have been and, if known, why it is not."""
        return f"无法读取为{self.expected}" + (f"：{self.problem}" if self.problem else "")


@dataclass(frozen=True)
class ValueReading:
    """Values read through an everyday ledger spelling or a code-list translation (contract §2.1).

    ``raw`` as written, ``read_as`` the value stored, ``note`` why; ``rows`` (1-based) and
    ``parcel_ids`` of every row holding it.
    """

    column: str
    raw: str
    read_as: str
    note: str
    rows: tuple[int, ...]
    parcel_ids: tuple[str | None, ...]


@dataclass(frozen=True)
class Repair:
    """One geometry repaired with ``shapely.make_valid`` (polygonal parts kept)."""

    row: int
    parcel_id: str | None
    reason: str
    area_before_m2: float
    area_after_m2: float

    @property
    def area_change_m2(self) -> float:
        """Area after minus area before, in the layer's units squared."""
        return self.area_after_m2 - self.area_before_m2

    @property
    def loss_ratio(self) -> float:
        """Share of the original area lost (0 when the area grew; 1 when nothing is left)."""
        if self.area_before_m2 <= 0:
            return 0.0 if self.area_after_m2 > 0 else 1.0
        return max(0.0, (self.area_before_m2 - self.area_after_m2) / self.area_before_m2)


@dataclass(frozen=True)
class RowRef:
    """A row of the layer, by number and id, with what is wrong with it."""

    row: int
    parcel_id: str | None
    detail: str = ""


@dataclass(frozen=True)
class DuplicateId:
    """A parcel id used by more than one row."""

    parcel_id: str
    rows: tuple[int, ...]


@dataclass(frozen=True)
class Problem:
    """A problem found while reading; ``severity`` is ``error`` (blocks analysis) or ``warning``."""

    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class GeometrySummary:
    """What the geometry checks found and did."""

    geometry_types: dict[str, int] = field(default_factory=dict)
    repaired: tuple[Repair, ...] = ()
    repair_tolerance: float = 0.01
    null: tuple[RowRef, ...] = ()
    empty: tuple[RowRef, ...] = ()
    dropped: tuple[RowRef, ...] = ()
    wrong_type: tuple[RowRef, ...] = ()
    non_finite: tuple[RowRef, ...] = ()
    collections_reduced: tuple[RowRef, ...] = ()
    multipart: int = 0
    z_dropped: int = 0
    m_dropped: int = 0

    @property
    def repaired_count(self) -> int:
        """How many geometries were repaired."""
        return len(self.repaired)

    @property
    def area_change_total_m2(self) -> float:
        """Sum of the area changes of the repaired geometries."""
        return float(sum(r.area_change_m2 for r in self.repaired))

    @property
    def over_tolerance(self) -> tuple[Repair, ...]:
        """Repairs that lost more than ``repair_tolerance`` of the parcel's area."""
        return tuple(r for r in self.repaired if r.loss_ratio > self.repair_tolerance)


@dataclass(frozen=True)
class IngestReport:
    """Everything :mod:`geo.io` found and did while reading one layer (see the module docstring)."""

    path: str
    format: str
    driver: str
    layer: str | None
    layers: tuple[str, ...]
    feature_count: int
    member: str | None = None
    encoding: str | None = None
    encoding_how: str | None = None
    crs_epsg: int | None = None
    crs_name: str | None = None
    crs_how: str | None = None
    source_crs: str | None = None
    reprojected_from: str | None = None
    crs_suggestion: str = ""
    columns_matched: tuple[ColumnMatch, ...] = ()
    columns_unmatched: tuple[str, ...] = ()
    columns_missing: tuple[str, ...] = ()
    #: the column mapping used (:meth:`geo.columns.ColumnMapping.to_dict`), ``None`` without one
    column_mapping: dict[str, Any] | None = None
    values_mapped: tuple[ValueMapped, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    geometry: GeometrySummary = field(default_factory=GeometrySummary)
    coercions: tuple[ColumnCoercion, ...] = ()
    unreadable: tuple[UnreadableValue, ...] = ()
    readings: tuple[ValueReading, ...] = ()
    #: code column → how its code list was decided (geo.codes), e.g. "land_use 按 三调工作分类 读取…"
    code_schemes: dict[str, str] = field(default_factory=dict)
    duplicate_ids: tuple[DuplicateId, ...] = ()
    missing_ids: tuple[RowRef, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing blocks analysis (no problem of severity ``error``)."""
        return not any(p.severity == "error" for p in self.problems)

    def data_issues(self) -> pd.DataFrame:
        """Return what reading did to single parcels as ``data_issues`` rows (contract §2.1).

        Columns ``parcel_id, column, value, problem`` and ``kind``: ``unreadable`` (a value that
        could not be read, set to missing), ``geometry`` (a geometry repaired, reduced or dropped),
        ``reading`` (a value read from an everyday ledger spelling or translated from another code
        list). One row per parcel and value.
        """
        rows: list[tuple[Any, ...]] = []
        for u in self.unreadable:
            rows.append((u.parcel_id, u.column, u.raw, u.problem_zh, "unreadable"))
        g = self.geometry
        for rep in g.repaired:
            rows.append(
                (
                    rep.parcel_id,
                    "geometry",
                    rep.reason,
                    f"几何无效（{rep.reason}），已用 make_valid 修复：面积 {rep.area_before_m2:,.2f} → "
                    f"{rep.area_after_m2:,.2f} m²（{rep.area_change_m2:+,.2f}）",
                    "geometry",
                )
            )
        for ref in g.collections_reduced:
            rows.append((ref.parcel_id, "geometry", ref.detail, "几何集合仅保留面部分", "geometry"))
        for ref in g.dropped:
            rows.append(
                (
                    ref.parcel_id,
                    "geometry",
                    ref.detail,
                    "几何为空（NULL 或 EMPTY），按要求剔除，未参与分析",
                    "geometry",
                )
            )
        frames = [pd.DataFrame(rows, columns=[*ISSUE_COLUMNS, "kind"], dtype=object)]
        for x in self.readings:
            frames.append(
                pd.DataFrame(
                    {
                        "parcel_id": list(x.parcel_ids),
                        "column": x.column,
                        "value": x.raw,
                        "problem": f"按“{x.read_as}”读取：{x.note}",
                        "kind": "reading",
                    },
                    dtype=object,
                )
            )
        return pd.concat(frames, ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; derived figures (repair counts, area change) included."""
        data = _plain(dataclasses.asdict(self))
        geometry = data["geometry"]
        geometry["repaired_count"] = self.geometry.repaired_count
        geometry["area_change_total_m2"] = self.geometry.area_change_total_m2
        geometry["over_tolerance"] = [r.parcel_id for r in self.geometry.over_tolerance]
        for item, repair in zip(geometry["repaired"], self.geometry.repaired, strict=True):
            item["area_change_m2"] = repair.area_change_m2
            item["loss_ratio"] = repair.loss_ratio
        for item in data["readings"]:
            # the full lists are in data_issues.csv; a ledger of 10⁵ rows of 挂牌出让 stays a small answer
            item["count"] = len(item["rows"])
            item["truncated"] = item["count"] > READING_ROWS_IN_JSON
            item["rows"] = item["rows"][:READING_ROWS_IN_JSON]
            item["parcel_ids"] = item["parcel_ids"][:READING_ROWS_IN_JSON]
        data["ok"] = self.ok
        return data

    def to_text(self) -> str:
        """Render the bilingual text report printed by ``panhuo inspect``."""
        return "\n".join(_render(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _ids(refs: tuple[Any, ...], limit: int = TEXT_LIST_LIMIT) -> str:
    shown = [f"{r.parcel_id if r.parcel_id is not None else '(无编号)'}（第{r.row}行）" for r in refs[:limit]]
    more = f" … 另有 {len(refs) - limit} 个 / and {len(refs) - limit} more" if len(refs) > limit else ""
    return "、".join(shown) + more


def _render_source(r: IngestReport) -> list[str]:
    """Render the file, format, layer, feature count, encoding and CRS."""
    lines = [f"文件 File: {r.path}" + (f"  (压缩包内 member: {r.member})" if r.member else "")]
    lines.append(f"格式 Format: {r.format}（GDAL 驱动 driver: {r.driver}）")
    layer_list = "、".join(r.layers) if r.layers else "—"
    lines.append(f"图层 Layer: {r.layer or '—'}（文件内图层 layers in file: {layer_list}）")
    lines.append(f"要素数 Features: {r.feature_count}")
    if r.encoding:
        lines.append(f"编码 Encoding: {r.encoding} — {r.encoding_how}")
    crs = f"EPSG:{r.crs_epsg} {r.crs_name}" if r.crs_epsg else (r.crs_name or "未知 unknown")
    lines.append(f"坐标系 CRS: {crs} — {r.crs_how or ''}")
    if r.source_crs and r.reprojected_from:
        lines.append(f"  已重投影 reprojected from {r.reprojected_from}")
    if r.crs_suggestion:
        lines.append(f"  提示 hint: {r.crs_suggestion}")
    return lines


def _render_columns(r: IngestReport) -> list[str]:
    """Render the matched, value-mapped, unmatched, suggested and absent columns."""
    lines: list[str] = []
    lines.append("字段匹配 Columns matched (输入 input → 标准 canonical):")
    for m in r.columns_matched:
        how = {
            "mapping": "列映射 mapping",
            "name": "标准名 name",
            "alias": "别名 alias",
            "truncated alias": "截断别名 truncated alias",
        }.get(m.how, m.how)
        extra = f"，对应 {m.alias}" if m.how == "truncated alias" else ""
        extra = f" {m.alias}" if m.how == "mapping" and m.alias else extra
        lines.append(f"  {m.source} → {m.canonical}（{how}{extra}）")
    for v in r.values_mapped:
        lines.append(f"  值映射 value map {v.column}: {v.raw!r} → {v.canonical!r}（{v.count} 个 values）")
    if r.columns_unmatched:
        lines.append("未匹配字段（原名保留）Unmatched columns (kept): " + "、".join(r.columns_unmatched))
    if r.suggestions:
        lines.append("建议 Suggestions (未匹配字段 → 可能的标准字段 unmatched → likely canonical):")
        for sug in r.suggestions:
            lines.append(f"  {sug.column} → {sug.canonical or '?'} ({sug.why})")
    if r.columns_missing:
        lines.append("缺少的标准字段 Canonical columns absent: " + "、".join(r.columns_missing))
    return lines


def _render_geometry(r: IngestReport) -> list[str]:
    """Render the geometry types, repairs, reduced collections and NULL/empty/dropped ones."""
    lines: list[str] = []
    g = r.geometry
    types = "、".join(f"{k} {v}" for k, v in sorted(g.geometry_types.items())) or "—"
    lines.append(f"几何 Geometry: {types}；多部件 multi-part {g.multipart}")
    if g.z_dropped or g.m_dropped:
        lines.append(f"  已去除 Z 值 Z dropped: {g.z_dropped}；已去除 M 值 M dropped: {g.m_dropped}")
    if g.repaired:
        lines.append(
            f"  已修复无效几何 repaired with make_valid: {g.repaired_count} 个，"
            f"面积变化合计 total area change {g.area_change_total_m2:+,.2f} m²"
        )
        for rep in g.repaired[:TEXT_LIST_LIMIT]:
            lines.append(
                f"    {rep.parcel_id}（第{rep.row}行，{rep.reason}）："
                f"{rep.area_before_m2:,.2f} → {rep.area_after_m2:,.2f} m²（{rep.area_change_m2:+,.2f}）"
            )
        if g.repaired_count > TEXT_LIST_LIMIT:
            lines.append(f"    … 另有 {g.repaired_count - TEXT_LIST_LIMIT} 个 / and more (see --json)")
        if g.over_tolerance:
            lines.append(
                f"  修复后面积损失超过 {g.repair_tolerance:.0%} lost more than the tolerance: "
                + "、".join(str(x.parcel_id) for x in g.over_tolerance)
            )
    if g.collections_reduced:
        lines.append(
            "  几何集合仅保留面部分 GeometryCollection reduced to polygons: " + _ids(g.collections_reduced)
        )
    if g.null:
        lines.append("  空几何（NULL）NULL geometries: " + _ids(g.null))
    if g.empty:
        lines.append("  空几何（EMPTY）empty geometries: " + _ids(g.empty))
    if g.dropped:
        lines.append("  已按要求剔除 dropped on request: " + _ids(g.dropped))
    return lines


def _render_values(r: IngestReport) -> list[str]:
    """Render the type coercions, code lists, ledger spellings read and unreadable values."""
    lines: list[str] = []
    converted = [c for c in r.coercions if c.converted or c.unreadable]
    if converted:
        lines.append("类型转换 Types coerced (列 column：转换 converted / 无法读取 unreadable / 空 missing):")
        for c in converted:
            lines.append(f"  {c.column} [{c.kind}]：{c.converted} / {c.unreadable} / {c.missing}")
    for how in r.code_schemes.values():
        lines.append(f"代码表 Code list: {how}")
    if r.readings:
        count = sum(len(x.rows) for x in r.readings)
        lines.append(f"按台账写法读取的值 Values read from ledger spellings ({count}):")
        for x in r.readings[:TEXT_LIST_LIMIT]:
            lines.append(f"  {x.column}：{x.raw!r} → {x.read_as}（{len(x.rows)} 宗）— {x.note}")
        if len(r.readings) > TEXT_LIST_LIMIT:
            lines.append(f"  … 另有 {len(r.readings) - TEXT_LIST_LIMIT} 种 / and more (see --json)")
    if r.unreadable:
        lines.append(f"无法读取的值 Values that could not be read ({len(r.unreadable)}):")
        for u in r.unreadable[:TEXT_LIST_LIMIT]:
            lines.append(
                f"  {u.column}，地块 {u.parcel_id}（第{u.row}行）：{u.raw!r}，应为 expected {u.expected}"
                + (f"（{u.problem}）" if u.problem else "")
            )
        if len(r.unreadable) > TEXT_LIST_LIMIT:
            lines.append(f"  … 另有 {len(r.unreadable) - TEXT_LIST_LIMIT} 个 / and more (see --json)")
    return lines


def _render_ids(r: IngestReport) -> list[str]:
    """Render the duplicate and missing parcel ids."""
    lines: list[str] = []
    if r.duplicate_ids:
        lines.append("重复编号 Duplicate parcel ids:")
        for d in r.duplicate_ids[:TEXT_LIST_LIMIT]:
            lines.append(f"  {d.parcel_id}：第 {', '.join(str(x) for x in d.rows)} 行 rows")
    if r.missing_ids:
        lines.append(
            "缺少编号 Missing parcel ids: 第 "
            + ", ".join(str(x.row) for x in r.missing_ids[:50])
            + " 行 rows"
        )
    return lines


def _render_problems(r: IngestReport) -> list[str]:
    """Render every problem with its severity, or "none"."""
    lines: list[str] = []
    if r.problems:
        lines.append("问题 Problems:")
        for p in r.problems:
            tag = "错误 error" if p.severity == "error" else "警告 warning"
            lines.append(f"  [{tag}] {p.message}")
    else:
        lines.append("问题 Problems: 无 none")
    return lines


def _render(r: IngestReport) -> list[str]:
    """Render the text report section by section (what ``panhuo inspect`` prints)."""
    return [
        *_render_source(r),
        *_render_columns(r),
        *_render_geometry(r),
        *_render_values(r),
        *_render_ids(r),
        *_render_problems(r),
    ]
