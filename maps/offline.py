"""Offline pages: replace every CDN ``<script src>`` / ``<link href>`` of a folium page with inline content.

Government intranets have no internet, so ``panhuo map --offline`` must open and work from a single
HTML file. The scripts and style sheets folium's template and the plugins panhuo uses reference are
vendored under ``maps/static/`` (fetched from the npm registry with ``npm pack``, licences beside them):

=====================================  ==============================================
CDN reference                          vendored copy
=====================================  ==============================================
leaflet@1.9.3 js/css                   ``leaflet-1.9.3/`` (+ ``images/*.png``)
jquery-3.7.1.min.js                    ``jquery-3.7.1/``
bootstrap@5.2.2 bundle js / css        ``bootstrap-5.2.2/``
Leaflet.awesome-markers 2.0.2 js/css   ``leaflet.awesome-markers-2.0.5/`` (npm has 2.0.5, same API)
@fortawesome/fontawesome-free@6.2.0    ``fontawesome-free-6.2.0/`` (woff2 web fonts)
leaflet-measure@2.1.7                  ``leaflet-measure-2.1.7/``
leaflet.fullscreen@3.0.0               ``leaflet.fullscreen-3.0.0/``
leaflet-search@2.9.7                   ``leaflet-search-2.9.7/``
Leaflet.Sync (DualMap)                 ``leaflet.sync-0.2.4/``
=====================================  ==============================================

Images and fonts a style sheet refers to become ``data:`` URIs. Two folium defaults panhuo does not
use are dropped rather than inlined: the Bootstrap 3 glyphicons sheet (no glyphicon markers are
drawn) and folium's awesome-marker rotation sheet (no rotated icons). The TrueType fallbacks of Font
Awesome are dropped as well (every browser that runs Leaflet 1.9 reads woff2).
"""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import cache
from pathlib import Path

from geo.errors import ConfigError

STATIC_DIR = Path(__file__).with_name("static")

#: CDN URL → file under :data:`STATIC_DIR`
VENDORED: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet-1.9.3/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet-1.9.3/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "bootstrap-5.2.2/bootstrap.bundle.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "bootstrap-5.2.2/bootstrap.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers-2.0.5/leaflet.awesome-markers.css"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "fontawesome-free-6.2.0/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": (
        "leaflet-measure-2.1.7/leaflet-measure.min.js"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": (
        "leaflet-measure-2.1.7/leaflet-measure.css"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen-3.0.0/Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen-3.0.0/Control.FullScreen.css"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": (
        "leaflet-search-2.9.7/dist/leaflet-search.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": (
        "leaflet-search-2.9.7/dist/leaflet-search.min.css"
    ),
    "https://cdn.jsdelivr.net/gh/jieter/Leaflet.Sync/L.Map.Sync.min.js": "leaflet.sync-0.2.4/L.Map.Sync.js",
}

#: folium defaults panhuo draws nothing with; dropped from offline pages
DROPPED: frozenset[str] = frozenset(
    {
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    }
)

_SCRIPT_RE = re.compile(r'<script\s+src="(?P<url>[^"]+)"\s*>\s*</script>', re.IGNORECASE)
_LINK_RE = re.compile(r'<link\s+rel="stylesheet"\s+href="(?P<url>[^"]+)"\s*/?>', re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\(\s*(?P<q>['\"]?)(?P<ref>[^'\")]+)(?P=q)\s*\)")
_TTF_FALLBACK_RE = re.compile(r',\s*url\([^)]*\.ttf\)\s*format\("truetype"\)')


class OfflineAssetError(ConfigError):
    """A page references a script or style sheet panhuo has no vendored copy of."""

    code = "offline_asset_missing"


def _mime(path: Path) -> str:
    if path.suffix == ".woff2":
        return "font/woff2"
    if path.suffix == ".svg":
        return "image/svg+xml"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _data_uri(path: Path) -> str:
    return f"data:{_mime(path)};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@cache
def _inline_css(relpath: str) -> str:
    """Return a vendored style sheet with every relative ``url()`` replaced by a ``data:`` URI."""
    path = STATIC_DIR / relpath
    css = _TTF_FALLBACK_RE.sub("", path.read_text(encoding="utf-8"))

    def repl(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.startswith(("data:", "#")):
            return match.group(0)
        target = (path.parent / ref).resolve()
        if not target.is_file():
            raise OfflineAssetError(f"离线资源缺失 vendored file {target} referenced by {relpath} is missing")
        return f'url("{_data_uri(target)}")'

    return _CSS_URL_RE.sub(repl, css)


@cache
def _inline_js(relpath: str) -> str:
    # a literal "</script" inside the code would end the inline element early
    return (STATIC_DIR / relpath).read_text(encoding="utf-8").replace("</script", "<\\/script")


def _vendored(url: str) -> str:
    try:
        return VENDORED[url]
    except KeyError:
        raise OfflineAssetError(
            f"离线页面无法内联 {url}：panhuo 未收录此脚本/样式 (no vendored copy of {url}; "
            "add it under maps/static/ and to maps.offline.VENDORED)"
        ) from None


def inline_assets(html: str) -> str:
    """Return ``html`` with every external script and style sheet inlined.

    Raises
    ------
    OfflineAssetError
        If the page references a script or style sheet that is not vendored.

    """

    def script(match: re.Match[str]) -> str:
        relpath = _vendored(match.group("url"))
        return f"<script>/* panhuo offline: {relpath} */\n{_inline_js(relpath)}\n</script>"

    def link(match: re.Match[str]) -> str:
        url = match.group("url")
        if url in DROPPED:
            return ""
        relpath = _vendored(url)
        return f"<style>/* panhuo offline: {relpath} */\n{_inline_css(relpath)}\n</style>"

    return _LINK_RE.sub(link, _SCRIPT_RE.sub(script, html))


def external_references(html: str) -> list[str]:
    """Every ``http(s)://`` URL still referenced by a ``<script src>`` or ``<link href>`` in ``html``."""
    refs = re.findall(r'<script[^>]+src="(https?://[^"]+)"', html, flags=re.IGNORECASE)
    refs += re.findall(r'<link[^>]+href="(https?://[^"]+)"', html, flags=re.IGNORECASE)
    return refs
