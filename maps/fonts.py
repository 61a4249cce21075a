"""The Chinese font every map and briefing is set in: Noto Sans SC, shipped by a declared PyPI dependency.

Chinese text must render on a fresh machine and on an intranet PC without CJK fonts, so panhuo never
relies on system fonts. The font comes from ``pylopdf-fonts-zh-cn`` (Noto Sans SC Regular, a static
CFF OpenType font under the SIL Open Font License; declared in ``pyproject.toml``):

* briefings and charts (matplotlib) use it by file, embedded in PDFs as a CID-keyed CFF subset, so
  the text is real, searchable text (Type 42 / ``pdf.fonttype`` 42 path; the variable-font TTC of
  ``manimgx-fonts-cjk`` was tried first and rejected: matplotlib embeds its *Thin* master with
  Japanese glyph forms and poppler flags the embedded program as invalid);
* web maps get a ``@font-face`` with a subset of the font holding only the characters on the page
  (34–90 KB on the sample park's maps), so labels are legible where the browser has no CJK font.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import Any

from geo.errors import ConfigError

#: CSS family name of the page subset
WEB_FAMILY = "Panhuo Noto Sans SC"


class FontMissingError(ConfigError):
    """The declared font package is not installed."""

    code = "font_missing"


@cache
def cjk_font_path() -> Path:
    """Path of Noto Sans SC Regular from the ``pylopdf-fonts-zh-cn`` package.

    Raises
    ------
    FontMissingError
        When the package is missing (reinstall panhuo: ``pip install -e .``).

    """
    try:
        import pylopdf_fonts_zh_cn
    except ImportError as error:
        raise FontMissingError(
            "缺少中文字体包 pylopdf-fonts-zh-cn (the Chinese font package is not installed); "
            "请重新安装 panhuo: .venv/bin/pip install -e ."
        ) from error
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        raise FontMissingError(f"中文字体文件不存在 font file missing: {path}")
    return path


@cache
def cjk_family() -> str:
    """Register the font with matplotlib (once) and return its family name (``Noto Sans SC``)."""
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def mpl_rc() -> Any:
    """Matplotlib rc settings that set every text in the CJK font and embed it as real text in PDFs."""
    family = cjk_family()
    return {
        "font.family": [family],
        "font.sans-serif": [family],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        # unhinted glyph advances: PNG pages then set text as wide as the PDF does (hinting widened
        # Chinese lines by ~5 % at 150 dpi and broke the table's column wrapping)
        "text.hinting": "no_hinting",
    }


@cache
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    # read from memory: fontTools keeps a lazily opened file handle otherwise
    with TTFont(io.BytesIO(cjk_font_path().read_bytes())) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` (other than white space) that the CJK font has no glyph for."""
    cmap = _cmap()
    return sorted({c for c in text if not c.isspace() and ord(c) not in cmap})


def _page_chars(text: str) -> str:
    """Non-ASCII characters of a page that the font covers (CJK, full-width punctuation, ², ·)."""
    cmap = _cmap()
    return "".join(sorted({c for c in text if ord(c) > 0x7F and ord(c) in cmap}))


@cache
def _subset_otf(chars: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = subset.load_font(io.BytesIO(cjk_font_path().read_bytes()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars + "0123456789")
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def web_font_css(page_text: str) -> str:
    """Return a ``<style>`` with an ``@font-face`` with the page's Chinese characters (inline OTF subset).

    Returns an empty string when the page has no character the font covers.
    """
    chars = _page_chars(page_text)
    if not chars:
        return ""
    data = base64.b64encode(_subset_otf(chars)).decode("ascii")
    return (
        "<style>@font-face{font-family:'" + WEB_FAMILY + "';"
        f"src:url(data:font/otf;base64,{data}) format('opentype');font-display:block;}}"
        ".leaflet-container,.panhuo-legend,.panhuo-info,.leaflet-control,.leaflet-popup-content,"
        ".leaflet-tooltip,.search-input{font-family:'"
        + WEB_FAMILY
        + "','Microsoft YaHei','PingFang SC',sans-serif !important;}</style>"
    )
