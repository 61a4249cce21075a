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
  // not animated: while Leaflet animates a zoom it drops any other change of zoom, so a parcel
  // opened from the table in the first quarter second would not be brought into view
  if (layer.getLayers().length) whenSized(map, () => map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false }));
  return { layer, byId };
}

/**
 * Run `fn` once the map's element is in the page with a size (a map built before its view is
 * attached measures 0 × 0, and a view fitted then is wrong). Calls keep their order; a view left
 * for good (element never attached within ~2 s) is given up.
 */
function whenSized(map, fn, tries = 120) {
  const el = map.getContainer();
  if (el.isConnected && el.clientWidth > 0) {
    map.invalidateSize({ pan: false });
    fn();
  } else if (tries > 0) {
    requestAnimationFrame(() => whenSized(map, fn, tries - 1));
  }
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
  whenSized(map, () => map.fitBounds(lyr.getBounds(), { maxZoom: 17, padding: [60, 60], animate: false }));
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
