import re
from pathlib import Path

import pytest

from maps import offline
from maps.web import analysis_map, compare_map, plan_map, render_html, save_map

from .conftest import make_plan, make_plan_layers


def test_every_vendored_file_exists_with_a_licence():
    for relpath in offline.VENDORED.values():
        path = offline.STATIC_DIR / relpath
        assert path.is_file(), relpath
        package = offline.STATIC_DIR / relpath.split("/")[0]
        assert any(p.name.lower().startswith(("license", "licence")) for p in package.iterdir()), package


def _assert_self_contained(html: str) -> None:
    assert offline.external_references(html) == []
    # no stylesheet or script pulls anything from the network either (url() / @import / src=)
    assert not re.search(r"url\(\s*['\"]?https?://", html)
    assert not re.search(r"@import\s+['\"]?https?://", html)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)


def test_offline_analysis_map_has_no_network_references(parcels, tmp_path: Path):
    out = save_map(analysis_map(parcels), tmp_path / "m.html", offline=True)
    html = out.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "panhuo offline: leaflet-1.9.3/leaflet.js" in html
    assert "data:font/woff2;base64," in html  # Font Awesome web font inlined
    assert "L.Control.Search" in html


def test_offline_plan_and_compare_maps(parcels):
    a = make_plan_layers(parcels, variant=0)
    b = make_plan_layers(parcels, variant=1)
    _assert_self_contained(render_html(plan_map(a, make_plan(a)), offline=True))
    dual = render_html(compare_map([("A", a, make_plan(a)), ("B", b, make_plan(b))]), offline=True)
    _assert_self_contained(dual)
    assert "panhuo offline: leaflet.sync-0.2.4/L.Map.Sync.js" in dual


def test_online_page_references_the_cdn(parcels):
    html = render_html(analysis_map(parcels))
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in offline.external_references(html)


def test_unknown_asset_is_refused():
    page = '<head><script src="https://example.com/x.js"></script></head>'
    with pytest.raises(offline.OfflineAssetError, match=r"https://example\.com/x\.js"):
        offline.inline_assets(page)


def test_script_end_tags_inside_code_are_escaped():
    js = offline._inline_js("leaflet-1.9.3/leaflet.js")
    assert "</script" not in js
