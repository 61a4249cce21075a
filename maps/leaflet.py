"""The Leaflet page elements of panhuo's web maps (folium/branca elements with their own scripts).

Legends bound to their layer, the info panel, the parcel-id search that opens popups, the metric
scale, the fit around the panels, the ready signal read by the browser tests, and the compactly
encoded parcel layers (:class:`ParcelData`, :class:`CompactParcelLayer`, :class:`ContextLayer`).
The builders in :mod:`maps.web` put them on a map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

#: above this many drawn features the map uses Leaflet's canvas renderer
CANVAS_THRESHOLD = 3000
#: from this many parcels on, the analysis map embeds them once in compact form (:class:`ParcelData`)
COMPACT_THRESHOLD = 3000
#: coordinate decimals in the page (1e-6° ≈ 0.11 m north–south)
DECIMALS = 6


_CSS = """
<style>
.panhuo-legend, .panhuo-info {background: rgba(255,255,255,0.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.5 "Microsoft YaHei","PingFang SC",sans-serif;
  color: #222; max-width: 320px;}
.panhuo-legend h4, .panhuo-info h4 {margin: 0 0 4px; font-size: 13px; font-weight: 600;}
.panhuo-legend i {display: inline-block; width: 14px; height: 11px; margin-right: 6px; vertical-align: -1px;
  border: 1px solid #555;}
.panhuo-legend i.pt {border-radius: 50%; width: 11px;}
.panhuo-legend .n {color: #666; margin-left: 4px;}
.panhuo-info table {border-collapse: collapse;} .panhuo-info td {padding: 0 4px; vertical-align: top;}
.panhuo-info td.v {text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;}
.panhuo-info .note {color: #a50f15; margin-top: 4px;}
.panhuo-info summary {cursor: pointer; color: #08519c; margin-top: 3px;}
.leaflet-container {background: #f4f3ef;}
.leaflet-popup-content table {font-size: 12px;}
.leaflet-control-search .search-input {width: 150px;}
</style>
"""


class _PanhuoCss(MacroElement):
    """Shared styles of legends and the info panel (added once per page)."""

    _template = Template("{% macro header(this, kwargs) %}" + _CSS + "{% endmacro %}")


class LayerLegend(MacroElement):
    """A legend that belongs to one overlay: shown while the layer is on the map, hidden with it.

    Bound to the layer's own ``add``/``remove`` events, so the layer control, code or another
    plugin switching the layer all keep the legend in step.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map_name }};
  var layer = {{ this.layer.get_name() }};
  var legend = L.control({position: {{ this.position|tojson }}});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'panhuo-legend');
    div.setAttribute('data-legend-for', {{ this.title|tojson }});
    div.innerHTML = {{ this.html|tojson }};
    return div;
  };
  layer.on('add', function () { legend.addTo(map); });
  layer.on('remove', function () { legend.remove(); });
  if (map.hasLayer(layer)) { legend.addTo(map); }
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        layer: folium.map.Layer,
        map_name: str,
        title: str,
        entries: Sequence[tuple[str, str, int | None]],
        *,
        points: bool = False,
        position: str = "bottomright",
    ) -> None:
        super().__init__()
        self._name = "PanhuoLegend"
        self.layer = layer
        self.map_name = map_name
        self.title = title
        self.position = position
        shape = ' class="pt"' if points else ""
        rows = "".join(
            f'<div><i{shape} style="background:{colour}"></i>{label}'
            + (f'<span class="n">{count}</span>' if count is not None else "")
            + "</div>"
            for label, colour, count in entries
        )
        self.html = f"<h4>{title}</h4>{rows}"


class InfoPanel(MacroElement):
    """A fixed panel with the zone's (or the plan's) key figures."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var info = L.control({position: {{ this.position|tojson }}});
  info.onAdd = function () {
    var div = L.DomUtil.create('div', 'panhuo-info');
    div.innerHTML = {{ this.html|tojson }};
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  info.addTo({{ this.map_name }});
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        map_name: str,
        title: str,
        rows: Sequence[tuple[str, str]],
        notes: Sequence[str] = (),
        more: Sequence[tuple[str, str]] = (),
        more_title: str = "开发区集约利用指标",
    ):
        super().__init__()
        self._name = "PanhuoInfo"
        self.map_name = map_name
        self.position = "bottomleft"

        def table(items: Sequence[tuple[str, str]]) -> str:
            return (
                "<table>"
                + "".join(f"<tr><td>{k}</td><td class='v'>{v}</td></tr>" for k, v in items)
                + "</table>"
            )

        extra = "".join(f"<div class='note'>{n}</div>" for n in notes)
        folded = f"<details><summary>{more_title}</summary>{table(more)}</details>" if more else ""
        self.html = f"<h4>{title}</h4>{table(rows)}{folded}{extra}"


class SearchOpensPopup(MacroElement):
    """Open the found parcel's popup after a search by parcel id.

    folium binds a GeoJson layer's popup on the layer group, so leaflet-search finds no popup on the
    parcel itself; a click propagated from the parcel opens the group's popup on it.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this.layer_name }}searchControl.on('search:locationfound', function (e) {
  if (!e.layer._popup && e.layer.getBounds) {
    e.layer.fire('click', {latlng: e.layer.getBounds().getCenter()}, true);
  }
});
{% endmacro %}
"""
    )

    def __init__(self, layer_name: str) -> None:
        super().__init__()
        self._name = "PanhuoSearchPopup"
        self.layer_name = layer_name


class MetricScale(MacroElement):
    """A metric-only scale bar (planners in China read metres, not feet)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false, position: 'bottomleft'}).addTo({{ this.map_name }});
{% endmacro %}
"""
    )

    def __init__(self, map_name: str) -> None:
        super().__init__()
        self._name = "PanhuoScale"
        self.map_name = map_name


class FitAroundPanels(MacroElement):
    """Fit the map's content into the part of the window its panels leave free.

    Once every legend, info panel and control is on the map, the widths of the left and right control
    corners are measured and the view fitted to ``bounds`` with that much padding, so no legend or
    panel lies over a parcel at first sight. On a window too narrow for that (less than ``min_free``
    of its width left), the plain fit is used. This is the map's only fit (without animation: an
    animated earlier fit would land after it), and the map's ``zoomSnap`` of 0.25 keeps the padding
    from costing a whole zoom level.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this.map_name }}, box = map.getContainer(), size = map.getSize();
  function widest(corner) {
    var w = 0;
    box.querySelectorAll(corner + ' > .leaflet-control').forEach(function (c) {
      if (c.offsetParent !== null) { w = Math.max(w, c.offsetWidth + 10); }
    });
    return w;
  }
  var left = Math.max(widest('.leaflet-top.leaflet-left'), widest('.leaflet-bottom.leaflet-left'));
  var right = Math.max(widest('.leaflet-top.leaflet-right'), widest('.leaflet-bottom.leaflet-right'));
  if (size.x - left - right < {{ this.min_free }} * size.x) { left = right = 0; }
  map.fitBounds({{ this.bounds|tojson }}, {paddingTopLeft: [left, 10], paddingBottomRight: [right, 10],
                                           animate: false});
  box.setAttribute('data-panhuo-fit', left + ',' + right);
})();
{% endmacro %}
"""
    )

    def __init__(self, map_name: str, bounds: list[list[float]], min_free: float = 0.4) -> None:
        super().__init__()
        self._name = "PanhuoFit"
        self.map_name = map_name
        self.bounds = bounds
        self.min_free = min_free


class ReadySignal(MacroElement):
    """Marks the page ready once every layer script has run (read by the Chromium test and benchmark).

    Sets ``data-panhuo-ready`` (ms since navigation start: every layer built and on the map; a
    canvas paints on the following animation frame) and ``data-panhuo-paths`` (number of vector
    paths on the map) on ``<body>``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var n = 0;
  {{ this.map_name }}.eachLayer(function (l) { if (l instanceof L.Path) { n += 1; } });
  document.body.setAttribute('data-panhuo-paths', String(n));
  document.body.setAttribute('data-panhuo-ready', String(Math.round(performance.now())));
})();
{% endmacro %}
"""
    )

    def __init__(self, map_name: str) -> None:
        super().__init__()
        self._name = "PanhuoReady"
        self.map_name = map_name


# --------------------------------------------------------------------------------------------
# compact parcel layers for large parks


def _lut_encode(values: pd.Series) -> dict[str, Any]:
    """Column payload: ``{"lut": [...], "codes": [...]}`` when values repeat, else ``{"values": [...]}``."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    codes, uniques = pd.factorize(text, sort=False)
    if len(uniques) <= max(64, len(text) // 4):
        return {"lut": [str(u) for u in uniques], "codes": codes.tolist()}
    return {"values": text.tolist()}


def compact_payload(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict[str, Any]:
    """Encode display-ready parcels compactly: delta-coded integer coordinates and dictionary-coded columns.

    Geometry: polygons (multi-part parcels are split into parts that point at their row) as rings of
    integer micro-degrees (1e-6° ≈ 0.1 m, the display precision), the first vertex absolute and the
    rest as differences — for a 100 m parcel about 4 bytes per coordinate instead of ~11.

    Returns
    -------
    dict
        ``xy`` (flat ints), ``ring_len`` (vertices per ring), ``part_rings`` (rings per polygon part),
        ``part_row`` (row of each part), ``n`` (rows), and ``cols`` (per column, see :func:`_lut_encode`).

    """
    rows = np.arange(len(frame))
    geoms = frame.geometry.to_numpy()
    parts, index = shapely.get_parts(geoms, return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    parts, index = parts[polygons], index[polygons]
    _, coords, (ring_offsets, part_offsets) = shapely.to_ragged_array(parts)
    q = np.round(coords * 10**DECIMALS).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = ring_offsets[:-1]
    delta[starts] = q[starts]
    return {
        "n": len(rows),
        "xy": delta.ravel().tolist(),
        "ring_len": np.diff(ring_offsets).tolist(),
        "part_rings": np.diff(part_offsets).tolist(),
        "part_row": rows[index].tolist(),
        "cols": {c: _lut_encode(frame[c]) for c in columns},
    }


@dataclass(frozen=True)
class Fill:
    """How a thematic parcel overlay is coloured: by the code in column ``key``, through ``palette``."""

    key: str
    palette: Mapping[str, str]
    default_colour: str = "#cccccc"
    opacity: float = 0.7


@dataclass(frozen=True)
class Popup:
    """What a parcel overlay's popup lists (``fields`` with their ``labels``) and its tooltip shows."""

    fields: Sequence[str]
    labels: Sequence[str]
    tips: Sequence[str]
    tip_labels: Sequence[str]


class ParcelData(MacroElement):
    """The parcels of a large map, embedded once (:func:`compact_payload`) and decoded once in the page."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function (D) {
  var k = 0, r = 0, parts = [];
  var scale = {{ this.scale }};
  for (var p = 0; p < D.part_rings.length; p++) {
    var rings = [];
    for (var j = 0; j < D.part_rings[p]; j++, r++) {
      var n = D.ring_len[r], x = 0, y = 0, ring = new Array(n);
      for (var v = 0; v < n; v++, k += 2) {
        x += D.xy[k]; y += D.xy[k + 1];
        ring[v] = [y / scale, x / scale];
      }
      rings.push(ring);
    }
    parts.push(rings);
  }
  D.parts = parts;
  D.value = function (col, i) {
    var c = D.cols[col];
    return c.lut ? c.lut[c.codes[i]] : c.values[i];
  };
  return D;
})({{ this.payload|tojson }});
{% endmacro %}
"""
    )

    def __init__(self, frame: gpd.GeoDataFrame, columns: Sequence[str]) -> None:
        super().__init__()
        self._name = "ParcelData"
        self.payload = compact_payload(frame, columns)
        self.scale = 10**DECIMALS


class CompactParcelLayer(folium.FeatureGroup):
    """One thematic overlay drawn from :class:`ParcelData`: rows selected by code, coloured by a code column.

    Popups and tooltips are built in the page when opened, from the shared data, so 50 000 parcels
    cost one copy of their facts, not one per layer. Each polygon carries ``feature.properties.parcel_id``
    so the parcel-id search (leaflet-search) indexes it like a GeoJSON layer.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.featureGroup();
(function () {
  var D = {{ this.data.get_name() }};
  var layer = {{ this.get_name() }};
  var key = {{ this.key|tojson }}, palette = {{ this.palette|tojson }}, keep = {{ this.keep|tojson }};
  var fields = {{ this.fields|tojson }}, labels = {{ this.labels|tojson }}, tips = {{ this.tips|tojson }};
  var fallback = {{ this.default_colour|tojson }}, opacity = {{ this.fill_opacity|tojson }};
  var ENT = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return ENT[c]; }); }
  function popup(i) {
    var h = '<table>';
    for (var f = 0; f < fields.length; f++) {
      h += '<tr><th style="text-align:left;padding-right:8px;white-space:nowrap">' + labels[f]
        + '</th><td>' + esc(D.value(fields[f], i)) + '</td></tr>';
    }
    return h + '</table>';
  }
  function tip(i) {
    var h = '';
    for (var f = 0; f < tips.length; f++) {
      h += (f ? '<br>' : '') + labels[fields.indexOf(tips[f])] + '：' + esc(D.value(tips[f], i));
    }
    return h;
  }
  var idcol = D.cols['parcel_id'];
  for (var p = 0; p < D.parts.length; p++) {
    var i = D.part_row[p], code = D.value(key, i);
    if (keep !== null && keep.indexOf(code) < 0) { continue; }
    var poly = L.polygon(D.parts[p], {
      color: '#444444', weight: 0.6, fillColor: palette[code] || fallback, fillOpacity: opacity,
      smoothFactor: 0.5
    });
    poly.feature = {type: 'Feature', properties: {parcel_id: D.value('parcel_id', i)}};
    poly._row = i;
    poly.bindPopup(function (l) { return popup(l._row); }, {maxWidth: 380});
    poly.bindTooltip(function (l) { return tip(l._row); }, {sticky: true});
    poly.on('mouseover', function (e) { e.target.setStyle({weight: 2.5, color: '#000000'}); });
    poly.on('mouseout', function (e) { e.target.setStyle({weight: 0.6, color: '#444444'}); });
    layer.addLayer(poly);
  }
  {% if this.show %}layer.addTo({{ this._parent.get_name() }});{% endif %}
})();
{% endmacro %}
"""
    )

    def __init__(
        self,
        data: ParcelData,
        name: str,
        fill: Fill,
        popup: Popup,
        *,
        keep: Sequence[str] | None,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "CompactParcelLayer"
        self.data = data
        self.key = fill.key
        self.palette = dict(fill.palette)
        self.keep = list(keep) if keep is not None else None
        self.fields = list(popup.fields)
        self.labels = list(popup.labels)
        self.tips = list(popup.tips)
        self.fill_opacity = fill.opacity
        self.default_colour = fill.default_colour


# --------------------------------------------------------------------------------------------
# the park's other parcels, as a light grey context beneath a plan

#: fill and outline of the context parcels (the rest of the park beneath a plan's candidates)
CONTEXT_FILL = "#ebebeb"
CONTEXT_EDGE = "#b4b4b4"
CONTEXT_LAYER_NAME = "园区其他地块"


class ContextLayer(folium.FeatureGroup):
    """The park's parcels beneath a plan, in light grey, taking no clicks.

    The geometry is embedded once with :func:`compact_payload` (integer micro-degree deltas, no
    attributes), so a 50 000-parcel park costs about 120 bytes a parcel. Each parcel is its own
    non-interactive polygon sharing one canvas renderer from :data:`CANVAS_THRESHOLD` parcels (one
    multipolygon of 50 000 parts was measured 6× slower to get ready in Chromium); popups of the layers
    above keep working. ``source`` reuses the decoded rings of another context layer (the other side
    of a comparison) instead of embedding them twice.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{% if this.source is none %}
var {{ this.get_name() }}_rings = (function (D) {
  var k = 0, r = 0, parts = [], scale = {{ this.scale }};
  for (var p = 0; p < D.part_rings.length; p++) {
    var rings = [];
    for (var j = 0; j < D.part_rings[p]; j++, r++) {
      var n = D.ring_len[r], x = 0, y = 0, ring = new Array(n);
      for (var v = 0; v < n; v++, k += 2) {
        x += D.xy[k]; y += D.xy[k + 1];
        ring[v] = [y / scale, x / scale];
      }
      rings.push(ring);
    }
    parts.push(rings);
  }
  return parts;
})({{ this.payload|tojson }});
{% endif %}
var {{ this.get_name() }} = L.featureGroup();
(function (parts, layer) {
  var options = {
    color: {{ this.edge|tojson }}, weight: 0.5, fillColor: {{ this.fill|tojson }}, fillOpacity: 1,
    interactive: false, smoothFactor: 0.5{% if this.canvas %}, renderer: L.canvas({padding: 0.5}){% endif %}
  };
  for (var p = 0; p < parts.length; p++) { layer.addLayer(L.polygon(parts[p], options)); }
})({{ this.rings_name }}, {{ this.get_name() }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(
        self,
        frame: gpd.GeoDataFrame | None,
        *,
        name: str = CONTEXT_LAYER_NAME,
        source: ContextLayer | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ContextLayer"
        self.source = source
        self.count: int
        if source is not None:
            self.payload: dict[str, Any] = {}
            self.count = source.count
        elif frame is not None:
            self.payload = compact_payload(frame, [])
            self.count = len(frame)
        else:
            raise ValueError("ContextLayer needs a frame or a source layer")
        self.canvas = self.count >= CANVAS_THRESHOLD
        self.scale = 10**DECIMALS
        self.fill, self.edge = CONTEXT_FILL, CONTEXT_EDGE

    @property
    def rings_name(self) -> str:
        """The page variable holding the decoded rings (this layer's, or its source's)."""
        return f"{(self.source or self).get_name()}_rings"
