"""Open an offline map in Debian's headless Chromium with the network cut, and check it drew the parcels."""

from pathlib import Path

import pytest

from maps.chromium import load_page
from maps.web import analysis_map, save_map

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
    out = save_map(analysis_map(parcels, compact=True), tmp_path / "compact.html", offline=True)
    page = load_page(out)
    idle = int(
        parcels["idle_status"]
        .isin(["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled", "unknown"])
        .sum()
    )
    assert page.ready_ms is not None, page.dom[-2000:]
    assert page.paths == len(parcels) + idle
    assert 'data-legend-for="亩均效益分类（宗）"' in page.dom
