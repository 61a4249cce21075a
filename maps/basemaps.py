"""Basemaps for Chinese parks: none, 天地图 Tianditu, 高德 Gaode, OpenStreetMap (domain.md §8).

Every basemap here is an XYZ grid on spherical Mercator (EPSG:3857) at 256-px tiles, the grid Leaflet
draws overlays on. What differs is the datum the *tiles* are drawn in:

* ``none`` — no tiles, a plain background; always works (offline, intranet).
* ``tianditu`` — the national 天地图 WMTS, matrix set ``w`` (EPSG:3857), CGCS2000 ≈ WGS-84: no shift.
  Needs a ``tk`` key; vector (``vec_w`` + ``cva_w`` labels) or imagery (``img_w`` + ``cia_w``).
* ``gaode`` — 高德 tiles are in GCJ-02, so overlays are shifted WGS-84 → GCJ-02 (:mod:`maps.gcj02`)
  for display only (≈ 555 m at Yulin). Stored data are never shifted.
* ``osm`` — OpenStreetMap standard tiles, WGS-84: no shift.

The key is an explicit argument: this core never reads environment variables (the CLI reads
``TIANDITU_KEY``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import folium

from geo.errors import ConfigError

from . import gcj02

BASEMAP_NAMES: tuple[str, ...] = ("none", "tianditu", "gaode", "osm")

_TDT_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
_TDT_ATTR = "© 天地图 Tianditu（国家地理信息公共服务平台）"
_GAODE_URL = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)
_GAODE_ATTR = "© 高德地图 AutoNavi（GCJ-02；叠加图层已作显示用偏移）"
_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_OSM_ATTR = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


class MissingKeyError(ConfigError):
    """The Tianditu basemap was asked for without a ``tk`` key."""

    code = "missing_tianditu_key"


@dataclass(frozen=True)
class Basemap:
    """A basemap: its tile layers and the datum its tiles are drawn in.

    Attributes
    ----------
    name
        One of :data:`BASEMAP_NAMES`.
    tiles
        ``(url_template, attribution, display_name, overlay)`` per tile layer; empty for ``none``.
    datum
        ``"wgs84"`` (also CGCS2000) or ``"gcj02"``: where the tiles draw a real-world point.

    """

    name: str
    tiles: tuple[tuple[str, str, str, bool], ...]
    datum: str

    @property
    def shifts_overlays(self) -> bool:
        """True when overlays must be shifted WGS-84 → GCJ-02 to sit on the tiles."""
        return self.datum == "gcj02"

    def add_to(self, m: folium.Map) -> None:
        """Add the tile layers to a map (nothing for ``none``)."""
        for url, attr, display, overlay in self.tiles:
            folium.TileLayer(
                tiles=url,
                attr=attr,
                name=display,
                overlay=overlay,
                control=not overlay,
                max_zoom=18,
                max_native_zoom=18,
                subdomains=_subdomains(url),
            ).add_to(m)


def _subdomains(url: str) -> str:
    if "tianditu" in url:
        return "01234567"
    if "autonavi" in url:
        return "1234"
    return "abc"


def get_basemap(name: str, *, tianditu_key: str | None = None, imagery: bool = False) -> Basemap:
    """Return the named basemap.

    Parameters
    ----------
    name
        ``none`` | ``tianditu`` | ``gaode`` | ``osm``.
    tianditu_key
        The 天地图 ``tk`` key; required for ``tianditu``.
    imagery
        For ``tianditu``: imagery (``img_w`` + ``cia_w``) instead of vector (``vec_w`` + ``cva_w``).

    Raises
    ------
    ConfigError
        For an unknown name.
    MissingKeyError
        For ``tianditu`` without a key.

    """
    if name == "none":
        return Basemap("none", (), "wgs84")
    if name == "tianditu":
        if not tianditu_key or not tianditu_key.strip():
            raise MissingKeyError(
                "天地图底图需要密钥 tk：请用 --tianditu-key KEY 或环境变量 TIANDITU_KEY 提供 "
                "(the tianditu basemap needs a key: pass --tianditu-key or set TIANDITU_KEY; "
                "or use --basemap none)"
            )
        key = tianditu_key.strip()
        base, label = ("img", "cia") if imagery else ("vec", "cva")
        return Basemap(
            "tianditu",
            (
                (
                    _TDT_URL.format(layer=base, key=key),
                    _TDT_ATTR,
                    "天地图" + ("影像" if imagery else "矢量"),
                    False,
                ),
                (_TDT_URL.format(layer=label, key=key), _TDT_ATTR, "天地图注记", True),
            ),
            "wgs84",
        )
    if name == "gaode":
        return Basemap("gaode", ((_GAODE_URL, _GAODE_ATTR, "高德地图", False),), "gcj02")
    if name == "osm":
        return Basemap("osm", ((_OSM_URL, _OSM_ATTR, "OpenStreetMap", False),), "wgs84")
    raise ConfigError(f"未知底图 unknown basemap {name!r}; 可选 choose one of: {', '.join(BASEMAP_NAMES)}")


def tile_pixel(lon: float, lat: float, zoom: int) -> tuple[int, int, float, float]:
    """Tile column, row and pixel inside the tile of a lon/lat on the 256-px XYZ Web-Mercator grid.

    The grid of OSM, Gaode (``x``, ``y``, ``z``) and Tianditu matrix set ``w`` (``TILECOL``,
    ``TILEROW``, ``TILEMATRIX``) alike: x = (lon + 180)/360·2^z, y = (1 − ln(tan φ + sec φ)/π)/2·2^z.
    """
    n = 2**zoom
    phi = math.radians(lat)
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * n
    return int(x), int(y), (x - int(x)) * 256.0, (y - int(y)) * 256.0


def tiles_position_of(basemap: Basemap, lon: float, lat: float) -> tuple[float, float]:
    """Return where ``basemap``'s tiles draw a real-world (WGS-84/CGCS2000) lon/lat, as grid lon/lat."""
    if basemap.datum == "gcj02":
        glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
        return float(glon), float(glat)
    return lon, lat
