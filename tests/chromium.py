"""Drive Debian's headless Chromium on a map page: DOM dump, screenshot, load time.

A test helper (the browser tests, ``bench/bench_maps.py``, ``scripts/screenshots.py``), not part of the
library: panhuo itself never starts a browser.

Network is cut for every run by pointing Chromium at a proxy that does not exist
(``--proxy-server=127.0.0.1:9`` with loopback not bypassed), so a page that still needs the internet
shows it. Each run gets its own throw-away profile directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import NotFoundError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    """Path of the Chromium binary (Debian's ``chromium`` package).

    Raises
    ------
    NotFoundError
        When no Chromium is installed (``bash .ci/sysdeps.sh`` installs it).

    """
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise NotFoundError("找不到 chromium (headless Chromium not installed): 运行 bash .ci/sysdeps.sh")


def _args(profile: str, extra: list[str]) -> list[str]:
    return [
        chromium_path(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        f"--user-data-dir={profile}",
        *extra,
    ]


@dataclass(frozen=True)
class PageLoad:
    """What a headless load of a page showed."""

    dom: str
    seconds: float
    ready_ms: int | None
    paths: int | None

    @property
    def svg_paths(self) -> int:
        """Number of ``<path>`` elements in the rendered DOM (SVG renderer)."""
        return len(re.findall(r"<path\b", self.dom))


def load_page(html: str | Path, *, virtual_time_ms: int | None = 5000, timeout: float = 120.0) -> PageLoad:
    """Load a local HTML file headless with the network cut and return its DOM after the scripts ran.

    ``seconds`` is the wall time of the whole Chromium run (start-up included); ``ready_ms`` is the
    page's own ``performance.now()`` when the last map script finished (``data-panhuo-ready``).
    """
    url = Path(html).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="panhuo-chromium-") as profile:
        extra = [f"--virtual-time-budget={virtual_time_ms}"] if virtual_time_ms else []
        start = time.perf_counter()
        done = subprocess.run(
            [*_args(profile, extra), "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.perf_counter() - start
    dom = done.stdout
    ready = re.search(r'data-panhuo-ready="(\d+)"', dom)
    paths = re.search(r'data-panhuo-paths="(\d+)"', dom)
    return PageLoad(
        dom, seconds, int(ready.group(1)) if ready else None, int(paths.group(1)) if paths else None
    )


def screenshot(
    html: str | Path, png: str | Path, *, size: tuple[int, int] = (1400, 900), timeout: float = 120.0
) -> Path:
    """Save a screenshot of a local HTML page (network cut) to ``png``."""
    url = Path(html).resolve().as_uri()
    target = Path(png).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="panhuo-chromium-") as profile:
        subprocess.run(
            [
                *_args(profile, ["--virtual-time-budget=8000", "--hide-scrollbars"]),
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={target}",
                url,
            ],
            capture_output=True,
            timeout=timeout,
            check=True,
        )
    return target
