"""Charts people would rather look at than read (matplotlib figures; saving is the caller's).

* :func:`frontier_chart` — the coverage–cost Pareto frontier from the optimizer's ε-constraint runs
  (CSV columns ``epsilon, coverage, cost_wan``);
* :func:`sweep_chart` — objective and coverage against budget (CSV ``budget_wan, objective, coverage_ratio``);
* :func:`pair_chart` — any other ε-constraint frontier ``A:B``;
* :func:`status_chart` — parcels and 亩 by idle status and by low-efficiency reason;
* :func:`indicator_profile` — each indicator as a share of its ideal value (TD/T 1029 ideal-value
  standardisation: S = min(actual / ideal, 1) for positive indicators, min(ideal / actual, 1) for
  negative ones such as 土地闲置率; domain.md §3).

Every figure is made under :func:`maps.fonts.mpl_rc`, so Chinese labels use the bundled Noto Sans SC.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.errors import InputError, SchemaError

from . import fonts, style
from .web import INDICATOR_LABELS

FRONTIER_COLUMNS = ("epsilon", "coverage", "cost_wan")
SWEEP_COLUMNS = ("budget_wan", "objective", "coverage_ratio")
#: indicators where less is better (standardised as ideal / actual)
NEGATIVE_INDICATORS = frozenset({"idle_land_rate"})


def read_curve(path: str | Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a frontier or sweep CSV and check its columns.

    Raises
    ------
    SchemaError
        A required column is missing.
    InputError
        The file has no rows.

    """
    frame = pd.read_csv(path, encoding="utf-8-sig")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{path} 缺少列 missing columns {missing}; 需要 expected {list(columns)}")
    if frame.empty:
        raise InputError(f"{path} 没有数据行 (has no rows)")
    return frame


def _agg(fig: Figure) -> Figure:
    """Give ``fig`` an Agg canvas: the backend is chosen here, where the figure is made, never globally."""
    FigureCanvasAgg(fig)
    return fig


def _figure(size: tuple[float, float] = (7.0, 4.2)) -> Figure:
    return _agg(Figure(figsize=size, layout="constrained"))


def frontier_chart(
    frame: pd.DataFrame, *, title: str = "覆盖率—投资 帕累托前沿", ax: Axes | None = None
) -> Figure:
    """Plot coverage against cost along the ε-constraint frontier (cost on x, coverage on y).

    With ``ax`` the curve is drawn into that axes (e.g. on a briefing page).
    """
    with mpl.rc_context(fonts.mpl_rc()):
        if ax is None:
            ax = _figure().add_subplot()
        data = frame.sort_values("cost_wan")
        coverage = style.as_float_array(data["coverage"])
        ax.plot(style.as_float_array(data["cost_wan"]), coverage, marker="o", color="#2171b5", lw=1.8)
        ax.set_xlabel("投资（万元）")
        ax.set_ylabel("覆盖需求")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    return cast(Figure, ax.figure)


def sweep_chart(frame: pd.DataFrame, *, title: str = "预算敏感性分析", ax: Axes | None = None) -> Figure:
    """Plot the objective and the coverage ratio against the budget (two y axes)."""
    with mpl.rc_context(fonts.mpl_rc()):
        if ax is None:
            ax = _figure().add_subplot()
        data = frame.sort_values("budget_wan")
        budget = style.as_float_array(data["budget_wan"])
        ax.plot(budget, style.as_float_array(data["objective"]), marker="o", color="#238b45", label="目标值")
        ax.set_xlabel("预算（万元）")
        ax.set_ylabel("目标值", color="#238b45")
        ax2 = ax.twinx()
        ax2.plot(
            budget,
            style.as_float_array(data["coverage_ratio"]) * 100,
            marker="s",
            color="#cb181d",
            ls="--",
            label="需求覆盖率",
        )
        ax2.set_ylabel("需求覆盖率（%）", color="#cb181d")
        ax2.set_ylim(0, 105)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    return cast(Figure, ax.figure)


def pair_chart(frame: pd.DataFrame) -> Figure:
    """Plot objective term ``A`` (y) against bounded term ``B`` (x) of an ε-constraint frontier ``A:B``.

    ``frame`` is a table of :func:`optimizer.frontier.frontier_table` (its ``pair`` column names
    the terms; their labels and columns are :data:`optimizer.frontier.TERMS`).
    """
    from optimizer.frontier import TERMS

    pair = str(frame["pair"].iloc[0]) if "pair" in frame and len(frame) else "coverage:cost"
    a, b = pair.split(":")
    with mpl.rc_context(fonts.mpl_rc()):
        fig = _agg(Figure(figsize=(6.4, 4.2), dpi=120, layout="constrained"))
        ax = fig.add_subplot()
        data = frame.dropna(subset=[TERMS[a][2], TERMS[b][2]]).sort_values(TERMS[b][2])
        ax.plot(data[TERMS[b][2]].astype(float), data[TERMS[a][2]].astype(float), "o-", color="#1f6f8b")
        ax.set_xlabel(f"{TERMS[b][1]} {b}")
        ax.set_ylabel(f"{TERMS[a][1]} {a}")
        ax.set_title(f"帕累托前沿 Pareto frontier {a} : {b}")
        ax.grid(True, alpha=0.3)
    return fig


def status_tables(parcels: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Count and 亩 per idle status and per low-efficiency reason.

    A parcel counts under each of its (non-exempt) reasons.
    """
    area = (
        pd.to_numeric(parcels["area_mu"], errors="coerce")
        if "area_mu" in parcels
        else pd.Series(np.nan, index=parcels.index)
    )
    by_status = pd.DataFrame(columns=["label", "count", "mu", "colour"])
    if "idle_status" in parcels:
        grouped = (
            pd.DataFrame({"s": parcels["idle_status"], "mu": area}).groupby("s")["mu"].agg(["count", "sum"])
        )
        rows = [
            (label, int(grouped.at[k, "count"]), float(grouped.at[k, "sum"]), colour)  # type: ignore[arg-type]
            for k, (label, colour) in style.IDLE_STATUS.items()
            if k in grouped.index
        ]
        by_status = pd.DataFrame(rows, columns=["label", "count", "mu", "colour"])
    by_reason = pd.DataFrame(columns=["label", "count", "mu", "colour"])
    if "low_eff_reasons" in parcels:
        exploded = pd.DataFrame(
            {"r": parcels["low_eff_reasons"].map(style.reason_codes), "mu": area}
        ).explode("r")
        exploded = exploded[exploded["r"].notna() & ~exploded["r"].astype(str).str.startswith("exempt:")]
        grouped = exploded.groupby("r")["mu"].agg(["count", "sum"])
        rows = [
            (label, int(grouped.at[k, "count"]), float(grouped.at[k, "sum"]), colour)  # type: ignore[arg-type]
            for k, (label, colour) in style.LOW_EFF_REASONS.items()
            if k in grouped.index
        ]
        by_reason = pd.DataFrame(rows, columns=["label", "count", "mu", "colour"])
    return by_status, by_reason


def status_chart(
    parcels: pd.DataFrame,
    *,
    title: str = "闲置与低效用地统计",
    fig: Figure | None = None,
    rect: tuple[float, float, float, float] = (0.3, 0.06, 0.95, 0.9),
) -> Figure:
    """Horizontal bars: parcels (宗) and area (亩) by idle status and by low-efficiency reason.

    Land that is not idle or not supplied is left out of the idle bars (it would flatten them) and
    named with its count in the panel title. With ``fig`` (a briefing page) the chart is drawn
    into ``rect`` = (left, bottom, right, top) of that figure, as vector text.
    """
    by_status, by_reason = status_tables(parcels)
    if by_status.empty and by_reason.empty:
        raise InputError(
            "没有 idle_status 或 low_eff_reasons 列，无法统计 (no status or reason columns to chart)"
        )
    context = {
        style.IDLE_STATUS[k][0]: k
        for k in ("not_idle", "not_applicable")
        if style.IDLE_STATUS[k][0] in set(by_status["label"])
    }
    left_out = by_status[by_status["label"].isin(context)]
    by_status = by_status[~by_status["label"].isin(context)]
    note = "、".join(
        f"{label} {int(n):,} 宗" for label, n in zip(left_out["label"], left_out["count"], strict=True)
    )
    with mpl.rc_context(fonts.mpl_rc()):
        own = fig is None
        if fig is None:
            fig = _agg(Figure(figsize=(7.5, 5.5)))
        grid = fig.add_gridspec(
            2, 2, left=rect[0], bottom=rect[1], right=rect[2], top=rect[3], wspace=0.12, hspace=0.25
        )
        for row, (table, name) in enumerate(((by_status, "闲置认定"), (by_reason, "低效原因"))):
            for col, (value, unit) in enumerate((("count", "宗"), ("mu", "亩"))):
                ax = fig.add_subplot(grid[row, col])
                if table.empty:
                    ax.set_axis_off()
                    ax.text(0.5, 0.5, f"无{name}", ha="center", va="center", transform=ax.transAxes)
                    continue
                y = np.arange(len(table))
                ax.barh(
                    y, table[value].to_numpy(dtype=float), color=table["colour"].tolist(), edgecolor="#555555"
                )
                ax.set_yticks(y, table["label"].tolist() if col == 0 else [""] * len(table), fontsize=7)
                ax.invert_yaxis()
                ax.set_title(f"{name}（{unit}）", fontsize=9)
                ax.tick_params(axis="x", labelsize=7)
                for yi, v in zip(y, table[value].to_numpy(dtype=float), strict=True):
                    ax.text(
                        float(v),
                        float(yi),
                        f" {v:,.0f}" if unit == "宗" else f" {v:,.1f}",
                        va="center",
                        fontsize=7,
                    )
                ax.margins(x=0.25)
        if own:
            fig.suptitle(title, fontsize=11)
        if note:
            fig.text(rect[0], rect[1] - 0.04, f"未列入闲置统计：{note}", fontsize=7, color="#555555")
    return fig


def indicator_scores(indicators: Mapping[str, object], ideal: Mapping[str, float]) -> pd.DataFrame:
    """Ideal-value standardisation of each indicator present in both mappings (score 0–100).

    S = min(actual / ideal, 1) × 100 for positive indicators and min(ideal / actual, 1) × 100 for
    negative ones (:data:`NEGATIVE_INDICATORS`), domain.md §3 "Standardisation".
    """
    rows = []
    for key, ideal_value in ideal.items():
        actual = indicators.get(key)
        if style.is_missing(actual) or style.is_missing(ideal_value) or float(ideal_value) == 0:
            continue
        a, i = float(actual), float(ideal_value)  # type: ignore[arg-type]
        if key in NEGATIVE_INDICATORS:
            score = 100.0 if a <= 0 else min(i / a, 1.0) * 100
        else:
            score = min(a / i, 1.0) * 100
        label = INDICATOR_LABELS.get(key, (key, ""))[0]
        rows.append((key, label, a, i, score))
    return pd.DataFrame(rows, columns=["key", "label", "actual", "ideal", "score"])


def _indicator_value(key: str, value: float) -> str:
    """Format an indicator the way a report states it: rates in %, 万元/公顷 with separators."""
    if key.endswith("_rate") or key in ("building_density", "industrial_building_coef"):
        return f"{value * 100:.1f}%"
    if key.endswith("_intensity"):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def indicator_profile(
    indicators: Mapping[str, object], ideal: Mapping[str, float], *, title: str = "集约利用指标与理想值"
) -> Figure:
    """Bars of each indicator's standardised score (actual against its ideal value, 100 = ideal reached)."""
    scores = indicator_scores(indicators, ideal)
    if scores.empty:
        raise InputError("指标与理想值没有共同项 (no indicator has both an actual and an ideal value)")
    with mpl.rc_context(fonts.mpl_rc()):
        fig = _figure((7.0, 0.45 * len(scores) + 1.4))
        ax = fig.add_subplot()
        y = np.arange(len(scores))
        colours = ["#1a9850" if s >= 100 else "#fdae61" if s >= 60 else "#d73027" for s in scores["score"]]
        ax.barh(y, scores["score"], color=colours, edgecolor="#555555")
        ax.axvline(100, color="#333333", lw=1, ls="--")
        ax.set_yticks(y, scores["label"].tolist(), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 135)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("标准化得分（理想值 = 100）")
        for yi, key, score, actual, ideal_value in zip(
            y, scores["key"], scores["score"].to_numpy(float), scores["actual"], scores["ideal"], strict=True
        ):
            text = f"{_indicator_value(key, actual)} / 理想 {_indicator_value(key, ideal_value)}"
            ax.text(
                float(score) + 1,
                float(yi),
                text,
                va="center",
                fontsize=7,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6},
            )
        ax.set_title(title)
    return fig
