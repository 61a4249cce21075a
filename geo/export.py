"""Writing an analysis to disk: parcels.gpkg, parcels.csv, report.xlsx, indicators.json, data_issues.csv.

- ``parcels.gpkg`` layer ``parcels``: every parcel, original attributes under canonical names, the
  computed columns of contract §3 (and ``rs_<name>_*`` when rasters were given).
- ``parcels.csv``: the same rows without geometry, UTF-8 with BOM and Chinese headers for Excel;
  dates as 2026-06-30, 亩 with two decimals, booleans as 是/否.
- ``report.xlsx``: 汇总 (counts, 亩 and fees by idle status and by reason), one sheet per idle status
  that occurs, 低效用地, 指标, 规则参数 (every preset value with its kind — 国家 / 地方 / 假定 — and
  source), 数据问题; low-efficiency reasons in Chinese with their codes in the next column; every
  table sheet has an autofilter.
- ``indicators.json``: exactly the keys of contract §5.
- ``data_issues.csv``: parcel id, column, value, problem (UTF-8 with BOM).
- ``summary.json``: the console summary as data (for the service and the briefing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo.errors import InputError
from geo.rules.idle import STATUSES
from geo.rules.presets import REASON_CODES, SOURCE_KIND_ZH, Exemption
from geo.schema import LABELS_ZH
from geo.vocab import IDLE_STATUS_LABELS_ZH as STATUS_LABELS_ZH
from geo.vocab import INDICATOR_LABELS_ZH, RATE_KEYS, ZONE_TYPE_ZH
from geo.vocab import LOW_EFF_REASON_LABELS_ZH as REASON_LABELS_ZH

if TYPE_CHECKING:
    from geo.analysis import AnalysisResult

#: Chinese headers of the computed columns (the canonical ones come from geo.schema.LABELS_ZH)
COMPUTED_LABELS_ZH: dict[str, str] = {
    "area_m2": "面积（m²）",
    "area_mu": "面积（亩）",
    "far": "容积率",
    "building_coef": "建筑系数",
    "admin_ratio": "行政办公及生活服务设施用地比重",
    "green_ratio": "绿地率",
    "invest_intensity": "投资强度（万元/公顷）",
    "tax_per_mu": "亩均税收（万元/亩）",
    "idle_status": "闲置状态",
    "idle_status_zh": "闲置状态说明",
    "idle_basis": "闲置认定依据",
    "idle_fee_wan": "土地闲置费（万元）",
    "low_efficiency": "是否低效用地",
    "low_eff_reasons": "低效原因",
    "low_eff_reason_codes": "低效原因代码",
    "low_eff_not_evaluated": "未评价规则",
    "mujun_score": "亩均效益得分",
    "mujun_class": "亩均效益分类",
    "mujun_group": "亩均评价组别",
    "far_min": "容积率下限",
    "zone_category": "规程地类",
    "supply_category": "供应状态",
    "land_use_source": "现状用途（原代码）",
    "planned_use_source": "规划用途（原代码）",
}
RS_STAT_ZH = {
    "mean": "均值",
    "min": "最小值",
    "max": "最大值",
    "std": "标准差",
    "count": "有效像元数",
    "coverage": "有效覆盖率",
}
SHEET_NAMES = {
    "summary": "汇总",
    "low": "低效用地",
    "indicators": "指标",
    "preset": "规则参数",
    "issues": "数据问题",
    "columns": "字段映射",
}
#: the kinds of data_issues rows as the 汇总 sheet names them (geo.analysis.ISSUE_KINDS)
ISSUE_KIND_LABELS_ZH = {
    "unreadable": "无法读取的值（不参与认定）",
    "geometry": "修复或剔除的几何",
    "reading": "按台账写法或旧代码表读取的值",
    "check": "数据检查发现的问题（不可能或不合理的值）",
}
ISSUE_HEADERS_ZH = {"parcel_id": "地块编号", "column": "字段", "value": "值", "problem": "问题"}
#: columns listed in the report's parcel sheets (every column is in parcels.csv)
REPORT_PARCEL_COLUMNS = (
    "parcel_id",
    "name",
    "enterprise",
    "land_use",
    "supply_type",
    "area_mu",
    "idle_status",
    "idle_basis",
    "idle_fee_wan",
    "low_efficiency",
    "low_eff_reasons",
    "low_eff_not_evaluated",
    "far",
    "far_min",
    "tax_per_mu",
    "mujun_class",
    "agreed_start_date",
    "actual_start_date",
    "suspended_since",
)
#: rows an Excel sheet holds below its header
EXCEL_MAX_ROWS = 1_048_575
#: parcels listed per parcel sheet of report.xlsx; beyond it a last row points to parcels.csv
REPORT_SHEET_ROWS = 50_000
_DECIMALS = {"area_mu": 2, "area_m2": 2, "idle_fee_wan": 2, "far": 2, "far_min": 2, "mujun_score": 2}


def header_zh(column: str) -> str:
    """Return the Chinese header of a column (canonical, computed or ``rs_<name>_<stat>``)."""
    if column in COMPUTED_LABELS_ZH:
        return COMPUTED_LABELS_ZH[column]
    if column in LABELS_ZH:
        return LABELS_ZH[column]
    if column.startswith("rs_"):
        name, _, stat = column[3:].rpartition("_")
        if stat in RS_STAT_ZH:
            return f"遥感{name}{RS_STAT_ZH[stat]}"
    return column


def reason_text_zh(codes: str | None, exemptions: Mapping[str, Exemption] | None = None) -> str:
    """``far_below_min;exempt:above_scale`` → ``容积率低于行业下限；豁免（可以不予认定）：规上企业``.

    A discretionary exemption ("可以不予认定") says so: waiving the reason is the authority's choice.
    """
    if not codes:
        return ""
    parts = []
    for token in str(codes).split(";"):
        name = token.removeprefix("exempt:")
        if token.startswith("exempt:"):
            exemption = (exemptions or {}).get(name)
            label = (exemption.label_zh or name) if exemption is not None else name
            word = "豁免（可以不予认定）" if exemption is not None and exemption.discretionary else "豁免"
            parts.append(f"{word}：{label}")
        else:
            parts.append(REASON_LABELS_ZH.get(token, token))
    return "；".join(parts)


def table_for_people(frame: pd.DataFrame, exemptions: Mapping[str, Exemption] | None = None) -> pd.DataFrame:
    """Columns as officials read them: dates as text, booleans 是/否, rounded figures, Chinese status.

    ``low_eff_reasons`` becomes Chinese text, its codes kept in ``low_eff_reason_codes`` beside it.
    """
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if column == "geometry" or values.dtype.name == "geometry":
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)
        elif pd.api.types.is_bool_dtype(values) or str(values.dtype) == "boolean":
            b = values.astype("boolean")
            out[column] = pd.Series(
                np.where(b.fillna(False), "是", "否"), index=frame.index, dtype=object
            ).where(b.notna(), None)
        elif column in _DECIMALS and pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype("float64").round(_DECIMALS[column])
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.round(4)
        else:
            out[column] = values
        if column == "idle_status":
            out["idle_status_zh"] = values.map(STATUS_LABELS_ZH)
        if column == "low_eff_reasons":
            texts = {v: reason_text_zh(v, exemptions) for v in values.dropna().unique()}
            out[column] = values.map(texts).astype(object).where(values.notna(), None)
            out["low_eff_reason_codes"] = values
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_gpkg(result: AnalysisResult, path: Path) -> None:
    """Write parcels.gpkg, layer ``parcels`` (nullable booleans stored as 0/1/null integers)."""
    gdf = result.parcels.copy()
    for column in gdf.columns:
        if str(gdf[column].dtype) == "boolean":
            gdf[column] = gdf[column].astype("Int8")
    gdf.to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")


def write_csv(result: AnalysisResult, path: Path) -> None:
    """parcels.csv: UTF-8 with BOM, Chinese headers."""
    people = table_for_people(result.parcels, result.preset_used.rules.low_efficiency.exemptions)
    people.columns = [header_zh(c) for c in people.columns]
    people.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write_indicators(result: AnalysisResult, path: Path) -> None:
    """indicators.json with exactly the keys of contract §5."""
    path.write_text(
        json.dumps(_jsonable(result.indicators), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def write_issues(result: AnalysisResult, path: Path) -> None:
    """data_issues.csv (UTF-8 with BOM, Chinese headers)."""
    result.data_issues.rename(columns=ISSUE_HEADERS_ZH).to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
    )


# ------------------------------------------------------------------------------------------ xlsx

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


def _sheet(
    wb: Workbook,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    widths: list[float] | None = None,
    *,
    limit: int = EXCEL_MAX_ROWS - 1,
    clean: bool = True,
    autofilter: bool = True,
) -> None:
    """Append a write-only sheet: bold shaded header, frozen first row, column widths, an autofilter.

    ``clean=False`` skips the per-value clean-up for rows already made of plain Python values.
    """
    ws = wb.create_sheet(title)
    if autofilter and header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{min(len(rows), limit) + 1}"
    if widths is None:
        widths = []
        for i, head in enumerate(header):
            sample = [_display_width(str(r[i])) for r in rows[:200] if i < len(r) and r[i] is not None]
            widths.append(min(max([_display_width(head), *sample, 6]) + 2, 60))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    head_cells = []
    for text in header:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        head_cells.append(cell)
    ws.append(head_cells)
    for row in rows[:limit]:
        ws.append([_cell(v) for v in row] if clean else row)
    if len(rows) > limit:
        ws.append(
            [f"……另有 {len(rows) - limit:,} 宗未列出，完整清单见 parcels.csv (truncated; see parcels.csv)"]
        )


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _parcel_rows(
    frame: pd.DataFrame, exemptions: Mapping[str, Exemption] | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Return the header and rows of a parcel sheet (the full table is parcels.csv)."""
    columns = [c for c in REPORT_PARCEL_COLUMNS if c in frame.columns]
    people = table_for_people(frame[columns], exemptions)
    header = [header_zh(c) for c in people.columns]
    rows = people.astype(object).where(people.notna(), None).values.tolist()
    return header, rows


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def write_report(result: AnalysisResult, path: Path) -> None:
    """report.xlsx: summary, a sheet per idle status, low-efficiency parcels, indicators, preset, issues."""
    wb = Workbook(write_only=True)
    exemptions = result.preset_used.rules.low_efficiency.exemptions
    _sheet(
        wb,
        SHEET_NAMES["summary"],
        ["项目", "数值", "面积（亩）", "金额（万元）"],
        _idle_summary_rows(result) + _low_summary_rows(result) + _other_summary_rows(result),
        [44, 40, 14, 18],
        autofilter=False,
    )
    _write_parcel_sheets(wb, result.parcels, exemptions)
    _sheet(
        wb,
        SHEET_NAMES["indicators"],
        ["指标代码", "指标", "数值", "原始值"],
        _indicator_rows(result),
        [34, 40, 16, 22],
    )

    preset_rows = _preset_rows(result)
    _sheet(
        wb,
        SHEET_NAMES["preset"],
        ["参数", "取值", "类别（国家/地方/假定/未启用）", "来源 / 说明"],
        preset_rows,
        [52, 40, 12, 90],
    )

    issues = result.data_issues
    issue_rows = issues.astype(object).where(issues.notna(), None).values.tolist()
    _sheet(
        wb, SHEET_NAMES["issues"], [ISSUE_HEADERS_ZH[c] for c in issues.columns], issue_rows, [16, 22, 18, 80]
    )
    column_rows = _column_rows(result.summary.get("columns") or {})
    if column_rows:
        _sheet(
            wb,
            SHEET_NAMES["columns"],
            ["项目", "文件中", "标准字段 / 取值", "说明"],
            column_rows,
            [22, 30, 30, 50],
        )
    wb.save(path)


def _idle_summary_rows(result: AnalysisResult) -> list[list[Any]]:
    """Return the summary rows on the evaluation (date, preset, parcels) and the parcels by idle status."""
    s = result.summary
    rows: list[list[Any]] = [
        ["评价日期", s["as_of"], None, None],
        ["规则预设", f"{s['preset']}（{result.preset_used.rules.title}）", None, None],
        ["是否暂行", "是（暂定，待核实）" if s["preset_provisional"] else "否", None, None],
        ["亩均效益方案", f"{result.preset_used.mujun.name}（{result.preset_used.mujun.title}）", None, None],
        ["地块总数 / 总面积（亩）", s["parcels"], round(s["area_mu"], 2), None],
        [None, None, None, None],
        ["闲置状态", "宗数", "面积（亩）", "土地闲置费（万元）"],
    ]
    fees = result.parcels.groupby("idle_status")["idle_fee_wan"].sum(min_count=1)
    for status in STATUSES:
        item = s["idle_status"][status]
        fee = fees.get(status)
        rows.append(
            [
                f"{STATUS_LABELS_ZH[status]}（{status}）",
                item["count"],
                round(item["area_mu"], 2),
                None if fee is None or pd.isna(fee) else round(float(fee), 2),
            ]
        )
    rows.append(
        ["闲置土地合计", s["idle"]["count"], round(s["idle"]["area_mu"], 2), round(s["idle"]["fee_wan"], 2)]
    )
    return rows


def _low_summary_rows(result: AnalysisResult) -> list[list[Any]]:
    """Return the summary rows counting parcels by low-efficiency finding."""
    s = result.summary
    rows: list[list[Any]] = []
    rows += [[None] * 4, ["低效用地认定", "宗数", "面积（亩）", None]]
    lows = s["low_efficiency"]
    undecided = {
        "count": lows["null"]["count"] - lows["not_applicable"]["count"],
        "area_mu": lows["null"]["area_mu"] - lows["not_applicable"]["area_mu"],
    }
    for label, item in (
        ("低效", lows["true"]),
        ("非低效", lows["false"]),
        ("无法判定（有规则未评价）", undecided),
        ("不适用（无适用规则，如未供地）", lows["not_applicable"]),
    ):
        rows.append([label, item["count"], round(item["area_mu"], 2), None])
    return rows


def _other_summary_rows(result: AnalysisResult) -> list[list[Any]]:
    """Return the summary rows on rules out of scope, reasons, 亩均效益 classes and data issues."""
    s = result.summary
    rows: list[list[Any]] = []
    exemptions = result.preset_used.rules.low_efficiency.exemptions
    if s.get("rules_out_of_scope"):
        rows += [[None] * 4, ["不在评价范围的规则（输入缺失，全图层不评价）", "原因", None, None]]
        for item in s["rules_out_of_scope"]:
            label = REASON_LABELS_ZH.get(
                item["rule"], "中止开发建设闲置" if item["rule"] == "idle_stalled" else ""
            )
            rows.append([f"{label}（{item['rule']}）", item["why_zh"], None, None])
    rows += [[None] * 4, ["低效原因 / 豁免", "宗数", "面积（亩）", None]]
    for token, item in s["reasons"].items():
        label = reason_text_zh(token, exemptions)
        rows.append([f"{label}（{token}）", item["count"], round(item["area_mu"], 2), None])
    rows += [[None] * 4, ["亩均效益分类", "企业宗数", None, None]]
    for letter, count in s["mujun_classes"].items():
        rows.append([letter, count, None, None])
    rows += [[None] * 4, ["数据问题（条，见“数据问题”表）", s["data_issues"], None, None]]
    for kind, label in ISSUE_KIND_LABELS_ZH.items():
        if kind in s.get("data_issues_by_kind", {}):
            rows.append([f"  {label}", s["data_issues_by_kind"][kind], None, None])
    for note in s.get("raster_notes", []):
        rows.append(["遥感栅格说明", note, None, None])
    return rows


def _write_parcel_sheets(wb: Workbook, parcels: pd.DataFrame, exemptions: Mapping[str, Exemption]) -> None:
    """One sheet per idle status that has parcels, and one of the low-efficiency parcels."""
    for status in STATUSES:
        subset = parcels[parcels["idle_status"] == status]
        if subset.empty:
            continue
        header, body = _parcel_rows(subset, exemptions)
        _sheet(wb, STATUS_LABELS_ZH[status][:31], header, body, limit=REPORT_SHEET_ROWS, clean=False)
    low = parcels[parcels["low_efficiency"].fillna(False).astype(bool)]
    if not low.empty:
        header, body = _parcel_rows(low, exemptions)
        _sheet(wb, SHEET_NAMES["low"], header, body, limit=REPORT_SHEET_ROWS, clean=False)


def _indicator_rows(result: AnalysisResult) -> list[list[Any]]:
    """Return the indicator sheet: each indicator with its label and shown value, then the details."""
    ind = result.indicators
    ind_rows: list[list[Any]] = [
        [
            "zone_type",
            INDICATOR_LABELS_ZH["zone_type"],
            ZONE_TYPE_ZH.get(ind["zone_type"] or "", "—"),
            ind["zone_type"],
        ]
    ]
    for key, value in ind.items():
        if key in ("zone_type", "potential"):
            continue
        shown = _fmt_pct(value) if key in RATE_KEYS else ("—" if value is None else round(value, 4))
        ind_rows.append([key, INDICATOR_LABELS_ZH.get(key, key), shown, value])
    for key, value in ind["potential"].items():
        shown = "—" if value is None else round(value, 2)
        ind_rows.append([f"potential.{key}", INDICATOR_LABELS_ZH.get(key, key), shown, value])
    details = result.indicator_details
    if details:
        ind_rows.append([None] * 4)
        ind_rows.append(["规程地类面积（公顷）", None, None, None])
        for key, value in details.get("areas_ha", {}).items():
            ind_rows.append([key, "面积（公顷）", round(value, 4), value])
        for key, value in details.get("standardised_scores", {}).items():
            ind_rows.append([f"S.{key}", "标准化分值", "—" if value is None else round(value, 2), value])
        for key, value in details.get("parcels_lacking_values", {}).items():
            ind_rows.append([f"lacking.{key}", "缺值地块数（按0计）", value, value])
    return ind_rows


#: how a column was matched, as the 字段映射 sheet says it
MATCH_HOW_ZH = {
    "mapping": "列映射文件",
    "name": "标准名",
    "alias": "别名",
    "truncated alias": "截断别名（DBF 10 字节）",
}


def _column_rows(columns: dict[str, Any]) -> list[list[Any]]:
    """Rows of the 字段映射 sheet: the mapping file used, every column matched, value maps, absences.

    With these rows (contract §2.1) the run can be reproduced: the same file, the same mapping.
    """
    rows: list[list[Any]] = []
    mapping = columns.get("mapping")
    if mapping:
        rows.append(["列映射文件", mapping.get("source"), None, "analyze --columns"])
        rows.append(["land_use_scheme", None, mapping.get("land_use_scheme"), "现状/规划用途代码的分类"])
        rows.append(["industry_scheme", None, mapping.get("industry_scheme"), "行业代码的版本"])
        for canonical, table in (mapping.get("values") or {}).items():
            for raw, value in table.items():
                rows.append([f"值映射 {canonical}", raw, value, "列映射文件 values"])
    else:
        rows.append(["列映射文件", None, None, "未使用（按标准名和别名匹配）"])
    for item in columns.get("matched", []):
        rows.append(["字段", item["column"], item["canonical"], MATCH_HOW_ZH.get(item["how"], item["how"])])
    for item in columns.get("values_mapped", []):
        rows.append(
            [f"已替换的值 {item['column']}", item["value"], item["read_as"], f"{item['count']} 个值 values"]
        )
    missing = columns.get("missing") or []
    if missing:
        rows.append(["图层中没有的标准字段", None, "、".join(missing), "依赖这些字段的规则见汇总表"])
    return rows


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out.append((prefix, value))


def _preset_rows(result: AnalysisResult) -> list[list[Any]]:
    """规则参数: every value of the preset with its kind (国家 / 地方 / 假定) and its source.

    A value's provenance is the longest provenance key of the preset that is a run of its dotted path; a
    value without one is an assumption ("未注明来源"); a parameter of a disabled rule is shown as 未启用.
    The 亩均 scheme's values take the scheme's kind.
    Sources cite documents, never panhuo's own files.
    """
    preset = result.preset_used
    rules = preset.rules
    kind_zh = SOURCE_KIND_ZH
    where = "内置预设" if preset.source == preset.name else f"用户规则文件 {Path(preset.source).name}"
    rows: list[list[Any]] = [
        ["预设名称", preset.name, "", rules.title],
        ["预设来源", where, "", "暂行预设，数值待核实" if rules.provisional else ""],
        ["亩均效益方案", preset.mujun.name, kind_zh[preset.mujun.source_kind], preset.mujun.title],
    ]
    flat: list[tuple[str, Any]] = []
    document = rules.model_dump(exclude={"provenance", "name", "title", "extends", "provisional"})
    _flatten("", document, flat)
    disabled = {
        f"low_efficiency.rules.{code}"
        for code in REASON_CODES
        if not getattr(rules.low_efficiency.rules, code).enabled
    }
    for key, value in flat:
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
        origin = rules.provenance_of(key)
        kind = kind_zh[origin.kind] if origin is not None else kind_zh["assumption"]
        source = origin.source if origin is not None else "未注明来源（按假定）"
        rule = ".".join(key.split(".")[:3])
        if rule in disabled and not key.endswith(".enabled"):
            # an inert value of a rule that is off is no criterion of any kind
            kind, source = "未启用", f"规则未启用：{source}"
        rows.append([key, shown, kind, source])
    mujun_flat: list[tuple[str, Any]] = []
    _flatten(
        "mujun", preset.mujun.model_dump(exclude={"provenance", "name", "title", "source_kind"}), mujun_flat
    )
    notes = "；".join(preset.mujun.provenance.values())
    for key, value in mujun_flat:
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
        rows.append([key, shown, kind_zh[preset.mujun.source_kind], f"{preset.mujun.title}：{notes}"])
    return rows


def write_outputs(result: AnalysisResult, out_dir: str | Path) -> dict[str, Path]:
    """Write every output file of ``panhuo analyze`` into ``out_dir`` (created if needed).

    Returns
    -------
    dict
        File role → path: ``parcels_gpkg``, ``parcels_csv``, ``report_xlsx``, ``indicators_json``,
        ``data_issues_csv``, ``summary_json``.

    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"--out {out}: 无法创建输出目录 (cannot create the output directory): {error.strerror}"
        ) from None
    paths = {
        "parcels_gpkg": out / "parcels.gpkg",
        "parcels_csv": out / "parcels.csv",
        "report_xlsx": out / "report.xlsx",
        "indicators_json": out / "indicators.json",
        "data_issues_csv": out / "data_issues.csv",
        "summary_json": out / "summary.json",
    }
    if paths["parcels_gpkg"].exists():
        paths["parcels_gpkg"].unlink()
    write_gpkg(result, paths["parcels_gpkg"])
    write_csv(result, paths["parcels_csv"])
    write_report(result, paths["report_xlsx"])
    write_indicators(result, paths["indicators_json"])
    write_issues(result, paths["data_issues_csv"])
    summary = {**result.summary, "indicator_details": result.indicator_details}
    paths["summary_json"].write_text(
        json.dumps(_jsonable(summary), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return paths
