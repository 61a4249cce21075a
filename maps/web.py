"""Folium web maps of an analysis, a plan and a comparison of plans (contract.md §7).

Builders are pure: each returns a :class:`folium.Map` (or :class:`folium.plugins.DualMap`) and writes
nothing; :func:`save_map` writes the HTML atomically, optionally with every asset inlined
(:mod:`maps.offline`).

Display preparation (:func:`display_frame`), applied to every layer:

1. the layer must have a CRS (a layer without one is refused, never guessed);
2. geometry is simplified to the display scale in metres (``simplify_m``, default 0.5 m: below a
   screen pixel at zoom 18, ≈ 0.6 m/px at 22.6°N) in the layer's projected CRS;
3. reprojected to EPSG:4326 (CGCS2000 ≈ WGS-84, domain.md §8);
4. for a GCJ-02 basemap (``gaode``) shifted WGS-84 → GCJ-02 *for display only*;
5. coordinates rounded to 6 decimals (≈ 0.1 m), which with GEOS' shortest float output keeps a
   50 000-parcel map under the 15 MB budget (``bench/bench_maps.py``).

Large layers (≥ :data:`CANVAS_THRESHOLD` features) are drawn on a canvas renderer instead of SVG.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from folium import plugins

from geo.errors import CRSError, InputError, NoSolutionError
from geo.indicators import INDICATOR_KEYS
from geo.vocab import INDICATORS, PLAN_STATUS_ZH, ZONE_TYPE_ZH, Indicator

from . import fonts, gcj02, style
from .basemaps import Basemap, get_basemap
from .leaflet import (
    CANVAS_THRESHOLD,
    COMPACT_THRESHOLD,
    CONTEXT_FILL,
    CONTEXT_LAYER_NAME,
    DECIMALS,
    CompactParcelLayer,
    ContextLayer,
    Fill,
    FitAroundPanels,
    InfoPanel,
    LayerLegend,
    MetricScale,
    ParcelData,
    Popup,
    ReadySignal,
    SearchOpensPopup,
    _PanhuoCss,
)
from .offline import inline_assets

#: indicators.json keys shown in the info panel → (label, kind): every indicator but the zone type
#: (shown on its own) and the potential (a group); contract.md §5, labels from geo.vocab
INDICATOR_LABELS: dict[str, Indicator] = {
    key: INDICATORS[key] for key in INDICATOR_KEYS if key not in ("zone_type", "potential")
}
ZONE_TYPES = ZONE_TYPE_ZH


# --------------------------------------------------------------------------------------------
# display preparation


def display_frame(
    gdf: gpd.GeoDataFrame,
    *,
    basemap: Basemap,
    simplify_m: float = 0.5,
    layer_name: str = "parcels",
) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` ready to draw: simplified, in EPSG:4326, shifted for GCJ-02 tiles, rounded.

    Parameters
    ----------
    gdf
        Any layer with a CRS.
    basemap
        The basemap the layer is drawn on (decides the GCJ-02 display shift).
    simplify_m
        Douglas–Peucker tolerance in metres (topology preserved); 0 disables it.
    layer_name
        Named in error messages.

    Raises
    ------
    CRSError
        If the layer has no CRS.

    """
    if gdf.crs is None:
        raise CRSError(
            f"图层 {layer_name} 没有坐标系 (layer {layer_name!r} has no CRS): "
            "请在数据中声明坐标系或用 --crs 指定，"
            "例如 EPSG:4546 (CGCS2000 / 3度带 CM 111E)"
        )
    frame = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    geoms = frame.geometry.to_numpy()
    if simplify_m > 0 and len(frame):
        if frame.crs.is_projected:
            geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        else:
            # degrees: the metre tolerance at the layer's latitude (1° ≈ 111 320 m)
            geoms = shapely.simplify(geoms, simplify_m / 111_320.0, preserve_topology=True)
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=list(geoms), crs=frame.crs)
    out = out.to_crs(4326)
    coords = out.geometry.to_numpy()
    if basemap.shifts_overlays:
        coords = shapely.transform(coords, gcj02.shift_coords)
    coords = shapely.transform(coords, lambda xy: np.round(xy, DECIMALS))
    out = out.set_geometry(list(coords), crs=4326)
    return out


def _feature_collection(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict[str, Any]:
    """Return a GeoJSON dict with only ``columns`` as properties (all already JSON-safe strings/numbers)."""
    sub = frame[[*list(columns), frame.geometry.name]]
    data: dict[str, Any] = json.loads(sub.to_json(drop_id=True, na="null"))
    for i, feature in enumerate(data["features"]):
        feature["id"] = i
    return data


def _bounds(frames: Sequence[gpd.GeoDataFrame]) -> list[list[float]]:
    boxes = np.array([f.total_bounds for f in frames if len(f)])
    minx, miny = boxes[:, 0].min(), boxes[:, 1].min()
    maxx, maxy = boxes[:, 2].max(), boxes[:, 3].max()
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


# --------------------------------------------------------------------------------------------
# the page: a new map, its tools, its finish


def _new_map(bounds: list[list[float]], basemap: Basemap, *, canvas: bool, title: str) -> folium.Map:
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=14,
        tiles=None,
        prefer_canvas=canvas,
        control_scale=False,
        max_zoom=19,
        zoom_snap=0.25,
    )
    cast(Figure, m.get_root()).title = title
    basemap.add_to(m)
    _PanhuoCss().add_to(m)
    MetricScale(m.get_name()).add_to(m)
    return m  # fitted to ``bounds`` by FitAroundPanels once every panel is on it (see _finish)


def _add_tools(m: folium.Map, search_layer: folium.GeoJson | folium.FeatureGroup | None) -> None:
    plugins.Fullscreen(position="topleft", title="全屏", title_cancel="退出全屏").add_to(m)
    plugins.MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares",
    ).add_to(m)
    if search_layer is not None:
        plugins.Search(
            layer=search_layer,
            search_label="parcel_id",
            geom_type="Polygon",
            placeholder="搜索地块编号",
            collapsed=False,
            position="topright",
        ).add_to(m)
        SearchOpensPopup(search_layer.get_name()).add_to(m)


def _finish(m: folium.Map, bounds: list[list[float]]) -> folium.Map:
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    FitAroundPanels(m.get_name(), bounds).add_to(m)
    ReadySignal(m.get_name()).add_to(m)
    return m


def _polygon_layer(
    frame: gpd.GeoDataFrame, name: str, fill: Fill, popup: Popup, *, show: bool = True
) -> folium.GeoJson:
    """One GeoJson overlay coloured by the code in property ``key``."""
    columns = list(dict.fromkeys([*popup.fields, *popup.tips, fill.key]))
    data = _feature_collection(frame, columns)

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        colour = fill.palette.get(feature["properties"].get(fill.key) or "", fill.default_colour)
        return {"fillColor": colour, "color": "#444444", "weight": 0.6, "fillOpacity": fill.opacity}

    def highlight_fn(_feature: dict[str, Any]) -> dict[str, Any]:
        return {"weight": 2.5, "color": "#000000"}

    return folium.GeoJson(
        data,
        name=name,
        show=show,
        style_function=style_fn,
        highlight_function=highlight_fn,
        popup=folium.GeoJsonPopup(fields=list(popup.fields), aliases=list(popup.labels), max_width=380),
        tooltip=folium.GeoJsonTooltip(fields=list(popup.tips), aliases=list(popup.tip_labels), sticky=True),
        smooth_factor=0.5,
    )


def context_frame(
    context: gpd.GeoDataFrame | None,
    plan_parcels: Sequence[gpd.GeoDataFrame | None],
    bm: Basemap,
    simplify_m: float,
) -> gpd.GeoDataFrame | None:
    """Return the park's parcels that the plans do not all draw, ready to draw (None without context).

    Parcels whose ``parcel_id`` is among the own parcels of every plan in ``plan_parcels`` are left
    out: they are drawn in colour above on every side, and leaving them out keeps the page small and
    the colours true. A parcel only some plans hold stays, so no side shows a hole.
    """
    if context is None or not len(context):
        return None
    frame = context
    if "parcel_id" in context.columns:
        id_sets = [
            set(parcels["parcel_id"].astype(str))
            for parcels in plan_parcels
            if parcels is not None and "parcel_id" in parcels.columns
        ]
        drawn = set.intersection(*id_sets) if len(id_sets) == len(plan_parcels) and id_sets else set()
        frame = context[~context["parcel_id"].astype(str).isin(drawn).to_numpy()]
    frame = display_frame(
        frame[[frame.geometry.name]], basemap=bm, simplify_m=simplify_m, layer_name="context"
    )
    return frame if len(frame) else None


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts(dropna=True).items()}


# --------------------------------------------------------------------------------------------
# analysis map


def _indicator_rows(indicators: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if not indicators:
        return []
    rows: list[tuple[str, str]] = []
    if indicators.get("zone_type") in ZONE_TYPES:
        rows.append((INDICATORS["zone_type"].label, ZONE_TYPES[indicators["zone_type"]]))
    for key, (label, kind) in INDICATOR_LABELS.items():
        value = indicators.get(key)
        if style.is_missing(value):
            continue
        if kind == "percent":
            rows.append((label, style.fmt_percent(value)))
        elif kind == "ratio":
            rows.append((label, style.fmt_number(value, 2)))
        else:
            rows.append((label, style.fmt_number(value, 1)))
    potential = indicators.get("potential") or {}
    if isinstance(potential, Mapping):
        if not style.is_missing(potential.get("expansion_ha")):
            rows.append(("扩展潜力（公顷）", style.fmt_number(potential["expansion_ha"], 1)))
        if not style.is_missing(potential.get("intensity_floor_area_m2")):
            rows.append(
                ("挖潜建筑面积（万m²）", style.fmt_number(potential["intensity_floor_area_m2"] / 1e4, 1))
            )
        if not style.is_missing(potential.get("years_of_supply")):
            rows.append(("可供地年限（年）", style.fmt_number(potential["years_of_supply"], 1)))
    return rows


def _select_for_display(
    parcels: gpd.GeoDataFrame, max_features: int | None
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Cap the number of drawn parcels: flagged (idle / low-efficiency) first, then the largest."""
    if max_features is None or len(parcels) <= max_features:
        return parcels, None
    flagged = np.zeros(len(parcels), dtype=bool)
    if "idle_status" in parcels:
        flagged |= parcels["idle_status"].isin(style.IDLE_CODES).to_numpy()
    if "low_efficiency" in parcels:
        flagged |= style.true_flags(parcels["low_efficiency"]).to_numpy()
    area = parcels.geometry.area.to_numpy()
    order = np.lexsort((-area, ~flagged))[:max_features]
    kept = parcels.iloc[np.sort(order)]
    return kept, f"仅显示 {len(kept):,} / {len(parcels):,} 宗地块（优先显示闲置、低效及面积较大者）"


@dataclass(frozen=True)
class Display:
    """How a web map prepares its layers for the page.

    ``simplify_m``: the display simplification tolerance in metres (:func:`display_frame`).
    ``compact`` (analysis map): embed the parcels once in compact form (:class:`ParcelData`) and
    draw every overlay from it on a canvas; default (None): when there are :data:`COMPACT_THRESHOLD`
    parcels or more. This is what keeps a 50 000-parcel page under 15 MB.
    """

    simplify_m: float = 0.5
    compact: bool | None = None


def _analysis_frame(
    shown: gpd.GeoDataFrame, bm: Basemap, simplify_m: float
) -> tuple[gpd.GeoDataFrame, Popup]:
    """Return the parcels ready to draw, with their popup labels and codes, and what the popup shows.

    Codes: ``_status`` (idle status), ``_class`` (亩均 class), ``_reason`` (first reason) and
    ``_low_reason`` (first reason of a low-efficiency parcel, else empty).
    """
    frame = display_frame(shown, basemap=bm, simplify_m=simplify_m, layer_name="parcels")
    labels = style.popup_values(frame)
    for column in labels.columns:
        frame[column] = labels[column]
    popup_fields = [c for c in style.POPUP_FIELDS if c in frame.columns]
    raw = shown.loc[frame.index]

    def codes(column: str) -> pd.Series | str:
        return raw[column].astype(object).where(raw[column].notna(), "") if column in raw else ""

    frame["_status"] = codes("idle_status")
    frame["_class"] = codes("mujun_class")
    frame["_reason"] = (
        raw["low_eff_reasons"].map(style.primary_reason).fillna("") if "low_eff_reasons" in raw else ""
    )
    frame["_low_reason"] = ""
    if "low_eff_reasons" in raw.columns:
        low_flag = (
            style.true_flags(raw["low_efficiency"])
            if "low_efficiency" in raw
            else raw["low_eff_reasons"].ne("")
        )
        frame["_low_reason"] = frame["_reason"].where(low_flag.to_numpy(), "")
    tooltip_fields = ["parcel_id", *(["idle_status"] if "idle_status" in raw.columns else [])]
    popup = Popup(
        popup_fields,
        [style.POPUP_FIELDS[c] for c in popup_fields],
        tooltip_fields,
        [style.POPUP_FIELDS[c] for c in tooltip_fields],
    )
    return frame, popup


@dataclass(frozen=True)
class _Overlays:
    """The analysis map's thematic overlays: GeoJSON layers, or compact ones drawn from ``data``."""

    m: folium.Map
    frame: gpd.GeoDataFrame
    popup: Popup
    data: ParcelData | None

    def add(
        self, mask: pd.Series | None, name: str, fill: Fill, keep: Sequence[str] | None, *, show: bool = True
    ) -> folium.GeoJson | folium.FeatureGroup:
        """Add one overlay of the parcels in ``mask`` (all when None) coloured by ``fill``."""
        layer: folium.GeoJson | folium.FeatureGroup
        if self.data is None:
            frame = self.frame if mask is None else self.frame[mask]
            layer = _polygon_layer(frame, name, fill, self.popup, show=show)
        else:
            layer = CompactParcelLayer(self.data, name, fill, self.popup, keep=keep, show=show)
        layer.add_to(self.m)
        return layer

    def legend(self, layer: folium.map.Layer, title: str, entries: list[tuple[str, str, int | None]]) -> None:
        """Add the legend that shows and hides with ``layer``."""
        LayerLegend(layer, self.m.get_name(), title, entries).add_to(self.m)


def _add_base_layer(overlays: _Overlays, raw: gpd.GeoDataFrame) -> folium.GeoJson | folium.FeatureGroup:
    """Step 1: every parcel, by 亩均 class when evaluated."""
    if "mujun_class" in raw.columns:
        colours = {k: c for k, (_, c) in style.MUJUN_CLASS.items()}
        base = overlays.add(None, "亩均效益分类", Fill("_class", colours, style.MUJUN_NONE[1], 0.6), None)
        counts = _counts(raw["mujun_class"])
        entries: list[tuple[str, str, int | None]] = [
            (label, c, counts.get(k, 0)) for k, (label, c) in style.MUJUN_CLASS.items()
        ]
        entries.append((style.MUJUN_NONE[0], style.MUJUN_NONE[1], int(raw["mujun_class"].isna().sum())))
        overlays.legend(base, "亩均效益分类（宗）", entries)
    else:
        base = overlays.add(None, "地块", Fill("_class", {}, "#9ecae1", 0.5), None)
        overlays.legend(base, "地块（宗）", [("地块", "#9ecae1", len(overlays.frame))])
    return base


def _add_idle_layer(overlays: _Overlays) -> bool:
    """Step 2: idle land by status; False when no parcel is idle (nor of unknown status)."""
    frame = overlays.frame
    idle_mask = frame["_status"].isin([*style.IDLE_CODES, "unknown"])
    if not idle_mask.any():
        return False
    colours = {k: c for k, (_, c) in style.IDLE_STATUS.items()}
    counts = _counts(frame.loc[idle_mask, "_status"])
    layer = overlays.add(idle_mask, "闲置土地认定", Fill("_status", colours, opacity=0.8), list(counts))
    entries: list[tuple[str, str, int | None]] = [
        (label, c, counts[k]) for k, (label, c) in style.IDLE_STATUS.items() if k in counts
    ]
    overlays.legend(layer, "闲置土地认定（宗）", entries)
    return True


def _add_low_layer(overlays: _Overlays) -> bool:
    """Step 3: low-efficiency land by first reason (off at first); False when no parcel is low-efficiency."""
    frame = overlays.frame
    low_mask = frame["_low_reason"].ne("")
    if not low_mask.any():
        return False
    colours = {k: c for k, (_, c) in style.LOW_EFF_REASONS.items()}
    counts = _counts(frame.loc[low_mask, "_low_reason"])
    fill = Fill("_low_reason", colours, opacity=0.8)
    layer = overlays.add(low_mask, "低效用地（首要原因）", fill, list(counts), show=False)
    entries: list[tuple[str, str, int | None]] = [
        (label, c, counts[k]) for k, (label, c) in style.LOW_EFF_REASONS.items() if k in counts
    ]
    overlays.legend(layer, "低效用地·首要原因（宗）", entries)
    return True


def _analysis_rows(parcels: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Return the info panel's figures, over every parcel (also those a ``max_features`` cap leaves out)."""
    rows = [("地块总数", f"{len(parcels):,} 宗")]
    if "area_mu" in parcels.columns:
        rows.append(
            ("总面积", style.fmt_number(pd.to_numeric(parcels["area_mu"], errors="coerce").sum(), 1, "亩"))
        )
    if "idle_status" in parcels.columns:
        idle_all = parcels["idle_status"].isin(style.IDLE_CODES)
        rows.append(("闲置土地", f"{int(idle_all.sum()):,} 宗"))
        if "area_mu" in parcels.columns:
            rows.append(("闲置面积", style.fmt_number(parcels.loc[idle_all, "area_mu"].sum(), 1, "亩")))
        if "idle_fee_wan" in parcels.columns:
            rows.append(("应征闲置费", style.fmt_number(parcels["idle_fee_wan"].sum(), 1, "万元")))
    if "low_efficiency" in parcels.columns:
        rows.append(("低效用地", f"{int(style.true_flags(parcels['low_efficiency']).sum()):,} 宗"))
    return rows


def analysis_map(
    parcels: gpd.GeoDataFrame,
    indicators: dict | None = None,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    max_features: int | None = None,
    title: str = "存量土地盘活分析图",
    imagery: bool = False,
    display: Display = Display(),
) -> folium.Map:
    """Build the analysis web map: parcels by 亩均 class, idle status and low-efficiency reason.

    Parameters
    ----------
    parcels
        Parcels with the contract §3 columns (any subset; a raw layer shows what it has), in any CRS.
    indicators
        ``indicators.json`` content for the info panel (contract §5), or None.
    basemap, tianditu_key, imagery
        See :func:`maps.basemaps.get_basemap`.
    max_features
        Draw at most this many parcels (idle / low-efficiency first); the panel says how many.
    title
        Page title and info-panel heading.
    display
        Simplification tolerance and compact encoding (:class:`Display`).

    Returns
    -------
    folium.Map
        Overlays: 地块（亩均效益分类 / or plain), 闲置土地认定, 低效用地（首要原因）, each with its own
        legend; popups with the parcel's facts in Chinese; tooltip; measure, fullscreen, search by
        parcel id; an info panel with the zone's key indicators.

    Raises
    ------
    InputError
        No parcels, or no ``parcel_id`` column.
    CRSError
        The layer has no CRS.

    """
    if "parcel_id" not in parcels.columns:
        raise InputError("地块图层缺少 parcel_id（地块编号）列 (the parcel layer has no parcel_id column)")
    if len(parcels) == 0:
        raise InputError("没有可显示的地块 (no parcels to show): 图层为空或筛选结果为空")
    bm = get_basemap(basemap, tianditu_key=tianditu_key, imagery=imagery)
    shown, cap_note = _select_for_display(parcels, max_features)
    frame, popup = _analysis_frame(shown, bm, display.simplify_m)
    raw = shown.loc[frame.index]
    bounds = _bounds([frame])
    m = _new_map(bounds, bm, canvas=len(frame) >= CANVAS_THRESHOLD, title=title)
    use_compact = len(frame) >= COMPACT_THRESHOLD if display.compact is None else display.compact
    data = ParcelData(frame, [*popup.fields, "_status", "_class", "_low_reason"]) if use_compact else None
    if data is not None:
        data.add_to(m)
    overlays = _Overlays(m, frame, popup, data)
    base = _add_base_layer(overlays, raw)
    notes: list[str] = [cap_note] if cap_note else []
    if "idle_status" in raw.columns and not _add_idle_layer(overlays):
        notes.append("未认定闲置土地")
    if "low_eff_reasons" in raw.columns and not _add_low_layer(overlays):
        notes.append("未认定低效用地")
    rows = _analysis_rows(parcels)
    if bm.shifts_overlays:
        notes.append("高德底图为GCJ-02：叠加图层已作显示偏移，数据本身未改动")
    InfoPanel(m.get_name(), title, rows, notes, more=_indicator_rows(indicators)).add_to(m)
    _add_tools(m, base)
    return _finish(m, bounds)


# --------------------------------------------------------------------------------------------
# plan map


def _check_plan(plan: Mapping[str, Any], name: str = "方案") -> None:
    status = plan.get("status")
    if status in ("infeasible", "no_solution") or status is None:
        diagnosis = plan.get("diagnosis") or []
        why = "；".join(str(d) for d in diagnosis) if diagnosis else "无诊断信息"
        raise NoSolutionError(
            f"{name} 没有可绘制的解 (plan has no solution, status={status!r})：{why}。"
            "请放宽情景中的约束（预算、数量、面积、半径）后重新求解"
        )


def _projected(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise CRSError(f"图层 {name} 没有坐标系 (layer {name!r} has no CRS)")
    return gdf if gdf.crs.is_projected else gdf.to_crs(gdf.estimate_utm_crs())


def _plan_parcel_frame(parcels: gpd.GeoDataFrame, bm: Basemap, simplify_m: float) -> gpd.GeoDataFrame:
    if "parcel_id" not in parcels.columns:
        raise InputError("方案地块图层缺少 parcel_id 列 (plan parcels have no parcel_id column)")
    frame = display_frame(parcels, basemap=bm, simplify_m=simplify_m, layer_name="plan parcels")
    raw = parcels.loc[frame.index]
    ftype = raw["facility_type"] if "facility_type" in raw else pd.Series(None, index=raw.index, dtype=object)
    action = raw["action"] if "action" in raw else pd.Series(None, index=raw.index, dtype=object)
    styled = [style.action_style(a, t) for a, t in zip(action, ftype, strict=True)]
    frame["_action"] = [s[0] for s in styled]
    frame["_colour"] = [s[1] for s in styled]
    frame["parcel_id"] = raw["parcel_id"].astype(str)
    frame["action_label"] = frame["_action"]
    frame["cost"] = (
        raw["cost_wan"].map(lambda v: style.fmt_number(v, 1)) if "cost_wan" in raw else style.MISSING
    )
    if "area_mu" in raw:
        frame["area"] = raw["area_mu"].map(lambda v: style.fmt_number(v, 2))
    elif "area_m2" in raw:
        frame["area"] = (pd.to_numeric(raw["area_m2"], errors="coerce") * 3 / 2000).map(
            lambda v: style.fmt_number(v, 2)
        )
    else:
        frame["area"] = style.fmt_number(raw.to_crs(_projected(raw, "parcels").crs).area * 3 / 2000, 2)
    frame["status"] = raw["idle_status"].map(style.idle_label) if "idle_status" in raw else style.MISSING
    return frame


_PLAN_POPUP = (
    ["parcel_id", "action_label", "area", "cost", "status"],
    ["地块编号", "方案动作", "面积（亩）", "费用（万元）", "现状认定"],
)


def served_areas(demand: gpd.GeoDataFrame, *, buffer_m: float = 25.0, ratio: float = 0.3) -> gpd.GeoDataFrame:
    """Envelope of the demand each site actually serves, from the plan's assignment columns.

    For every facility type with ``site_<type>`` (the assigned site) and ``covered_<type>`` columns,
    the covered demand points of each site are wrapped in a concave hull (``ratio``, shapely) grown by
    ``buffer_m`` metres. Under ``distance: network`` this shows the real (road-network) catchment
    that a straight-line radius misrepresents; it is the envelope of the assigned points, not a
    network isochrone.

    Returns
    -------
    GeoDataFrame
        ``type``, ``site_id``, ``points`` (covered demand points) and ``weight`` per site, in the
        demand layer's projected CRS (empty when the layer has no assignment columns).

    """
    proj = _projected(demand, "demand")
    weight = (
        pd.to_numeric(proj["weight"], errors="coerce").fillna(1.0)
        if "weight" in proj
        else pd.Series(1.0, index=proj.index)
    )
    parts = []
    for column in [c for c in proj.columns if c.startswith("site_")]:
        ftype = column[len("site_") :]
        assigned = proj[column].notna() & proj[column].astype(str).ne("")
        if f"covered_{ftype}" in proj:
            assigned &= proj[f"covered_{ftype}"].fillna(False).astype(bool)
        sub = proj[assigned.to_numpy()]
        if not len(sub):
            continue
        codes, sites = pd.factorize(sub[column].astype(str))
        order = np.argsort(codes, kind="stable")  # multipoints() wants the part indices sorted
        coords = shapely.get_coordinates(sub.geometry.to_numpy())[order]
        points = shapely.multipoints(coords, indices=codes[order])
        hulls = shapely.buffer(shapely.concave_hull(points, ratio=ratio), buffer_m)
        parts.append(
            gpd.GeoDataFrame(
                {
                    "type": ftype,
                    "site_id": list(sites),
                    "points": np.bincount(codes),
                    "weight": np.bincount(codes, weights=weight[assigned].to_numpy()),
                },
                geometry=hulls,
                crs=proj.crs,
            )
        )
    if not parts:
        return gpd.GeoDataFrame(
            {"type": [], "site_id": [], "points": [], "weight": []}, geometry=[], crs=proj.crs
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=proj.crs)


@dataclass(frozen=True)
class PlanSide:
    """How one plan is laid on a map (a plan map, or one side of a comparison).

    ``label`` prefixes the layer names (comparison maps); ``show`` switches the plan's layers on at
    first; ``highlight_ids`` are outlined as differing from the other plan; ``context=False`` adds
    the service areas and demand switched off, so a crowded side-by-side view starts with the actions
    and the sites; ``others`` (the park's parcels drawn grey beneath, see :class:`ContextLayer`) gets
    a legend row; legends go to ``legend_position``.
    """

    label: str = ""
    show: bool = True
    highlight_ids: frozenset[str] = frozenset()
    context: bool = True
    others: int = 0
    legend_position: str = "bottomright"

    @property
    def prefix(self) -> str:
        """The layer-name prefix (``<label>·``, or nothing)."""
        return f"{self.label}·" if self.label else ""

    def legend(
        self, target: folium.Map, layer: folium.map.Layer, title: str, entries: Any, **kw: Any
    ) -> None:
        """Add the legend that shows and hides with ``layer``, where this side keeps its legends."""
        LayerLegend(layer, target.get_name(), title, entries, position=self.legend_position, **kw).add_to(
            target
        )


def _add_plan_layers(
    target: folium.Map,
    plan_layers: Mapping[str, gpd.GeoDataFrame],
    bm: Basemap,
    *,
    simplify_m: float,
    side: PlanSide = PlanSide(),
) -> tuple[folium.GeoJson | None, list[folium.map.Layer]]:
    """Add the plan's parcels, sites with service areas and demand to ``target``; return the parcel layer.

    The covered demand points start switched off (a thousand blue dots hide the parcels; the service
    radii show the coverage), the uncovered ones on.
    """
    added: list[folium.map.Layer] = []
    parcel_layer = None
    parcels = plan_layers.get("parcels")
    if parcels is not None and len(parcels):
        frame = _plan_parcel_frame(parcels, bm, simplify_m)
        parcel_layer = _add_action_layer(target, frame, side)
        added.append(parcel_layer)
        diff = frame[frame["parcel_id"].isin(side.highlight_ids)] if side.highlight_ids else frame.iloc[:0]
        if len(diff):
            added.append(_add_diff_layer(target, diff, side))
    sites = plan_layers.get("sites")
    if sites is not None and len(sites):
        added += _add_site_layers(target, sites, plan_layers.get("demand"), bm, side)
    demand = plan_layers.get("demand")
    if demand is not None and len(demand):
        added += _add_demand_layers(
            target,
            demand,
            bm,
            prefix=side.prefix,
            show=side.show and side.context,
            position=side.legend_position,
        )
    return parcel_layer, added


def _add_action_layer(target: folium.Map, frame: gpd.GeoDataFrame, side: PlanSide) -> folium.GeoJson:
    """Step 1: the candidate parcels coloured by their action, with the legend (and the park's row)."""
    data = _feature_collection(frame, [*_PLAN_POPUP[0], "_colour", "_action"])

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        return {
            "fillColor": feature["properties"]["_colour"],
            "color": "#444444",
            "weight": 0.6,
            "fillOpacity": 0.75,
        }

    layer = folium.GeoJson(
        data,
        name=f"{side.prefix}地块方案动作",
        show=side.show,
        style_function=style_fn,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        popup=folium.GeoJsonPopup(fields=_PLAN_POPUP[0], aliases=_PLAN_POPUP[1], max_width=360),
        tooltip=folium.GeoJsonTooltip(fields=["parcel_id", "action_label"], aliases=["地块编号", "方案动作"]),
    )
    layer.add_to(target)
    counts = frame["_action"].value_counts()
    colour_of = dict(zip(frame["_action"], frame["_colour"], strict=True))
    entries = [(a, colour_of[a], int(n)) for a, n in counts.items()]
    if side.others:
        entries.append((f"{CONTEXT_LAYER_NAME}（非候选）", CONTEXT_FILL, side.others))
    side.legend(target, layer, "地块方案动作（宗）", entries)
    return layer


def _add_diff_layer(target: folium.Map, diff: gpd.GeoDataFrame, side: PlanSide) -> folium.GeoJson:
    """Step 2 (comparisons): the parcels whose action differs from the other plan, outlined in magenta."""
    layer = folium.GeoJson(
        _feature_collection(diff, ["parcel_id", "action_label"]),
        name=f"{side.prefix}方案差异地块",
        show=side.show,
        style_function=lambda _f: {"fill": False, "color": "#ff00ff", "weight": 3.5, "dashArray": "6 4"},
        tooltip=folium.GeoJsonTooltip(
            fields=["parcel_id", "action_label"], aliases=["差异地块", "本方案动作"]
        ),
    )
    layer.add_to(target)
    side.legend(target, layer, "方案差异", [("两方案动作不同的地块", "#ff00ff", len(diff))])
    return layer


@dataclass(frozen=True)
class _Sites:
    """The plan's sites in a projected CRS, with their type, colour and label per type."""

    proj: gpd.GeoDataFrame
    types: pd.Series
    colours: dict[str, str]
    labels: dict[str, str]

    @classmethod
    def of(cls, sites: gpd.GeoDataFrame) -> _Sites:
        """Return the sites of ``sites`` with colours and labels by facility type (in order of first use)."""
        proj = _projected(sites, "sites")
        types = proj["type"].astype(str) if "type" in proj else pd.Series("facility", index=proj.index)
        type_list = list(dict.fromkeys(types))
        colours = {t: style.facility_style(t, i)[1] for i, t in enumerate(type_list)}
        labels = {t: style.facility_style(t, i)[0] for i, t in enumerate(type_list)}
        return cls(proj, types, colours, labels)


def _add_site_layers(
    target: folium.Map,
    sites: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame | None,
    bm: Basemap,
    side: PlanSide,
) -> list[folium.map.Layer]:
    """Step 3: the service radii, the sites and (with an assignment) the areas each site serves."""
    s = _Sites.of(sites)
    added: list[folium.map.Layer] = []
    radii = _service_radii(target, s, bm, side)
    if radii is not None:
        added.append(radii)
    added.append(_site_points(target, s, bm, side))
    areas = served_areas(demand) if demand is not None and len(demand) else None
    if areas is not None and len(areas):
        added.append(_served_area_layer(target, areas, s, bm, side))
    return added


def _service_radii(target: folium.Map, s: _Sites, bm: Basemap, side: PlanSide) -> folium.GeoJson | None:
    """Each site's service radius: a true circle buffered in metres, outlined only (None without radii)."""
    proj, types = s.proj, s.types
    radius = pd.to_numeric(proj["radius_m"], errors="coerce") if "radius_m" in proj else None
    if radius is None or not radius.notna().any():
        return None
    circles = proj[radius.notna()].copy()
    circles = circles.set_geometry(circles.geometry.buffer(radius[radius.notna()].to_numpy(), 48))
    cframe = display_frame(circles, basemap=bm, simplify_m=0, layer_name="service areas")
    cframe["_colour"] = types.loc[cframe.index].map(s.colours)
    cframe["label"] = (
        types.loc[cframe.index].map(s.labels)
        + "服务半径 "
        + radius.loc[cframe.index].map(lambda r: f"{r:,.0f} m")
    )
    layer = folium.GeoJson(
        _feature_collection(cframe, ["_colour", "label"]),
        name=f"{side.prefix}设施服务半径",
        show=side.show and side.context,
        # outline only: a filled circle would take the clicks meant for the parcels beneath,
        # and a dozen overlapping fills veil the map
        style_function=lambda f: {
            "color": f["properties"]["_colour"],
            "fill": False,
            "weight": 1.5,
            "dashArray": "4 3",
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=["服务范围"]),
    )
    layer.add_to(target)
    return layer


def _site_points(target: folium.Map, s: _Sites, bm: Basemap, side: PlanSide) -> folium.GeoJson:
    """Add the sites as markers (new ones edged black, existing white), with the legend by type."""
    proj, types = s.proj, s.types
    sframe = display_frame(proj, basemap=bm, simplify_m=0, layer_name="sites")
    sframe["_colour"] = types.loc[sframe.index].map(s.colours)
    sframe["type_label"] = types.loc[sframe.index].map(s.labels)
    existing = (
        proj["existing"].fillna(False).astype(bool)
        if "existing" in proj
        else pd.Series(False, index=proj.index)
    )
    sframe["_existing"] = existing.loc[sframe.index].map({True: "现有设施", False: "新建设施"})
    for column, default in (("site_id", ""), ("parcel_id", ""), ("served_demand", None)):
        sframe[column] = proj[column].loc[sframe.index] if column in proj else default
    sframe["served"] = sframe["served_demand"].map(lambda v: style.fmt_number(v, 0))
    sframe["site_id"] = sframe["site_id"].astype(str)
    sframe["parcel_id"] = sframe["parcel_id"].map(lambda v: style.MISSING if style.is_missing(v) else str(v))
    layer = folium.GeoJson(
        _feature_collection(sframe, ["site_id", "type_label", "_existing", "parcel_id", "served", "_colour"]),
        name=f"{side.prefix}公共设施选址",
        show=side.show,
        marker=folium.CircleMarker(radius=7, weight=2, fill_opacity=0.95),
        style_function=lambda f: {
            "fill": True,
            "fillColor": f["properties"]["_colour"],
            "fillOpacity": 0.95,
            "color": "#000000" if f["properties"]["_existing"] == "新建设施" else "#ffffff",
        },
        popup=folium.GeoJsonPopup(
            fields=["site_id", "type_label", "_existing", "parcel_id", "served"],
            aliases=["设施编号", "设施类型", "新建/现有", "所在地块", "服务需求量"],
        ),
        tooltip=folium.GeoJsonTooltip(fields=["type_label", "_existing"], aliases=["设施", "类别"]),
    )
    layer.add_to(target)
    entries = [(s.labels[t], s.colours[t], int((types == t).sum())) for t in s.labels]
    side.legend(target, layer, "公共设施（处）", entries, points=True)
    return layer


def _served_area_layer(
    target: folium.Map, areas: gpd.GeoDataFrame, s: _Sites, bm: Basemap, side: PlanSide
) -> folium.GeoJson:
    """Add the envelope of the demand each site is assigned and covers (:func:`served_areas`), off."""
    aframe = display_frame(areas, basemap=bm, simplify_m=1.0, layer_name="served areas")
    aframe["_colour"] = [
        s.colours.get(t, style.facility_style(t)[1]) for t in areas.loc[aframe.index, "type"]
    ]
    aframe["label"] = [
        f"{s.labels.get(t, style.facility_style(t)[0])} {sid}：服务 {n:,} 个需求点（权重 {w:,.0f}）"
        for t, sid, n, w in areas.loc[aframe.index, ["type", "site_id", "points", "weight"]].itertuples(
            index=False
        )
    ]
    layer = folium.GeoJson(
        _feature_collection(aframe, ["_colour", "label"]),
        name=f"{side.prefix}实际服务范围（按分配）",
        show=False,
        style_function=lambda f: {
            "color": f["properties"]["_colour"],
            "fillColor": f["properties"]["_colour"],
            "weight": 1.2,
            "fillOpacity": 0.12,
        },
        tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=["服务范围"]),
    )
    layer.add_to(target)
    side.legend(
        target,
        layer,
        "实际服务范围",
        [("各设施所分配且覆盖的需求点的包络（路网距离时即路网服务区）", "#bbbbbb", None)],
    )
    return layer


#: demand kinds of the sample park and the optimizer's scenarios → Chinese
DEMAND_KINDS = {"workers": "就业人口", "residents": "居住人口"}
#: the demand popup: column → label (``w``, ``pop`` and ``cover`` are made by :func:`_demand_frame`)
_DEMAND_POPUP = {
    "demand_id": "需求点编号",
    "kind_label": "需求类别",
    "w": "需求权重",
    "pop": "人口（人）",
    "parcel_id": "所在地块",
    "cover": "覆盖情况",
}


def _demand_frame(demand: gpd.GeoDataFrame, bm: Basemap) -> tuple[gpd.GeoDataFrame, pd.Series, pd.Series]:
    """Return the demand points ready to draw with their popup columns, the covered flag and the weight.

    ``cover`` says per facility type whether the point is covered and by which site
    (``covered_<type>``, ``site_<type>`` of the plan's assignment).
    """
    dframe = display_frame(demand, basemap=bm, simplify_m=0, layer_name="demand")
    raw = demand.loc[dframe.index]
    types = [c[len("covered_") :] for c in raw.columns if c.startswith("covered_")]
    flags = {t: raw[f"covered_{t}"].fillna(False).astype(bool) for t in types}
    covered = pd.concat(flags.values(), axis=1).any(axis=1) if flags else pd.Series(False, index=raw.index)
    weight = (
        pd.to_numeric(raw["weight"], errors="coerce").fillna(1.0)
        if "weight" in raw
        else pd.Series(1.0, index=raw.index)
    )
    dframe["w"] = weight.map(lambda v: style.fmt_number(v, 0))
    if "population" in raw:
        dframe["pop"] = raw["population"].map(lambda v: style.fmt_number(v, 0))
    if "kind" in raw:
        dframe["kind_label"] = raw["kind"].map(lambda k: DEMAND_KINDS.get(str(k), str(k)))
    for column in ("demand_id", "parcel_id"):
        if column in raw:
            dframe[column] = raw[column].map(lambda v: style.MISSING if style.is_missing(v) else str(v))

    texts = []
    for t in types:
        label = style.facility_style(t)[0]
        site = raw[f"site_{t}"] if f"site_{t}" in raw else pd.Series(None, index=raw.index, dtype=object)
        by = site.map(lambda v: "" if style.is_missing(v) or str(v) == "" else f"（{v}）")
        texts.append((label + "：已覆盖" + by).where(flags[t], label + "：未覆盖"))
    dframe["cover"] = (
        pd.concat(texts, axis=1).agg("；".join, axis=1) if texts else pd.Series("无覆盖信息", index=raw.index)
    )
    return dframe, covered, weight


def _add_demand_layers(
    target: folium.Map, demand: gpd.GeoDataFrame, bm: Basemap, *, prefix: str, show: bool, position: str
) -> list[folium.map.Layer]:
    """Add the demand points, covered and uncovered, each a toggleable layer with its legend and popups.

    The covered points start switched off (a thousand blue dots hide the parcels; the service radii
    show the coverage), the uncovered ones on when ``show``.
    """
    dframe, covered, weight = _demand_frame(demand, bm)
    fields = [c for c in _DEMAND_POPUP if c in dframe.columns]
    added: list[folium.map.Layer] = []
    demand_layers = (
        (True, "需求点·有设施覆盖", "#2171b5", "至少一类设施覆盖"),
        (False, "需求点·无设施覆盖", "#cb181d", "任何设施均未覆盖"),
    )
    for flag, name, colour, meaning in demand_layers:
        part = dframe[(covered == flag).to_numpy()]
        if not len(part):
            continue
        layer = folium.GeoJson(
            _feature_collection(part, fields),
            name=f"{prefix}{name}",
            show=show and not flag,
            marker=folium.CircleMarker(radius=3, weight=0, fill_opacity=0.8, fill_color=colour, color=colour),
            popup=folium.GeoJsonPopup(
                fields=fields, aliases=[_DEMAND_POPUP[c] for c in fields], max_width=360
            ),
            tooltip=folium.GeoJsonTooltip(fields=["w"], aliases=["需求权重"]),
        )
        layer.add_to(target)
        added.append(layer)
        share = weight[(covered == flag)].sum() / max(weight.sum(), 1e-12)
        LayerLegend(
            layer,
            target.get_name(),
            name,
            [(f"{len(part):,} 点，权重占 {share * 100:.1f}%（{meaning}）", colour, None)],
            points=True,
            position=position,
        ).add_to(target)
    return added


def _plan_rows(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    status = PLAN_STATUS_ZH.get(str(plan.get("status")), str(plan.get("status")))
    rows = [("求解状态", status)]
    if not style.is_missing(plan.get("objective")):
        rows.append(("目标值", style.fmt_number(plan["objective"], 2)))
    if not style.is_missing(plan.get("coverage_ratio")):
        rows.append(("需求覆盖率", style.fmt_percent(plan["coverage_ratio"])))
    by_type = plan.get("coverage_by_type")
    if isinstance(by_type, Mapping):
        for ftype, figures in by_type.items():
            if isinstance(figures, Mapping) and not style.is_missing(figures.get("ratio")):
                rows.append(
                    (f"　{style.facility_style(str(ftype))[0]}覆盖率", style.fmt_percent(figures["ratio"]))
                )
    if not style.is_missing(plan.get("total_cost_wan")):
        rows.append(("总费用", style.fmt_number(plan["total_cost_wan"], 1, "万元")))
    selected = plan.get("selected") or []
    rows.append(("选中地块", f"{len(selected)} 宗"))
    if not style.is_missing(plan.get("mip_gap")):
        rows.append(("MIP 间隙", style.fmt_percent(plan["mip_gap"], 2)))
    if plan.get("solver"):
        solver = plan["solver"]
        rows.append(
            ("求解器", str(solver.get("name", solver)) if isinstance(solver, Mapping) else str(solver))
        )
    return rows


def plan_map(
    plan_layers: dict[str, gpd.GeoDataFrame],
    plan: dict,
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    title: str | None = None,
    simplify_m: float = 0.5,
    imagery: bool = False,
) -> folium.Map:
    """Build the plan web map: action per parcel, facility sites with service radii, demand covered or not.

    Parameters
    ----------
    plan_layers
        ``parcels`` (candidates with ``action``, ``facility_type``, ``cost_wan`` …), ``sites`` (points with
        ``type``, ``existing``, ``radius_m``, ``served_demand``), ``demand`` (points with ``weight`` and
        ``covered_<type>``), ``context`` (all the park's parcels, any columns; drawn light grey beneath,
        compactly encoded, without the parcels of ``parcels``); any may be missing.
    plan
        ``plan.json`` content (contract §6).
    basemap, tianditu_key, imagery
        See :func:`maps.basemaps.get_basemap`.
    title
        Page title; default 盘活方案：<name>.
    simplify_m
        Display simplification tolerance in metres.

    Raises
    ------
    NoSolutionError
        The plan's status is ``infeasible`` or ``no_solution`` (the diagnosis is quoted).
    InputError
        Nothing to draw.

    """
    _check_plan(plan, str(plan.get("name") or "方案"))
    frames = [g for g in plan_layers.values() if g is not None and len(g)]
    if not frames:
        raise InputError("方案没有可显示的图层 (plan has no parcels, sites or demand to show)")
    bm = get_basemap(basemap, tianditu_key=tianditu_key, imagery=imagery)
    heading = title or f"盘活方案：{plan.get('name') or '方案'}"
    bounds = _bounds(
        [
            display_frame(f[[f.geometry.name]], basemap=bm, simplify_m=0, layer_name=k)
            for k, f in plan_layers.items()
            if f is not None and len(f)
        ]
    )
    total = sum(len(f) for k, f in plan_layers.items() if k != "context" and f is not None)
    m = _new_map(bounds, bm, canvas=total >= CANVAS_THRESHOLD, title=heading)
    others = context_frame(plan_layers.get("context"), [plan_layers.get("parcels")], bm, simplify_m)
    if others is not None:
        ContextLayer(others).add_to(m)
    side = PlanSide(others=0 if others is None else len(others))
    parcel_layer, _ = _add_plan_layers(m, plan_layers, bm, simplify_m=simplify_m, side=side)
    notes = ["高德底图为GCJ-02：叠加图层已作显示偏移，数据本身未改动"] if bm.shifts_overlays else []
    InfoPanel(m.get_name(), heading, _plan_rows(plan), notes).add_to(m)
    _add_tools(m, parcel_layer)
    return _finish(m, bounds)


# --------------------------------------------------------------------------------------------
# comparison map


def differing_parcels(a: gpd.GeoDataFrame | None, b: gpd.GeoDataFrame | None) -> set[str]:
    """Parcel ids whose action differs between two plans (a parcel missing from one counts as ``keep``)."""

    def actions(g: gpd.GeoDataFrame | None) -> pd.Series:
        if g is None or not len(g) or "parcel_id" not in g:
            return pd.Series(dtype=object)
        act = g["action"] if "action" in g else pd.Series("keep", index=g.index)
        return pd.Series(act.fillna("keep").astype(str).to_numpy(), index=g["parcel_id"].astype(str))

    sa, sb = actions(a), actions(b)
    joined = pd.concat([sa.rename("a"), sb.rename("b")], axis=1).fillna("keep")
    return set(joined.index[joined["a"] != joined["b"]])


#: where the comparison map puts its legends: top left, above each pane's info panel (bottom left)
COMPARE_LEGENDS = "topleft"


def _dual_map(bounds: list[list[float]], bm: Basemap, title: str) -> plugins.DualMap:
    """Return the two synchronised panes with their styles, scales, basemap and full-screen button."""
    dm = plugins.DualMap(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=14,
        tiles=None,
        layout="horizontal",
        control_scale=False,
        zoom_snap=0.25,
    )
    cast(Figure, dm.get_root()).title = title
    _PanhuoCss().add_to(dm.m1)
    for pane in (dm.m1, dm.m2):
        MetricScale(pane.get_name()).add_to(pane)
    for pane in (dm.m1, dm.m2):
        bm.add_to(pane)
    # before the legends, so the zoom and full-screen buttons stay at the top of the corner
    plugins.Fullscreen(position="topleft", title="全屏", title_cancel="退出全屏").add_to(dm.m1)
    return dm


def _add_compare_context(
    dm: plugins.DualMap,
    plans: Sequence[tuple[str, Mapping[str, gpd.GeoDataFrame], Any]],
    bm: Basemap,
    simplify_m: float,
) -> int:
    """Draw the park beneath both panes (embedded once); return how many parcels it shows.

    The first plan's context layer is used: all scenarios share one park.
    """
    park = next((layers["context"] for _, layers, _ in plans if layers.get("context") is not None), None)
    others = context_frame(park, [layers.get("parcels") for _, layers, _ in plans], bm, simplify_m)
    if others is None:
        return 0
    left_context = ContextLayer(others)
    left_context.add_to(dm.m1)
    ContextLayer(None, source=left_context).add_to(dm.m2)
    return len(others)


def compare_map(
    plans: list[tuple[str, dict[str, gpd.GeoDataFrame], dict]],
    *,
    basemap: str = "none",
    tianditu_key: str | None = None,
    simplify_m: float = 0.5,
    imagery: bool = False,
) -> plugins.DualMap:
    """Two scenarios side by side (synchronised :class:`folium.plugins.DualMap`), differing parcels outlined.

    The left map shows ``plans[0]``; the right map the others, one toggleable group each (the first
    shown). Parcels whose action differs from ``plans[0]`` are outlined in magenta on both sides.
    A ``context`` layer (the park's parcels; the first plan that has one) is drawn grey beneath both.

    Raises
    ------
    ConfigError
        Fewer than two plans.
    NoSolutionError
        A plan has no solution.

    """
    if len(plans) < 2:
        raise InputError(f"方案比较需要至少两个方案 (comparison needs at least two plans, got {len(plans)})")
    for name, _, plan in plans:
        _check_plan(plan, name)
    bm = get_basemap(basemap, tianditu_key=tianditu_key, imagery=imagery)
    frames = [
        display_frame(g[[g.geometry.name]], basemap=bm, simplify_m=0, layer_name=k)
        for _, layers, _ in plans
        for k, g in layers.items()
        if g is not None and len(g)
    ]
    if not frames:
        raise InputError("比较的方案都没有可显示的图层 (no plan has layers to show)")
    bounds = _bounds(frames)
    dm = _dual_map(bounds, bm, "方案比较：" + " / ".join(name for name, _, _ in plans))
    first_name, first_layers, first_plan = plans[0]
    diffs = {
        name: differing_parcels(first_layers.get("parcels"), layers.get("parcels"))
        for name, layers, _ in plans[1:]
    }
    all_diff = frozenset().union(*diffs.values())
    n_others = _add_compare_context(dm, plans, bm, simplify_m)
    left = PlanSide(first_name, True, all_diff, False, n_others, COMPARE_LEGENDS)
    _add_plan_layers(dm.m1, first_layers, bm, simplify_m=simplify_m, side=left)
    InfoPanel(
        dm.m1.get_name(), f"左：{first_name}", [*_plan_rows(first_plan), ("差异地块", f"{len(all_diff)} 宗")]
    ).add_to(dm.m1)
    for i, (name, layers, plan) in enumerate(plans[1:]):
        right = PlanSide(name, i == 0, frozenset(diffs[name]), False, n_others, COMPARE_LEGENDS)
        _add_plan_layers(dm.m2, layers, bm, simplify_m=simplify_m, side=right)
        if i == 0:
            InfoPanel(
                dm.m2.get_name(), f"右：{name}", [*_plan_rows(plan), ("差异地块", f"{len(diffs[name])} 宗")]
            ).add_to(dm.m2)
    for side in (dm.m1, dm.m2):
        folium.LayerControl(collapsed=True, position="topright").add_to(side)
    # the two panes are synchronised (same centre and zoom), so both keep their panels on the same,
    # left, side and the content is fitted once, on the left pane, into the room they leave
    FitAroundPanels(dm.m1.get_name(), bounds).add_to(dm.m1)
    ReadySignal(dm.m1.get_name()).add_to(dm.m2)
    return dm


# --------------------------------------------------------------------------------------------
# saving


_CJK_ESCAPE_RE = re.compile(r"(?<!\\)\\u([0-9a-fA-F]{4})")


def _unescape_cjk(html: str) -> str:
    r"""Write CJK characters that JSON escaped as ``\uXXXX`` as UTF-8 (3 bytes instead of 6).

    Only CJK ideographs, CJK punctuation and full-width forms are touched; they are legal as-is in
    JavaScript string literals and the page is declared UTF-8.
    """

    def repl(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        if 0x2E80 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF or 0x3000 <= code <= 0x303F:
            return chr(code)
        return match.group(0)

    return _CJK_ESCAPE_RE.sub(repl, html)


def render_html(m: folium.Map | plugins.DualMap, *, offline: bool = False) -> str:
    """Render the page's HTML; with ``offline`` every script and style sheet inlined (:mod:`maps.offline`).

    The page carries a subset of Noto Sans SC with exactly its Chinese characters (:mod:`maps.fonts`).
    """
    html = _unescape_cjk(m.get_root().render())
    html = html.replace("</head>", fonts.web_font_css(html) + "\n</head>", 1)
    return inline_assets(html) if offline else html


def default_file_mode() -> int:
    """Return the permission bits ``open()`` would give a new file (0o666 less the umask).

    ``tempfile.mkstemp`` creates files readable by their owner only; results renamed into place get
    the ordinary mode instead, so colleagues and the web server can read them as any other output.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A crash or error leaves either the old file or none, never a half-written one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def save_map(m: folium.Map | plugins.DualMap, path: str | os.PathLike[str], *, offline: bool = False) -> Path:
    """Write the map's HTML atomically (temporary file + rename); ``offline`` inlines every asset.

    The page is rendered completely before anything is written, so an error leaves no file behind.
    """
    html = render_html(m, offline=offline)
    return write_atomic(path, html.encode("utf-8"))


__all__ = [
    "InfoPanel",
    "LayerLegend",
    "NoSolutionError",
    "analysis_map",
    "compare_map",
    "differing_parcels",
    "display_frame",
    "plan_map",
    "render_html",
    "save_map",
    "write_atomic",
]
