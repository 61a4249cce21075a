// Leaflet maps of the workbench: no base map tiles (nothing leaves the server), parcels from GeoJSON.
import { h, tr } from "./util.js";

/** A Leaflet map in `el` (no tiles: an intranet page requests nothing off-host). */
export function makeMap(el) {
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, keyboard: true });
  map.setView([22.6, 110.15], 13);
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

/**
 * Draw a GeoJSON of parcels, coloured by `colourOf(properties)`; returns {layer, byId}.
 * onClick(parcel_id) when a parcel is clicked.
 */
export function parcelLayer(map, geojson, colourOf, { onClick = null, tooltip = null, weightOf = null } = {}) {
  const byId = new Map();
  const layer = L.geoJSON(geojson, {
    style: (f) => ({
      color: weightOf && weightOf(f.properties) > 1 ? "#1a237e" : "#555555",
      weight: weightOf ? weightOf(f.properties) : 0.6,
      fillColor: colourOf(f.properties),
      fillOpacity: 0.75,
    }),
    onEachFeature: (f, lyr) => {
      const id = f.properties.parcel_id;
      byId.set(String(id), lyr);
      if (tooltip) lyr.bindTooltip(() => tooltip(f.properties), { sticky: true });
      if (onClick) lyr.on("click", () => onClick(String(id)));
    },
  }).addTo(map);
  // a view left before its data arrived has a detached (size 0) map: nothing to fit
  if (layer.getLayers().length && map.getContainer().isConnected && map.getSize().x > 0) {
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  }
  return { layer, byId };
}

let highlighted = null;
/** Outline one parcel and bring the map to it. */
export function focusParcel(map, byId, id) {
  const lyr = byId.get(String(id));
  if (!lyr) return;
  if (highlighted && highlighted.layer && highlighted.map === map) highlighted.layer.setStyle(highlighted.style);
  highlighted = { map, layer: lyr, style: { color: lyr.options.color, weight: lyr.options.weight } };
  lyr.setStyle({ color: "#00e5ff", weight: 4 });
  lyr.bringToFront();
  map.fitBounds(lyr.getBounds(), { maxZoom: 17, padding: [60, 60], animate: false });
}

/** A legend control: entries [[colour, text, count?]]. */
export function legend(map, title, entries) {
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => h("div", { class: "legend", role: "group", "aria-label": title },
    h("strong", {}, title),
    entries.map(([colour, text, count]) => {
      const swatch = h("span", { class: "swatch" });
      swatch.style.background = colour;
      return h("div", {}, swatch, ` ${text}`, count !== undefined ? h("span", { class: "muted" }, ` (${count})`) : null);
    }));
  control.addTo(map);
  return control;
}

/** Keep two maps' views together (the vendored leaflet.sync). */
export function syncMaps(a, b) {
  if (a.sync && b.sync) {
    a.sync(b);
    b.sync(a);
  }
}

export function mapBox(id, labelText) {
  return h("div", { class: "map", id, role: "region", "aria-label": labelText || tr("地图", "map") });
}
