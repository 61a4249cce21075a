"""一事一议 briefing sheets: A4/A3 PDF (and PNG pages) a planner can staple to a memo (contract.md §7).

Layout of a parcel page (A4 portrait; A3 scales the same grid):

* header — title, date written the official way (2026年11月26日) and the data source;
* map — the parcels in question coloured by status (or plan action), neighbours in grey, each
  labelled with its id; legend, scale bar, north arrow and the CRS named in full, e.g.
  "CGCS2000 / 3度带高斯-克吕格 CM 111E (EPSG:4546)". A geographic layer is drawn in the CGCS2000
  3-degree zone holding its centre (domain.md §8), never in degrees;
* table — the popup's facts per parcel (地块编号, 企业, 亩, 容积率, 建筑系数, 亩均税收, 状态, 依据,
  闲置费, 低效原因); long tables continue on further pages.

A plan page shows the chosen action per parcel, the facility sites with their service radius, the
demand covered and not, a summary (status, objective, coverage, total cost) and the table of chosen
actions and costs. One page (group) per parcel group — idle land, then low-efficiency land, or the
``--parcels`` selection — and one per scenario.

Figures use the Agg canvas and the bundled Noto Sans SC (:mod:`maps.fonts`), embedded as a font
subset so the Chinese text is real, searchable text in the PDF.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import pyproj
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from geo.analysis import AnalysisResult
from geo.errors import CRSError, InputError, NotFoundError
from geo.vocab import PLAN_STATUS_ZH

from . import fonts, style
from .charts import FRONTIER_COLUMNS, SWEEP_COLUMNS, frontier_chart, read_curve, status_chart, sweep_chart
from .results import PlanResult
from .web import _check_plan, default_file_mode

STATUS_LABELS = PLAN_STATUS_ZH
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: rows of a plan page's table (one line each); more are summarised as "另有 N 宗"
PLAN_ROWS = {"A4": 14, "A3": 24}
ANALYSIS_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("parcel_id", "地块编号", 0.085),
    ("enterprise", "企业", 0.115),
    ("area_mu", "面积\n（亩）", 0.055),
    ("far", "容积率", 0.05),
    ("building_coef", "建筑\n系数", 0.05),
    ("tax_per_mu", "亩均税收\n（万元/亩）", 0.07),
    ("idle_status", "状态", 0.10),
    ("idle_basis", "依据", 0.29),
    ("idle_fee_wan", "闲置费\n（万元）", 0.06),
    ("low_eff_reasons", "低效原因", 0.125),
)
#: the low-efficiency page: each reason with the parcel's value and the preset's test
LOW_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("parcel_id", "地块编号", 0.085),
    ("enterprise", "企业", 0.125),
    ("area_mu", "面积\n（亩）", 0.055),
    ("reasons", "低效原因", 0.15),
    ("facts", "本宗数值｜认定标准（规则预设的数值）", 0.485),
    ("exempt", "豁免", 0.10),
)
PLAN_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("parcel_id", "地块编号", 0.14),
    ("action", "方案动作", 0.30),
    ("area", "面积（亩）", 0.14),
    ("cost", "费用（万元）", 0.16),
    ("status", "现状认定", 0.26),
)


@dataclass(frozen=True)
class BriefingOutput:
    """What :func:`build_briefing` wrote."""

    pdf: Path
    pngs: tuple[Path, ...]
    pages: int


# --------------------------------------------------------------------------------------------
# helpers


def crs_label(crs: pyproj.CRS) -> str:
    """Name a CRS in Chinese with its EPSG code, e.g. CGCS2000 / 3度带高斯-克吕格 CM 111E (EPSG:4546)."""
    name = crs.name
    name = re.sub(r"3-degree Gauss-Kruger CM (\d+)E", r"3度带高斯-克吕格 CM \1E", name)
    name = re.sub(r"3-degree Gauss-Kruger zone (\d+)", r"3度带高斯-克吕格 第\1带", name)
    name = re.sub(r"6-degree Gauss-Kruger", "6度带高斯-克吕格", name)
    epsg = crs.to_epsg()
    return f"{name} (EPSG:{epsg})" if epsg else name


def map_crs(gdf: gpd.GeoDataFrame, name: str = "parcels") -> pyproj.CRS:
    """Return the CRS to draw in: the layer's own if projected, else the CGCS2000 3° zone of its centre.

    The zones without prefix (EPSG:4534–4554, central meridians 75°E–135°E) are used (domain.md §8).
    """
    if gdf.crs is None:
        raise CRSError(f"图层 {name} 没有坐标系 (layer {name!r} has no CRS); 请用 --crs 指定")
    if gdf.crs.is_projected:
        return gdf.crs
    lon = float(gdf.to_crs(4490).union_all().centroid.x)
    cm = int(round(lon / 3.0) * 3)
    if not 75 <= cm <= 135:
        raise CRSError(
            f"图层 {name} 中心经度 {lon:.3f} 不在中国 3 度带范围内 (centre outside CGCS2000 3° zones)"
        )
    return pyproj.CRS.from_epsg(4534 + (cm - 75) // 3)


def _nice_length(width_m: float) -> float:
    target = width_m / 5.0
    base = 10 ** math.floor(math.log10(target))
    return max(m * base for m in (1, 2, 5) if m * base <= target)


def _scale_bar(ax, extent: tuple[float, float, float, float]) -> None:
    """Draw a two-segment scale bar in the lower left (map units are metres)."""
    x0, y0, x1, y1 = extent
    length = _nice_length(x1 - x0)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    for i, colour in enumerate(("#000000", "#ffffff")):
        ax.add_patch(
            Rectangle((bx + i * length / 2, by), length / 2, h, fc=colour, ec="#000000", lw=0.8, zorder=6)
        )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx, by + h * 1.6, "0", fontsize=7, ha="center", zorder=6)
    ax.text(bx + length, by + h * 1.6, label, fontsize=7, ha="center", zorder=6)


def _north_arrow(ax) -> None:
    """Draw a north arrow in the upper right (Gauss–Krüger grid north; convergence < 1° within a 3° zone)."""
    ax.annotate(
        "",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9", "color": "#000000", "lw": 1.5},
        zorder=7,
    )
    ax.text(0.95, 0.965, "北 N", transform=ax.transAxes, ha="center", va="bottom", fontsize=9, zorder=7)


def _char_em(char: str) -> float:
    """Approximate advance of a character in ems: CJK and full-width forms 1, others ≈ 0.55."""
    return 1.0 if ord(char) >= 0x2E80 else 0.55


#: characters a line may not start with (closing punctuation: they hang at the end of the line before)
NO_LINE_START = set("，。、；：？！）》」』】〕〉’”%,.;:?!)]}")
#: characters a line may not end with (opening brackets: they move to the next line with what they open)
NO_LINE_END = set("（《「『【〔〈‘“([{")


def _wrap(text: object, width_em: float) -> str:
    """Wrap ``text`` to lines of about ``width_em`` ems, breaking anywhere (Chinese has no spaces).

    Follows the basic Chinese line-breaking rule (GB/T 15834 标点符号用法: a closing mark never opens a line,
    an opening one never ends it): a closing mark that would start a line hangs at the end of the line
    before (up to one character past ``width_em``); an opening bracket at a line's end moves down.
    """
    if style.is_missing(text) or text == style.MISSING:
        return style.MISSING
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for char in paragraph:
            w = _char_em(char)
            if line and used + w > width_em and char not in NO_LINE_START:
                carry = ""
                while line and line[-1] in NO_LINE_END:
                    carry, line = line[-1] + carry, line[:-1]
                if line:
                    lines.append(line)
                line, used = carry, sum(_char_em(c) for c in carry)
            line += char
            used += w
        lines.append(line)
    return "\n".join(lines)


TABLE_FONT = 6.5
#: table frame on a page, in figure fractions (left, bottom, width, height)
TABLE_RECT = (0.06, 0.06, 0.88, 0.38)


def _row_heights_pt(
    header: Sequence[str], rows: list[list[str]], widths: Sequence[float], width_pt: float, fontsize: float
) -> tuple[list[list[str]], list[float]]:
    """Wrap every cell to its column and return the wrapped rows and each row's height in points.

    The first height is the header's. Line height 1.3 em plus 5 pt padding per row.
    """
    scale = sum(widths)
    # a CJK glyph is one em wide; keep a little margin per cell
    wrap_em = [max(2.0, (w / scale) * width_pt / fontsize - 0.8) for w in widths]
    wrapped = [[_wrap(cell, w) for cell, w in zip(row, wrap_em, strict=True)] for row in rows]
    lines = [1 + max(h.count("\n") for h in header)] + [
        1 + max(c.count("\n") for c in row) for row in wrapped
    ]
    return wrapped, [n * fontsize * 1.3 + 5.0 for n in lines]


def paginate_rows(
    header: Sequence[str],
    rows: list[list[str]],
    widths: Sequence[float],
    paper: str,
    rect: tuple[float, float, float, float] = TABLE_RECT,
) -> list[tuple[int, int]]:
    """Split table rows into ``(start, stop)`` slices that fit the frame ``rect``, by wrapped heights."""
    w_mm, h_mm = PAPER_MM[paper]
    width_pt = rect[2] * w_mm / 25.4 * 72.0
    height_pt = rect[3] * h_mm / 25.4 * 72.0
    _, heights = _row_heights_pt(header, rows, widths, width_pt, TABLE_FONT)
    slices: list[tuple[int, int]] = []
    start, used = 0, heights[0]
    for i, h in enumerate(heights[1:]):
        if used + h > height_pt and i > start:
            slices.append((start, i))
            start, used = i, heights[0]
        used += h
    slices.append((start, len(rows)))
    return slices


def _draw_table(
    ax, header: Sequence[str], rows: list[list[str]], widths: Sequence[float], fontsize: float = TABLE_FONT
):
    """Draw a ruled table from the top of ``ax``: text wrapped to the columns, heights follow the lines."""
    ax.set_axis_off()
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position()
    width_pt, height_pt = box.width * fig_w * 72.0, box.height * fig_h * 72.0
    wrapped, heights = _row_heights_pt(header, rows, widths, width_pt, fontsize)
    xs = np.concatenate([[0.0], np.cumsum(widths) / sum(widths)])
    y = 1.0
    for r, (cells, row_pt) in enumerate(zip([list(header), *wrapped], heights, strict=True)):
        height = row_pt / height_pt
        for c, text in enumerate(cells):
            ax.add_patch(
                Rectangle(
                    (xs[c], y - height),
                    xs[c + 1] - xs[c],
                    height,
                    transform=ax.transAxes,
                    fc="#e8eef5" if r == 0 else "#ffffff",
                    ec="#777777",
                    lw=0.5,
                    clip_on=False,
                )
            )
            ax.text(
                xs[c] + 0.004,
                y - height / 2,
                text,
                transform=ax.transAxes,
                va="center",
                ha="left",
                fontsize=fontsize,
                clip_on=False,
                linespacing=1.15,
            )
        y -= height


def _page(paper: str, title: str, subtitle: str) -> Figure:
    w, h = PAPER_MM[paper]
    fig = Figure(figsize=(w / 25.4, h / 25.4))
    FigureCanvasAgg(fig)
    scale = w / 210.0
    fig.text(0.06, 0.965, title, fontsize=16 * scale, va="top")
    fig.text(0.06, 0.935, subtitle, fontsize=8 * scale, va="top", color="#333333")
    fig.add_artist(mpl.lines.Line2D([0.06, 0.94], [0.925, 0.925], color="#a50f15", lw=1.2))
    return fig


def _map_axes(fig: Figure):
    ax = fig.add_axes((0.06, 0.47, 0.68, 0.44))
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_linewidth(0.8)
    return ax


def _extent(geoms: gpd.GeoSeries, pad: float = 0.25) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = geoms.total_bounds
    w, h = max(x1 - x0, 50.0), max(y1 - y0, 50.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # match the map frame's 0.88 × 0.44 of an A-series page (aspect ≈ 1.41 × 0.44/0.88 ...)
    w, h = w * (1 + pad), h * (1 + pad)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _frame_extent(ax, extent: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Grow the extent to the axes' aspect so the map fills its frame."""
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position(original=True)
    aspect = (box.width * fig_w) / (box.height * fig_h)
    x0, y0, x1, y1 = extent
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


#: where a parcel label may go, in points from the parcel's representative point, in order of preference
LABEL_OFFSETS_PT = (
    (0, 0),
    (0, 10),
    (0, -10),
    (0, 19),
    (0, -19),
    (40, 0),
    (-40, 0),
    (40, 12),
    (-40, -12),
    (40, -12),
    (-40, 12),
    (0, 28),
    (0, -28),
)


def _label_parcels(ax, frame: gpd.GeoDataFrame, *, max_labels: int | None = None) -> int:
    """Label parcels with their ids, in ``frame``'s order, without letting two labels overlap.

    Each label tries the positions of :data:`LABEL_OFFSETS_PT` (a thin leader line points back to its
    parcel when moved) and is left out when every position would overlap a label already placed, the
    map's corner texts or the frame's edge; at most ``max_labels`` are placed. Call it after the map's
    limits are set.

    Returns
    -------
    int
        The number of labels placed.

    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame_box = ax.get_window_extent(renderer)
    # the scale bar's, north arrow's and CRS's texts are already there
    taken = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible()]
    placed = 0
    points = frame.geometry.representative_point()
    for pid, pt in zip(frame["parcel_id"].astype(str), points, strict=True):
        if max_labels is not None and placed >= max_labels:
            break
        for dx, dy in LABEL_OFFSETS_PT:
            moved = (dx, dy) != (0, 0)
            text = ax.annotate(
                pid,
                xy=(pt.x, pt.y),
                xytext=(dx, dy),
                textcoords="offset points",
                fontsize=6.5,
                ha="center",
                va="center",
                zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#333333", "shrinkA": 0, "shrinkB": 0}
                if moved
                else None,
            )
            # the text with its white box; a leader line may cross another label's box
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer).expanded(1.08, 1.3)
            inside = (
                box.x0 >= frame_box.x0
                and box.x1 <= frame_box.x1
                and box.y0 >= frame_box.y0
                and box.y1 <= frame_box.y1
            )
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                placed += 1
                break
            text.remove()
    return placed


def _finish_map(
    ax,
    extent,
    crs: pyproj.CRS,
    handles: list[Patch],
    labels: gpd.GeoDataFrame | None = None,
    label_note: str = "",
    max_labels: int | None = None,
) -> None:
    """Set the map's extent, draw scale bar, north arrow and CRS, label ``labels`` and add the legend.

    When not every parcel of ``labels`` could be labelled without overlap, the legend says how many
    were (``label_note`` names the order of preference).
    """
    x0, y0, x1, y1 = _frame_extent(ax, extent)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_autoscale_on(False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, (x0, y0, x1, y1))
    _north_arrow(ax)
    ax.text(
        0.995,
        0.006,
        "坐标系：" + crs_label(crs),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6.5,
        zorder=7,
        bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.5},
    )
    if labels is not None and len(labels):
        placed = _label_parcels(ax, labels, max_labels=max_labels)
        if placed < len(labels):
            handles = [
                *handles,
                Patch(
                    facecolor="none",
                    edgecolor="none",
                    label=f"图上标注 {placed} / {len(labels)} 宗{label_note}\n其余为免文字重叠未标，见下表",
                ),
            ]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=7,
            frameon=False,
            title="图例",
            title_fontsize=8,
            alignment="left",
        )


# --------------------------------------------------------------------------------------------
# analysis pages


GROUPS = ("idle", "low")


def select_groups(
    parcels: gpd.GeoDataFrame, parcel_ids: Sequence[str] | None, groups: Sequence[str] = GROUPS
) -> list[tuple[str, gpd.GeoDataFrame]]:
    """Return the parcel groups to brief: the named ids, or idle land then low-efficiency land.

    ``groups`` picks the default groups: ``idle`` (闲置土地) and/or ``low`` (低效用地 not idle).

    Raises
    ------
    NotFoundError
        Some named ids do not exist (they are listed).
    InputError
        The selection is empty.

    """
    if "parcel_id" not in parcels.columns:
        raise InputError("地块图层缺少 parcel_id 列 (no parcel_id column)")
    ids = parcels["parcel_id"].astype(str)
    if parcel_ids:
        wanted = list(dict.fromkeys(str(p).strip() for p in parcel_ids if str(p).strip()))
        unknown = [p for p in wanted if p not in set(ids)]
        if unknown:
            shown = "、".join(unknown[:10]) + (f" 等 {len(unknown)} 个" if len(unknown) > 10 else "")
            raise NotFoundError(
                f"地块编号不存在 unknown parcel id(s): {shown}（请核对 parcels.gpkg 的 parcel_id 列）"
            )
        if not wanted:
            raise InputError("所选地块为空 (empty selection): --parcels 没有给出地块编号")
        order = {p: i for i, p in enumerate(wanted)}
        chosen = parcels[ids.isin(order)].copy()
        chosen = chosen.iloc[np.argsort(chosen["parcel_id"].astype(str).map(order).to_numpy())]
        return [("所选地块", chosen)]
    unknown_groups = sorted(set(groups) - set(GROUPS))
    if unknown_groups or not groups:
        raise InputError(f"未知的地块组 unknown group(s) {unknown_groups or '(none)'}; 可选 idle、low")
    chosen_groups: list[tuple[str, gpd.GeoDataFrame]] = []
    idle = (
        parcels["idle_status"].isin(style.IDLE_CODES)
        if "idle_status" in parcels
        else pd.Series(False, index=parcels.index)
    )
    if "idle" in groups and idle.any():
        chosen_groups.append(("闲置土地", parcels[idle]))
    if "low" in groups and "low_efficiency" in parcels:
        low = style.true_flags(parcels["low_efficiency"]) & ~idle
        if low.any():
            chosen_groups.append(("低效用地", parcels[low]))
    if not chosen_groups:
        raise InputError(
            "没有需要简报的地块 (empty selection): 分析结果中没有闲置或低效用地；请用 --parcels 指定地块编号"
        )
    return chosen_groups


def _num(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out


def _pct(row: pd.Series, column: str) -> str:
    return style.fmt_percent(row.get(column))


def _tax_fact(row: pd.Series, summary: dict) -> str:
    """亩均税收 against the sector's average when the analysis has one, else the park's."""
    averages = summary.get("tax_averages") or {}
    sector = (averages.get("sector") or {}).get(str(row.get("industry_code")))
    reference = sector if sector is not None else averages.get("park")
    where = "同行业平均" if sector is not None else "园区平均"
    ref = f"（{where} {style.fmt_number(reference)}）" if reference is not None else ""
    return f"亩均税收 {style.fmt_number(row.get('tax_per_mu'))} 万元/亩{ref}"


def _rs_fact(row: pd.Series, _summary: dict) -> str:
    parts = []
    if not math.isnan(_num(row.get("rs_builtup_mean"))):
        parts.append(f"建成指数均值 {_num(row.get('rs_builtup_mean')):.2f}")
    if not math.isnan(_num(row.get("rs_ndvi_mean"))):
        parts.append(f"NDVI 均值 {_num(row.get('rs_ndvi_mean')):.2f}")
    return "，".join(parts) or "遥感均值缺失"


#: reason code → the parcel's own value for it, as officials write it (row, analysis summary → text)
REASON_FACTS: dict[str, Callable[[pd.Series, dict], str]] = {
    "far_below_min": lambda r, _s: (
        f"容积率 {style.fmt_number(r.get('far'))}（本宗下限 {style.fmt_number(r.get('far_min'))}）"
    ),
    "coef_below_min": lambda r, _s: f"建筑系数 {_pct(r, 'building_coef')}",
    "admin_over_max": lambda r, _s: f"行政办公及生活服务设施用地比重 {_pct(r, 'admin_ratio')}",
    "green_over_max": lambda r, _s: f"绿地率 {_pct(r, 'green_ratio')}",
    "invest_below_min": lambda r, _s: f"投资强度 {style.fmt_number(r.get('invest_intensity'), 0)} 万元/公顷",
    "tax_below_avg_share": _tax_fact,
    "policy_eliminated": lambda r, _s: f"产业政策类别 {r.get('policy_class') or style.MISSING}",
    "dangerous_building": lambda r, _s: f"房屋安全等级 {r.get('building_grade') or style.MISSING} 级",
    "use_mismatch": lambda r, _s: (
        f"现状 {r.get('land_use') or style.MISSING}，规划 {r.get('planned_use') or style.MISSING}"
    ),
    "rs_unbuilt": _rs_fact,
    "idle": lambda r, _s: f"闲置状态：{style.idle_label(r.get('idle_status'))}",
}


def _reason_fact(code: str, row: pd.Series, summary: dict) -> str:
    """Return the parcel's own value for one fired reason (:data:`REASON_FACTS`; else the code)."""
    fact = REASON_FACTS.get(code)
    return fact(row, summary) if fact is not None else code


def low_efficiency_rows(frame: pd.DataFrame, summary: dict) -> list[list[str]]:
    """Rows of the low-efficiency page: reasons, each with the parcel's value and the preset's test.

    ``summary`` is the analysis's summary.json: ``rule_tests`` (code → the test with the preset's numbers),
    ``tax_averages`` (park / sector 亩均税收) and ``exemptions`` (label, discretionary).
    """
    tests = summary.get("rule_tests") or {}
    exemptions = summary.get("exemptions") or {}
    labels = style.popup_values(frame)
    rows = []
    for i, row in frame.iterrows():
        codes = style.reason_codes(row.get("low_eff_reasons"))
        fired = [c for c in codes if not c.startswith("exempt:")]
        facts = [f"{_reason_fact(c, row, summary)}｜标准：{tests.get(c, '—')}" for c in fired]
        waived = []
        for c in codes:
            if c.startswith("exempt:"):
                info = exemptions.get(c.removeprefix("exempt:"), {})
                label = info.get("label_zh") or c.removeprefix("exempt:")
                waived.append(f"{label}（可以不予认定）" if info.get("discretionary") else label)
        rows.append(
            [
                str(labels.at[i, "parcel_id"]) if "parcel_id" in labels else style.MISSING,
                str(labels.at[i, "enterprise"]) if "enterprise" in labels else style.MISSING,
                str(labels.at[i, "area_mu"]) if "area_mu" in labels else style.MISSING,
                "、".join(style.reason_label(c) for c in fired) or style.MISSING,
                "\n".join(facts) or style.MISSING,
                "；".join(waived) or style.MISSING,
            ]
        )
    return rows


def _analysis_rows(frame: pd.DataFrame) -> list[list[str]]:
    labels = style.popup_values(frame)
    return [
        [str(labels.at[i, c]) if c in labels.columns else style.MISSING for c, _, _ in ANALYSIS_COLUMNS]
        for i in frame.index
    ]


@dataclass(frozen=True)
class _PageText:
    """The texts every page of one briefing shares: paper, title, subtitle and the rules footer."""

    paper: str
    title: str
    subtitle: str
    footer: str = ""


def _analysis_page(
    text: _PageText,
    group_name: str,
    group: gpd.GeoDataFrame,
    context: gpd.GeoDataFrame,
    crs: pyproj.CRS,
    rows: list[list[str]],
    page_note: str,
    *,
    by_reason: bool = False,
) -> Figure:
    fig = _page(text.paper, f"{text.title}——{group_name}", text.subtitle)
    ax = _map_axes(fig)
    extent = _extent(group.geometry)
    x0, y0, x1, y1 = _frame_extent(ax, extent)
    near = context.cx[x0:x1, y0:y1]
    near.plot(ax=ax, facecolor="#eeeeee", edgecolor="#9a9a9a", linewidth=0.4, zorder=1)
    handles: list[Patch] = []
    columns = LOW_COLUMNS if by_reason else ANALYSIS_COLUMNS
    if by_reason and "low_eff_reasons" in group:
        # coloured by the first reason that fired (the table lists every reason)
        first = group["low_eff_reasons"].map(style.primary_reason)
        colours = first.map(lambda c: style.LOW_EFF_REASONS.get(str(c), ("", "#fc8d59"))[1])
        present = set(first.dropna().astype(str))
        for code in [c for c in style.LOW_EFF_REASONS if c in present]:
            label, colour = style.LOW_EFF_REASONS[code]
            handles.append(Patch(facecolor=colour, edgecolor="#333333", label=label))
        if len(present) and group["low_eff_reasons"].map(lambda t: len(style.reason_codes(t)) > 1).any():
            handles.append(Patch(facecolor="none", edgecolor="none", label="按首要原因着色，多项原因见下表"))
    elif "idle_status" in group:
        colours = group["idle_status"].map(lambda s: style.IDLE_STATUS.get(str(s), ("", "#fdd49e"))[1])
        present = set(group["idle_status"].astype(str))
        # legend in the order of the rules (style.IDLE_STATUS), then any other code
        for code in [
            *(c for c in style.IDLE_STATUS if c in present),
            *sorted(present - set(style.IDLE_STATUS)),
        ]:
            label, colour = style.IDLE_STATUS.get(code, (code, "#fdd49e"))
            handles.append(Patch(facecolor=colour, edgecolor="#333333", label=label))
    else:
        colours = pd.Series("#fc8d59", index=group.index)
        handles.append(Patch(facecolor="#fc8d59", edgecolor="#333333", label=group_name))
    group.plot(ax=ax, color=colours.tolist(), edgecolor="#222222", linewidth=0.9, zorder=3, alpha=0.85)
    handles.append(Patch(facecolor="#eeeeee", edgecolor="#9a9a9a", label="周边地块"))
    _finish_map(ax, extent, crs, handles, labels=group)
    table_ax = fig.add_axes(TABLE_RECT)
    _draw_table(table_ax, [h for _, h, _ in columns], rows, [w for _, _, w in columns])
    if text.footer:
        fig.text(0.06, 0.03, text.footer, ha="left", fontsize=7, color="#555555")
    fig.text(0.94, 0.03, page_note, ha="right", fontsize=7, color="#555555")
    return fig


def _rules_footer(summary: dict) -> str:
    """Return the preset line printed at the foot of every analysis page."""
    name = summary.get("preset")
    if not name:
        return ""
    provisional = "（暂行预设，数值待核实）" if summary.get("preset_provisional") else ""
    return f"规则预设：{name}{provisional}"


def analysis_figures(
    result: AnalysisResult,
    *,
    parcel_ids: Sequence[str] | None = None,
    paper: str = "A4",
    title: str = "一事一议 地块简报",
    source: str | None = None,
    date: dt.date | None = None,
    charts: bool = True,
    groups: Sequence[str] = GROUPS,
) -> list[Figure]:
    """Build the briefing pages of an analysis (pure: returns figures, writes nothing)."""
    paper = _paper(paper)
    parcels = result.parcels
    crs = map_crs(parcels)
    projected = parcels.to_crs(crs)
    selected = select_groups(projected, parcel_ids, groups)
    summary = result.summary
    subtitle = _subtitle(
        date, source or f"panhuo analyze 输出 {result.source}", as_of=summary.get("as_of"), preset=summary
    )
    footer = _rules_footer(summary)
    pages: list[tuple[str, gpd.GeoDataFrame, list[list[str]], bool]] = []
    for name, group in selected:
        low = name == "低效用地"
        columns = LOW_COLUMNS if low else ANALYSIS_COLUMNS
        header = [h for _, h, _ in columns]
        widths = [w for _, _, w in columns]
        rows = low_efficiency_rows(group, summary) if low else _analysis_rows(group)
        chunks = [(group.iloc[a:b], rows[a:b]) for a, b in paginate_rows(header, rows, widths, paper)]
        for k, (part, part_rows) in enumerate(chunks):
            label = name if len(chunks) == 1 else f"{name}（{k + 1}/{len(chunks)}）"
            pages.append((label, part, part_rows, low))
    figures: list[Figure] = []
    with mpl.rc_context(fonts.mpl_rc()):
        for n, (label, part, part_rows, low) in enumerate(pages, start=1):
            note = f"第 {n} 页 / 共 {len(pages) + (1 if charts else 0)} 页"
            figures.append(
                _analysis_page(
                    _PageText(paper, title, subtitle, footer),
                    label,
                    part,
                    projected,
                    crs,
                    part_rows,
                    note,
                    by_reason=low,
                )
            )
        if charts and ("idle_status" in parcels or "low_eff_reasons" in parcels):
            fig = _page(paper, f"{title}——统计", subtitle)
            fig.text(0.06, 0.895, "闲置与低效用地统计（全园区）", fontsize=11)
            status_chart(parcels, fig=fig, rect=(0.3, 0.12, 0.94, 0.86))
            fig.text(0.94, 0.03, f"第 {len(pages) + 1} 页 / 共 {len(pages) + 1} 页", ha="right", fontsize=7)
            figures.append(fig)
        elif charts:
            for fig in figures:
                fig.texts[-1].set_text(
                    fig.texts[-1].get_text().replace(f"共 {len(pages) + 1}", f"共 {len(pages)}")
                )
    return figures


# --------------------------------------------------------------------------------------------
# plan pages


#: order of plan actions in tables and labels: facilities first, then recovery, green, upgrade
ACTION_ORDER = ("facility", "release", "green", "upgrade")
#: at most this many parcel labels on a plan map (the most consequential actions first)
MAX_PLAN_LABELS = 30


def _action_rank(action: pd.Series) -> np.ndarray:
    prefix = action.fillna("keep").astype(str).str.split(":").str[0]
    return prefix.map({a: i for i, a in enumerate(ACTION_ORDER)}).fillna(len(ACTION_ORDER)).to_numpy()


def _draw_plan_context(
    ax, park: gpd.GeoDataFrame | None, parcels: gpd.GeoDataFrame | None, handles: list[Patch]
) -> None:
    """Draw the rest of the park in light grey beneath the plan (its own parcels are drawn in colour)."""
    if park is not None:
        if parcels is not None and "parcel_id" in park and "parcel_id" in parcels:
            park = park[~park["parcel_id"].astype(str).isin(set(parcels["parcel_id"].astype(str))).to_numpy()]
        if len(park):
            park.plot(ax=ax, facecolor="#eeeeee", edgecolor="#9a9a9a", linewidth=0.4, zorder=1)
            handles.append(Patch(facecolor="#eeeeee", edgecolor="#9a9a9a", label="园区其他地块（非候选）"))


def _draw_plan_parcels(
    ax, parcels: gpd.GeoDataFrame, handles: list[Patch]
) -> tuple[gpd.GeoDataFrame, list[list[str]]]:
    """Draw the candidates by action; return the parcels to label and the table rows of the changed ones."""
    ftype = parcels["facility_type"] if "facility_type" in parcels else pd.Series(None, index=parcels.index)
    action = parcels["action"] if "action" in parcels else pd.Series(None, index=parcels.index)
    styled = [style.action_style(a, t) for a, t in zip(action, ftype, strict=True)]
    parcels = parcels.assign(_label=[s[0] for s in styled], _colour=[s[1] for s in styled])
    parcels.plot(ax=ax, color=parcels["_colour"].tolist(), edgecolor="#333333", linewidth=0.6, zorder=2)
    for label, colour in dict(zip(parcels["_label"], parcels["_colour"], strict=True)).items():
        handles.append(Patch(facecolor=colour, edgecolor="#333333", label=label))
    changed = parcels[~action.fillna("keep").astype(str).eq("keep").to_numpy()]
    changed = changed.iloc[
        np.lexsort((changed["parcel_id"].astype(str).to_numpy(), _action_rank(changed["action"])))
    ]
    labelled = changed if len(changed) else parcels
    area = (
        pd.to_numeric(changed["area_m2"], errors="coerce") * 3 / 2000
        if "area_m2" in changed
        else changed.geometry.area * 3 / 2000
    )
    cost = changed["cost_wan"] if "cost_wan" in changed else pd.Series(np.nan, index=changed.index)
    status = changed["idle_status"].map(style.idle_label) if "idle_status" in changed else style.MISSING
    rows = [
        [
            str(pid),
            lab,
            style.fmt_number(a, 2),
            style.fmt_number(c, 1),
            st if isinstance(st, str) else style.MISSING,
        ]
        for pid, lab, a, c, st in zip(
            changed["parcel_id"],
            changed["_label"],
            area,
            cost,
            status if isinstance(status, pd.Series) else [status] * len(changed),
            strict=True,
        )
    ]
    return labelled, rows


def _draw_plan_demand(ax, demand: gpd.GeoDataFrame, handles: list[Patch]) -> None:
    """Draw the demand points, covered in blue and uncovered in red, with their counts in the legend."""
    cover_cols = [c for c in demand.columns if c.startswith("covered_")]
    covered = (
        demand[cover_cols].fillna(False).astype(bool).any(axis=1)
        if cover_cols
        else pd.Series(False, index=demand.index)
    )
    for flag, colour, label in (
        (True, "#2171b5", "需求点·有设施覆盖"),
        (False, "#cb181d", "需求点·无设施覆盖"),
    ):
        part = demand[(covered == flag).to_numpy()]
        if len(part):
            part.plot(ax=ax, color=colour, markersize=2, alpha=0.6, zorder=4)
            handles.append(Patch(facecolor=colour, label=f"{label}（{len(part)}）"))


def _draw_plan_sites(
    ax, sites: gpd.GeoDataFrame, crs: pyproj.CRS, handles: list[Patch]
) -> list[gpd.GeoSeries]:
    """Draw the sites by type with dashed service radii; return the circles (the map extent holds them)."""
    radii: list[gpd.GeoSeries] = []
    types = sites["type"].astype(str) if "type" in sites else pd.Series("facility", index=sites.index)
    for i, t in enumerate(dict.fromkeys(types)):
        label, colour = style.facility_style(t, i)
        part = sites[(types == t).to_numpy()]
        if "radius_m" in part:
            radius = pd.to_numeric(part["radius_m"], errors="coerce")
            rings = part[radius.notna().to_numpy()]
            if len(rings):
                circles = rings.geometry.buffer(radius.dropna().to_numpy(), 48)
                gpd.GeoSeries(circles, crs=crs).plot(
                    ax=ax, facecolor="none", edgecolor=colour, linestyle="--", linewidth=1.0, zorder=3
                )
                radii.append(gpd.GeoSeries(circles, crs=crs))
        part.plot(ax=ax, color=colour, markersize=40, edgecolor="black", zorder=6, marker="^")
        handles.append(
            Patch(facecolor=colour, edgecolor="black", label=f"{label}（{len(part)} 处，虚线为服务半径）")
        )
    return radii


def _plan_summary(plan: dict) -> list[str]:
    """Return the plan's key figures printed under its map."""
    summary = [
        "求解状态：" + STATUS_LABELS.get(str(plan.get("status")), str(plan.get("status"))),
        f"目标值：{style.fmt_number(plan.get('objective'), 2)}"
        + (f"（{plan['objective_name']}）" if plan.get("objective_name") else ""),
        f"需求覆盖率：{style.fmt_percent(plan.get('coverage_ratio'))}　"
        f"覆盖需求：{style.fmt_number(plan.get('covered_demand'), 0)}",
        f"总费用：{style.fmt_number(plan.get('total_cost_wan'), 1, '万元')}　"
        f"选中地块：{len(plan.get('selected') or [])} 宗",
    ]
    return summary


def _plan_page(paper: str, title: str, subtitle: str, result: PlanResult) -> tuple[Figure, list[list[str]]]:
    """Draw a plan's page; return it with the table rows that did not fit (for continuation pages)."""
    plan = result.plan
    _check_plan(plan, result.name)
    fig = _page(paper, f"{title}——{result.name}", subtitle)
    ax = _map_axes(fig)
    layers = {k: v for k, v in result.layers.items() if v is not None and len(v)}
    if not layers:
        raise InputError(f"方案 {result.name} 没有图层可绘制 (plan.gpkg has no parcels, sites or demand)")
    crs = map_crs(next(iter(layers.values())), "plan")
    proj = {k: v.to_crs(crs) for k, v in layers.items()}
    handles: list[Patch] = []
    extent_geoms = pd.concat([g.geometry for g in proj.values()])
    parcels = proj.get("parcels")
    _draw_plan_context(ax, proj.get("context"), parcels, handles)
    labelled, rows = _draw_plan_parcels(ax, parcels, handles) if parcels is not None else (None, [])
    if proj.get("demand") is not None:
        _draw_plan_demand(ax, proj["demand"], handles)
    if proj.get("sites") is not None:
        extent_geoms = pd.concat([extent_geoms, *_draw_plan_sites(ax, proj["sites"], crs, handles)])
    _finish_map(
        ax,
        _extent(gpd.GeoSeries(extent_geoms, crs=crs), pad=0.08),
        crs,
        handles,
        labels=labelled,
        label_note="（设施、收回优先）",
        max_labels=MAX_PLAN_LABELS,
    )

    summary = _plan_summary(plan)
    fig.text(0.06, 0.455, "\n".join(summary), fontsize=8, va="top", linespacing=1.5)
    table_ax = fig.add_axes((0.06, 0.06, 0.88, 0.31))
    widths = [w for _, _, w in PLAN_COLUMNS]
    first, rest = rows[: PLAN_ROWS[paper]], rows[PLAN_ROWS[paper] :]
    if rest:
        fig.text(0.94, 0.045, f"续表见后页（另 {len(rest)} 宗）", ha="right", fontsize=7, color="#555555")
    _draw_table(
        table_ax, [h for _, h, _ in PLAN_COLUMNS], first or [["—", "方案未改变任何地块", "", "", ""]], widths
    )
    return fig, rest


def _continuation_pages(
    paper: str,
    title: str,
    subtitle: str,
    header: Sequence[str],
    rows: list[list[str]],
    widths: Sequence[float],
) -> list[Figure]:
    """Table-only pages (续表) for rows that did not fit on their page."""
    rect = (0.06, 0.06, 0.88, 0.84)
    pages: list[Figure] = []
    for a, b in paginate_rows(header, rows, widths, paper, rect):
        fig = _page(paper, f"{title}（续表）", subtitle)
        _draw_table(fig.add_axes(rect), header, rows[a:b], widths)
        pages.append(fig)
    return pages


def plan_figures(
    plans: Sequence[PlanResult],
    *,
    paper: str = "A4",
    title: str = "一事一议 盘活方案简报",
    source: str | None = None,
    date: dt.date | None = None,
) -> list[Figure]:
    """Build one briefing page per plan (scenario), plus its trade-off curves when present; pure.

    Raises
    ------
    NoSolutionError
        A plan has no solution.

    """
    paper = _paper(paper)
    if not plans:
        raise InputError("没有方案 (no plan given)")
    for result in plans:
        _check_plan(result.plan, result.name)
    folders = [str(p.source) for p in plans] if len(plans) == 1 else [p.source.name for p in plans]
    subtitle = _subtitle(date, source or "panhuo plan 输出 " + "、".join(folders))
    with mpl.rc_context(fonts.mpl_rc()):
        figures: list[Figure] = []
        header = [h for _, h, _ in PLAN_COLUMNS]
        widths = [w for _, _, w in PLAN_COLUMNS]
        for result in plans:
            page, rest = _plan_page(paper, title, subtitle, result)
            figures.append(page)
            if rest:
                figures += _continuation_pages(
                    paper, f"{title}——{result.name}", subtitle, header, rest, widths
                )
            if result.charts:
                figures.append(_curves_page(paper, title, subtitle, result))
        for i, fig in enumerate(figures, start=1):
            fig.text(0.94, 0.03, f"第 {i} 页 / 共 {len(figures)} 页", ha="right", fontsize=7, color="#555555")
        return figures


def _curves_page(paper: str, title: str, subtitle: str, result: PlanResult) -> Figure:
    """Draw a plan's frontier and budget-sweep curves (when its directory has them) on one page."""
    fig = _page(paper, f"{title}——{result.name}：取舍曲线", subtitle)
    slots = [(0.12, 0.55, 0.78, 0.32), (0.12, 0.12, 0.70, 0.32)]
    for (key, columns, draw), rect in zip(
        (("frontier", FRONTIER_COLUMNS, frontier_chart), ("sweep", SWEEP_COLUMNS, sweep_chart)),
        slots,
        strict=True,
    ):
        if key in result.charts:
            draw(read_curve(result.charts[key], columns), ax=fig.add_axes(rect))
    return fig


# --------------------------------------------------------------------------------------------
# writing


def _paper(paper: str) -> str:
    key = paper.upper()
    if key not in PAPER_MM:
        raise InputError(f"纸张 {paper!r} 不支持 (unsupported paper size); 可选 A4 或 A3")
    return key


#: the subtitle's width in ems of its font (8 pt on A4: 0.88 of 210 mm ≈ 65 em, less a margin)
SUBTITLE_EM = 62.0


def _subtitle(
    date: dt.date | None, source: str, *, as_of: str | None = None, preset: dict | None = None
) -> str:
    """Date and data source on one line; a source too long for the page keeps its end (…中间省略).

    For an analysis (``as_of`` given) the date is the 评价日 — the as-of date the rules were applied on —
    followed by the preset's name; the briefing's own date appears only when ``date`` is given.
    """
    if as_of:
        head = f"评价日：{style.chinese_date(as_of)}"
        if preset and preset.get("preset"):
            head += f"　规则预设：{preset['preset']}"
        if date is not None:
            head += f"　简报日期：{style.chinese_date(date)}"
        head += "　数据来源："
    else:
        head = f"日期：{style.chinese_date(date or dt.date.today())}　　数据来源："
    room = SUBTITLE_EM - sum(_char_em(c) for c in head)
    if sum(_char_em(c) for c in source) > room:
        tail, used = "", 1.0  # the ellipsis
        for char in reversed(source):
            used += _char_em(char)
            if used > room:
                break
            tail = char + tail
        source = "…" + tail
    return head + source


def write_figures(
    figures: Sequence[Figure], out: str | os.PathLike[str], *, png: bool = False, dpi: int = 150
) -> BriefingOutput:
    """Write the pages to one PDF (and ``<stem>-<n>.png`` pages) atomically: temp files, then renames.

    If anything fails, no output file is left half-written.
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        temps.append((Path(tmp), target))
        with mpl.rc_context(fonts.mpl_rc()):
            metadata = {"Title": "一事一议简报 panhuo briefing", "Creator": "panhuo"}
            with PdfPages(tmp, metadata=metadata) as pdf:
                for fig in figures:
                    pdf.savefig(fig)
            if png:
                for n, fig in enumerate(figures, start=1):
                    png_path = target.with_name(f"{target.stem}-{n}.png")
                    fd, tmp_png = tempfile.mkstemp(
                        prefix=f".{png_path.name}.", suffix=".tmp", dir=target.parent
                    )
                    os.close(fd)
                    temps.append((Path(tmp_png), png_path))
                    fig.savefig(tmp_png, dpi=dpi, format="png")
        mode = default_file_mode()
        for tmp_path, final in temps:
            os.chmod(tmp_path, mode)
            os.replace(tmp_path, final)
    except BaseException:
        for tmp_path, _ in temps:
            tmp_path.unlink(missing_ok=True)
        raise
    return BriefingOutput(target, tuple(final for _, final in temps[1:]), len(figures))


@dataclass(frozen=True)
class BriefingText:
    """The header texts of a briefing.

    ``None`` takes the default: the title by kind, the result directory as 数据来源, today as the date.
    """

    title: str | None = None
    source: str | None = None
    date: dt.date | None = None


def build_briefing(
    *,
    out: str | os.PathLike[str],
    analysis: AnalysisResult | None = None,
    plans: Sequence[PlanResult] = (),
    parcel_ids: Sequence[str] | None = None,
    png: bool = False,
    paper: str = "A4",
    text: BriefingText | None = None,
    groups: Sequence[str] = GROUPS,
) -> BriefingOutput:
    """Build and write a briefing for an analysis (parcel groups) or for plans (one page per scenario).

    Parameters
    ----------
    out
        The PDF path; PNG pages go beside it as ``<stem>-1.png`` … when ``png``.
    analysis, plans
        Exactly one of them: an analysis result, or one or more plan results.
    parcel_ids
        For an analysis: brief these parcels (unknown ids are an error); default: idle, then
        low-efficiency land.
    png
        Also write one PNG per page (150 dpi).
    groups
        Without ``parcel_ids``: which default groups to brief, ``idle`` and/or ``low``.
    paper
        ``A4`` or ``A3``.
    text
        The header texts (:class:`BriefingText`: title, source, date); defaults: 一事一议 地块简报 /
        盘活方案简报, the result directory, today.

    Raises
    ------
    InputError, NotFoundError, NoSolutionError, CRSError
        Before anything is written.

    """
    text = text or BriefingText()
    title, source, date = text.title, text.source, text.date
    if (analysis is None) == (not plans):
        raise InputError("请只给出 --analysis 或 --plan 之一 (give exactly one of --analysis or --plan)")
    if analysis is not None:
        figures = analysis_figures(
            analysis,
            parcel_ids=parcel_ids,
            groups=groups,
            paper=paper,
            title=title or "一事一议 地块简报",
            source=source,
            date=date,
        )
    else:
        if parcel_ids:
            raise InputError("--parcels 只用于 --analysis 简报 (--parcels applies to analysis briefings)")
        figures = plan_figures(
            plans, paper=paper, title=title or "一事一议 盘活方案简报", source=source, date=date
        )
    return write_figures(figures, out, png=png)


def figure_texts(fig: Figure) -> list[str]:
    """Every text string drawn on a figure (for glyph-coverage checks)."""
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]
