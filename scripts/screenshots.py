"""Render the README screenshots from the demo's results with Debian's headless Chromium (network cut).

    .venv/bin/python scripts/screenshots.py [--demo out/demo] [--out docs/img]

Writes ``analysis_map.png``, ``plan_map.png``, ``compare_map.png`` (1400×900 screenshots of the web
maps; pages saved online are inlined first, since Chromium runs with the network cut) and
``briefing.png`` (page 1 of the briefing PDF at 110 dpi, via poppler's ``pdftoppm``).
A result the demo did not produce is reported and skipped; the exit status is 1 if any is missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from maps.offline import external_references, inline_assets

# the Chromium driver is a test helper (tests/chromium.py); run as `python scripts/screenshots.py`, the
# project root is not on sys.path by itself
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.chromium import screenshot  # noqa: E402

MAPS = {
    "analysis_map.png": Path("analysis") / "map.html",
    "plan_map.png": Path("plan") / "map.html",
    "compare_map.png": Path("compare") / "map.html",
}


def briefing_png(pdf: Path, target: Path, dpi: int = 110) -> Path:
    """Render page 1 of ``pdf`` to ``target`` with pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        stem = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
            check=True,
            capture_output=True,
        )
        shutil.move(str(stem.with_suffix(".png")), target)
    return target


def map_png(page: Path, target: Path) -> Path:
    """Screenshot a map page; one that loads Leaflet from the CDN is inlined first (no network here)."""
    html = page.read_text(encoding="utf-8")
    if not external_references(html):
        return screenshot(page, target)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(inline_assets(html), encoding="utf-8")
        return screenshot(copy, target)


def main(argv: list[str] | None = None) -> int:
    """Make every screenshot that the demo's results allow; return 1 if any input is missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=Path("out/demo"))
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    missing = 0
    for name, relative in MAPS.items():
        page = args.demo / relative
        if not page.is_file():
            print(f"missing {page}: {name} not made", file=sys.stderr)
            missing += 1
            continue
        print(f"{name} ← {map_png(page, args.out / name)}")
    pdf = args.demo / "briefing.pdf"
    if pdf.is_file():
        print(f"briefing.png ← {briefing_png(pdf, args.out / 'briefing.png')}")
    else:
        print(f"missing {pdf}: briefing.png not made", file=sys.stderr)
        missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
