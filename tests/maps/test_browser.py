"""Open an offline map in Debian's headless Chromium with the network cut, and check it drew the parcels."""

import re
from pathlib import Path

import pytest

from maps.web import Display, analysis_map, save_map
from tests.chromium import load_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_offline_map_works_without_network(parcels, tmp_path: Path):
    out = save_map(analysis_map(parcels), tmp_path / "offline.html", offline=True)
    page = load_page(out)
    # the last map script ran (Leaflet, plugins and layers all loaded from the page itself)
    assert page.ready_ms is not None, page.dom[-2000:]
    # every parcel of the 亩均 layer and the idle layer is an SVG path on screen
    idle = int(
        parcels["idle_status"]
        .isin(["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled", "unknown"])
        .sum()
    )
    assert page.paths == len(parcels) + idle
    assert page.svg_paths >= len(parcels) + idle
    # legends and controls were built in the DOM
    assert 'data-legend-for="闲置土地认定（宗）"' in page.dom
    assert "leaflet-control-search" in page.dom
    assert "leaflet-control-layers" in page.dom


def test_online_map_without_network_shows_nothing(parcels, tmp_path: Path):
    # control: the same page with CDN references cannot load Leaflet when the network is cut
    out = save_map(analysis_map(parcels), tmp_path / "online.html", offline=False)
    page = load_page(out, virtual_time_ms=3000)
    assert page.ready_ms is None
    assert page.svg_paths == 0


def test_compact_offline_map_draws_every_parcel(parcels, tmp_path: Path):
    out = save_map(
        analysis_map(parcels, display=Display(compact=True)), tmp_path / "compact.html", offline=True
    )
    page = load_page(out)
    idle = int(
        parcels["idle_status"]
        .isin(["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled", "unknown"])
        .sum()
    )
    assert page.ready_ms is not None, page.dom[-2000:]
    assert page.paths == len(parcels) + idle
    assert 'data-legend-for="亩均效益分类（宗）"' in page.dom


def test_legend_hides_and_shows_with_its_layer(parcels, tmp_path: Path):
    import folium

    from maps.web import render_html

    m = analysis_map(parcels)
    layers = {c.layer_name: c.get_name() for c in m._children.values() if isinstance(c, folium.GeoJson)}
    probe = f"""
<script>
(function () {{
  var map = {m.get_name()}, idle = {layers["闲置土地认定"]}, low = {layers["低效用地（首要原因）"]};
  function count(title) {{ return document.querySelectorAll('[data-legend-for="' + title + '"]').length; }}
  var seen = [count('闲置土地认定（宗）'), count('低效用地·首要原因（宗）')];
  map.removeLayer(idle);
  map.addLayer(low);
  seen.push(count('闲置土地认定（宗）'), count('低效用地·首要原因（宗）'));
  document.body.setAttribute('data-legend-probe', seen.join(','));
}})();
</script>
</html>"""
    html = render_html(m, offline=True)
    out = tmp_path / "probe.html"
    out.write_text(html[: html.rindex("</html>")] + probe, encoding="utf-8")
    page = load_page(out)
    # before: idle legend shown, low-efficiency legend hidden (layer off); after toggling: the reverse
    assert 'data-legend-probe="1,0,0,1"' in page.dom


@pytest.mark.parametrize("compact", [False, True])
def test_search_by_parcel_id_opens_its_popup(parcels, tmp_path: Path, compact):
    from maps.web import render_html

    m = analysis_map(parcels, display=Display(compact=compact))
    base = next(c for c in m._children.values() if getattr(c, "layer_name", None) == "亩均效益分类")
    probe = f"""
<script>
setTimeout(function () {{
  var ctrl = {base.get_name()}searchControl;
  ctrl.searchText('YL-007');  // types the id: the control indexes the layer and lists matches
  setTimeout(function () {{
    ctrl._handleSubmit();  // what pressing Enter does
    setTimeout(function () {{
      var popup = document.querySelector('.leaflet-popup-content');
      document.body.setAttribute('data-search-probe', popup ? popup.textContent : 'none');
    }}, 1500);
  }}, 800);
}}, 100);
</script>
</html>"""
    html = render_html(m, offline=True)
    out = tmp_path / "search.html"
    out.write_text(html[: html.rindex("</html>")] + probe, encoding="utf-8")
    page = load_page(out, virtual_time_ms=8000)
    probe_text = page.dom.split('data-search-probe="', 1)[1].split('"', 1)[0]
    assert "YL-007" in probe_text and "玉林市第7机械有限公司" in probe_text


def test_plan_map_draws_the_park_beneath_and_keeps_content_clear_of_panels(parcels, tmp_path: Path):
    from maps.web import plan_map, render_html

    from .conftest import make_plan, make_plan_layers

    layers = make_plan_layers(parcels)
    m = plan_map({**layers, "context": parcels}, make_plan(layers))
    probe = f"""
<script>
(function () {{
  var map = {m.get_name()}, box = map.getContainer(), size = map.getSize();
  var fit = box.getAttribute('data-panhuo-fit').split(',').map(Number);
  var west = Infinity, east = -Infinity;
  map.eachLayer(function (l) {{
    if (l.getBounds && l.options && l.options.interactive === false) {{
      west = Math.min(west, map.latLngToContainerPoint(l.getBounds().getSouthWest()).x);
      east = Math.max(east, map.latLngToContainerPoint(l.getBounds().getNorthEast()).x);
    }}
  }});
  var seen = [fit[0], fit[1], Math.round(west), Math.round(east), size.x];
  document.body.setAttribute('data-fit-probe', seen.join(','));
}})();
</script>
</html>"""
    html = render_html(m, offline=True)
    out = tmp_path / "plan.html"
    out.write_text(html[: html.rindex("</html>")] + probe, encoding="utf-8")
    page = load_page(out)
    assert page.ready_ms is not None, page.dom[-2000:]

    found = re.search(r'data-fit-probe="([^"]+)"', page.dom)
    assert found, page.dom[-2000:]
    left, right, west, east, width = map(int, found.group(1).split(","))
    # the grey park is on the map, and lies between the left panels and the right ones
    assert west < east
    assert left > 0 and right > 0
    assert west >= left - 1 and east <= width - right + 1
