import re

import numpy as np
import pytest
from pyproj import Transformer

from geo.errors import ConfigError
from maps.basemaps import MissingKeyError, get_basemap, tile_pixel, tiles_position_of
from maps.web import Display, analysis_map, render_html

from .conftest import make_parcels

YULIN = (110.15, 22.63)


def test_tile_pixel_known_values():
    # z=0: the whole world is one tile; Greenwich/equator is its centre pixel
    assert tile_pixel(0.0, 0.0, 0) == (0, 0, 128.0, 128.0)
    # independent reference: EPSG:3857 metres from PROJ, scaled to the 256-px grid at z=15
    x_m, y_m = Transformer.from_crs(4326, 3857, always_xy=True).transform(*YULIN)
    half = 20_037_508.342789244
    gx = (x_m + half) / (2 * half) * 2**15
    gy = (half - y_m) / (2 * half) * 2**15
    x, y, px, py = tile_pixel(*YULIN, 15)
    assert (x, y) == (int(gx), int(gy))
    assert px == pytest.approx((gx - int(gx)) * 256, abs=1e-3)
    assert py == pytest.approx((gy - int(gy)) * 256, abs=1e-3)


def test_tianditu_needs_a_key():
    with pytest.raises(MissingKeyError, match="TIANDITU_KEY"):
        get_basemap("tianditu")
    with pytest.raises(MissingKeyError):
        get_basemap("tianditu", tianditu_key="  ")


def test_unknown_basemap():
    with pytest.raises(ConfigError, match="none, tianditu, gaode, osm"):
        get_basemap("baidu")


def test_tianditu_urls_use_web_mercator_matrix_and_xyz_order():
    bm = get_basemap("tianditu", tianditu_key="K123")
    urls = [t[0] for t in bm.tiles]
    assert all("TILEMATRIXSET=w" in u and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in u for u in urls)
    assert all(u.endswith("tk=K123") for u in urls)
    assert ["vec_w" in urls[0], "cva_w" in urls[1]] == [True, True]
    img = get_basemap("tianditu", tianditu_key="K", imagery=True)
    assert "img_w" in img.tiles[0][0] and "cia_w" in img.tiles[1][0]


def _overlay_corner(basemap: str, **kw) -> tuple[float, float]:
    """Lower-left corner of the single parcel, as written into the page (lon, lat)."""
    parcels = make_parcels(1)
    html = render_html(analysis_map(parcels, basemap=basemap, display=Display(simplify_m=0), **kw))
    coords = re.search(r'"coordinates": \[\[\[([-\d.]+), ([-\d.]+)\]', html)
    assert coords, "no polygon coordinates in the page"
    lons = [
        float(v) for v in re.findall(r"\[([-\d.]+), [-\d.]+\]", html[coords.start() : coords.start() + 400])
    ]
    lats = [
        float(v) for v in re.findall(r"\[[-\d.]+, ([-\d.]+)\]", html[coords.start() : coords.start() + 400])
    ]
    return min(lons), min(lats)


@pytest.mark.parametrize(
    ("name", "kw"), [("none", {}), ("osm", {}), ("tianditu", {"tianditu_key": "K"}), ("gaode", {})]
)
def test_known_point_lands_on_the_same_spot_of_each_tile_grid(name, kw):
    # the parcel's SW corner is a known real-world point (EPSG:4546 → lon/lat)
    parcels = make_parcels(1)
    true = parcels.to_crs(4326).geometry.iloc[0].bounds[:2]
    bm = get_basemap(name, **kw)
    drawn = _overlay_corner(name, **kw)
    for z in (12, 16, 18):
        # Leaflet draws the overlay at the Web-Mercator pixel of its page coordinates; the basemap's tiles
        # draw the real point at the pixel of tiles_position_of(...). They must coincide (< 0.5 px).
        tx, ty, tpx, tpy = tile_pixel(*tiles_position_of(bm, *true), z)
        ox, oy, opx, opy = tile_pixel(*drawn, z)
        assert (tx, ty) == (ox, oy)
        assert abs(tpx - opx) < 0.5 and abs(tpy - opy) < 0.5


def test_gaode_overlay_is_shifted_and_others_are_not():
    plain = np.array(_overlay_corner("none"))
    gaode = np.array(_overlay_corner("gaode"))
    d_lon, d_lat = gaode - plain
    # ≈ +460 m east and −305 m north at Yulin (1° lon ≈ 102.8 km, 1° lat ≈ 110.8 km here)
    assert d_lon * 102_800 == pytest.approx(465, abs=15)
    assert d_lat * 110_800 == pytest.approx(-305, abs=15)
    assert np.array_equal(plain, np.array(_overlay_corner("osm")))


def test_gaode_shift_never_touches_the_input():
    parcels = make_parcels(3)
    before = parcels.geometry.copy()
    analysis_map(parcels, basemap="gaode")
    assert parcels.geometry.geom_equals_exact(before, tolerance=0).all()
