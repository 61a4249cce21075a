"""Colours, Chinese labels and number formats shared by the web maps, briefings and charts.

Labels follow the wording of the rules they stand for (contract.md §3–§4, domain.md §1–§2), so the
map legend, the popup and the printed briefing say the same thing. Numbers are formatted the way
land officials write them: 亩 with two decimals, 万元 with thousands separators.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from geo.vocab import IDLE_CLASSES, IDLE_STATUS_LABELS_ZH, LOW_EFF_REASON_LABELS_ZH

#: idle_status → (label, colour), labels from geo.vocab; order = legend order (contract.md §3)
IDLE_STATUS: dict[str, tuple[str, str]] = {
    code: (IDLE_STATUS_LABELS_ZH[code], colour)
    for code, colour in (
        ("idle", "#e34a33"),
        ("idle_recoverable", "#7f0000"),
        ("idle_gov_caused", "#fdae6b"),
        ("idle_stalled", "#9e3cae"),
        ("unknown", "#969696"),
        ("not_idle", "#a1d99b"),
        ("not_applicable", "#e0e0e0"),
    )
}

#: idle statuses that count as idle land for selections and summaries
IDLE_CODES = IDLE_CLASSES

#: low_eff_reasons code → (label, colour) (contract.md §4)
LOW_EFF_REASONS: dict[str, tuple[str, str]] = {
    code: (LOW_EFF_REASON_LABELS_ZH[code], colour)
    for code, colour in (
        ("idle", "#e34a33"),
        ("far_below_min", "#08519c"),
        ("coef_below_min", "#3182bd"),
        ("admin_over_max", "#6baed6"),
        ("green_over_max", "#74c476"),
        ("invest_below_min", "#fd8d3c"),
        ("tax_below_avg_share", "#fdd0a2"),
        ("policy_eliminated", "#54278f"),
        ("dangerous_building", "#a50f15"),
        ("use_mismatch", "#8c6d31"),
        ("rs_unbuilt", "#636363"),
    )
}

#: mujun_class → (label, colour) (亩均效益 A–D, domain.md §5)
MUJUN_CLASS: dict[str, tuple[str, str]] = {
    "A": ("A类（优先发展）", "#1a9850"),
    "B": ("B类（鼓励提升）", "#91cf60"),
    "C": ("C类（帮扶转型）", "#fee08b"),
    "D": ("D类（倒逼整治）", "#a6611a"),
}
MUJUN_NONE = ("未评价（非企业用地或缺数据）", "#f0f0f0")

#: plan action → (label, colour); ``facility:<type>`` uses :data:`FACILITY_TYPES`
ACTIONS: dict[str, tuple[str, str]] = {
    "keep": ("保留现状", "#a8a8a8"),  # darker than the grey of the park's other parcels
    "upgrade": ("提质改造", "#92c5de"),
    "release": ("收回再供", "#d73027"),
    "facility": ("建设公共设施", "#1b9e77"),
    "green": ("改作绿地", "#66bd63"),
}

#: facility type → (label, colour); unknown types keep their own name and a palette colour
FACILITY_TYPES: dict[str, tuple[str, str]] = {
    "clinic": ("卫生服务站", "#e7298a"),
    "canteen": ("职工食堂", "#d95f02"),
    "daycare": ("托育/幼儿园", "#7570b3"),
    "kindergarten": ("幼儿园", "#7570b3"),
    "school": ("学校", "#66a61e"),
    "primary_school": ("小学", "#66a61e"),
    "middle_school": ("中学", "#1b7837"),
    "dormitory": ("人才公寓/宿舍", "#a6761d"),
    "bus_stop": ("公交站", "#1f78b4"),
    "fire_station": ("消防站", "#b2182b"),
    "park": ("公园绿地", "#33a02c"),
    "parking": ("停车场", "#6a3d9a"),
    "sports": ("体育设施", "#ff7f00"),
    "market": ("便民商业", "#b15928"),
}
_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")

#: popup / briefing table rows: column → Chinese label (contract.md §3 columns)
POPUP_FIELDS: dict[str, str] = {
    "parcel_id": "地块编号",
    "enterprise": "企业",
    "area_mu": "面积（亩）",
    "far": "容积率",
    "building_coef": "建筑系数",
    "tax_per_mu": "亩均税收（万元/亩）",
    "idle_status": "状态",
    "idle_basis": "依据",
    "idle_fee_wan": "闲置费（万元）",
    "low_eff_reasons": "低效原因",
}

MISSING = "—"


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT, pandas NA and blank strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def fmt_number(value: Any, digits: int = 2, unit: str = "") -> str:
    """Format a number with thousands separators and ``digits`` decimals; missing → "—"."""
    if is_missing(value):
        return MISSING
    try:
        text = f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)
    return f"{text} {unit}".rstrip()


def fmt_percent(value: Any, digits: int = 1) -> str:
    """Format a ratio (0.45) as a percentage (45.0%); missing → "—"."""
    if is_missing(value):
        return MISSING
    return f"{float(value) * 100:.{digits}f}%"


def idle_label(code: Any) -> str:
    """Chinese label of an idle_status code (unknown codes are shown as they are)."""
    if is_missing(code):
        return MISSING
    return IDLE_STATUS.get(str(code), (str(code), ""))[0]


def reason_codes(text: Any) -> list[str]:
    """Split a ``;``-joined low_eff_reasons value into codes (empty for missing)."""
    if is_missing(text):
        return []
    return [part.strip() for part in str(text).split(";") if part.strip()]


def reason_label(code: str) -> str:
    """Chinese label of one reason code; ``exempt:<why>`` becomes 豁免：<why>."""
    if code.startswith("exempt:"):
        return "豁免：" + code.split(":", 1)[1]
    return LOW_EFF_REASONS.get(code, (code, ""))[0]


def reasons_label(text: Any) -> str:
    """Chinese labels of a ``;``-joined reasons value, joined with 、; none → "—"."""
    codes = reason_codes(text)
    return "、".join(reason_label(c) for c in codes) if codes else MISSING


def primary_reason(text: Any) -> str | None:
    """Return the first non-exempt reason code, used to colour the low-efficiency layer."""
    for code in reason_codes(text):
        if not code.startswith("exempt:"):
            return code
    return None


def facility_style(ftype: str, index: int = 0) -> tuple[str, str]:
    """(label, colour) of a facility type; unknown types get a palette colour by ``index``."""
    if ftype in FACILITY_TYPES:
        return FACILITY_TYPES[ftype]
    return ftype, _PALETTE[index % len(_PALETTE)]


def action_style(action: Any, facility_type: Any = None) -> tuple[str, str]:
    """Return (label, colour) of a plan action: keep, upgrade, release, ``facility:<type>``, green."""
    if is_missing(action):
        return "未列入方案", "#f7f7f7"
    text = str(action)
    if text.startswith("facility"):
        ftype = (
            text.split(":", 1)[1]
            if ":" in text
            else ("" if is_missing(facility_type) else str(facility_type))
        )
        label, colour = facility_style(ftype) if ftype else ("", ACTIONS["facility"][1])
        return f"建设公共设施：{label}" if label else ACTIONS["facility"][0], colour
    return ACTIONS.get(text, (text, "#cccccc"))


def chinese_date(day: Any) -> str:
    """Write a date the way official documents do: 2026年11月26日."""
    stamp = pd.Timestamp(day)
    return f"{stamp.year}年{stamp.month}月{stamp.day}日"


def popup_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Display strings (Chinese) for the popup fields present in ``frame``, vectorised per column.

    Missing columns are left out, so a raw parcel layer shows only the facts it has.
    """
    out = pd.DataFrame(index=frame.index)
    for column in POPUP_FIELDS:
        if column not in frame.columns:
            continue
        values = frame[column]
        if column in ("parcel_id", "enterprise", "idle_basis"):
            out[column] = values.astype(object).where(~values.map(is_missing), MISSING).astype(str)
        elif column == "area_mu" or column == "far":
            out[column] = values.map(lambda v: fmt_number(v, 2))
        elif column == "building_coef":
            out[column] = values.map(fmt_percent)
        elif column in ("tax_per_mu", "idle_fee_wan"):
            out[column] = values.map(lambda v: fmt_number(v, 2))
        elif column == "idle_status":
            out[column] = values.map(idle_label)
        elif column == "low_eff_reasons":
            out[column] = values.map(reasons_label)
    return out


def as_float_array(series: pd.Series) -> np.ndarray:
    """Return a float array from a possibly nullable column (NA → NaN)."""
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def true_flags(series: pd.Series) -> pd.Series:
    """Return ``True`` where a flag column is true; null (also an all-null float column) is ``False``.

    >>> true_flags(pd.Series([True, None, False, 1.0, float("nan")], dtype=object)).tolist()
    [True, False, False, True, False]
    """
    return series.eq(True)
