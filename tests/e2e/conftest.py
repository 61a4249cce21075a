"""Fixtures of the workbench's end-to-end tests: a real ``panhuo serve`` and Debian's headless Chromium.

The server runs as users run it (``python -m panhuo serve`` on a free loopback port, its own data
directory, tokens made with ``panhuo token create``); the browser is ``/usr/bin/chromium`` driven by
Playwright (never a downloaded browser). Every request the page makes is recorded, and a test
fails if one leaves 127.0.0.1 (the workbench must work on an intranet with no internet).
Screenshots of each step go to ``out/e2e/`` (1366×768).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "out" / "e2e"
VIEWPORT = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``panhuo serve`` with a planner's and a viewer's token."""

    url: str
    data_dir: Path
    sample: Path
    planner: str
    viewer: str
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=Path)


def _token(data_dir: Path, name: str, role: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "panhuo",
            "token",
            "create",
            "--name",
            name,
            "--role",
            role,
            "--workspace",
            "玉林高新区",
            "--data-dir",
            str(data_dir),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).is_file():
        pytest.fail("the workbench tests need Debian's chromium (bash .ci/sysdeps.sh)", pytrace=False)
    # one server per test module: each journey starts from an empty workspace
    root = tmp_path_factory.mktemp("workbench")
    sample = root / "sample"
    subprocess.run(
        [sys.executable, "data/make_sample.py", "--out", str(sample)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    data_dir = root / "data"
    planner = _token(data_dir, "规划科 张工", "planner")
    viewer = _token(data_dir, "督查科 李工", "viewer")
    port = _free_port()
    log = root / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANHUO_")}
    env["PANHUO_JOB_WORKERS"] = "2"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "panhuo",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(
                f"panhuo serve did not start:\n{log.read_text(errors='replace')[-3000:]}", pytrace=False
            )
        time.sleep(0.3)
    try:
        yield Server(
            url=url,
            data_dir=data_dir,
            sample=sample,
            planner=planner,
            viewer=viewer,
            process=process,
            log=log,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Page:
    """A browser page on the workbench, with what it requested and said."""

    page: object
    requests: list[str]
    console_errors: list[str]
    server: Server

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))  # type: ignore[attr-defined]
        return path

    def off_host(self) -> list[str]:
        return [
            u
            for u in self.requests
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != "127.0.0.1"
        ]


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN")  # type: ignore[attr-defined]
    context.set_default_timeout(30_000)
    tab = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield Page(page=tab, requests=requests, console_errors=errors, server=server)
    finally:
        context.close()


def sign_in(p: Page, token: str) -> None:
    """Open the workbench and sign in with ``token``."""
    tab = p.page
    tab.goto(p.server.url + "/")  # type: ignore[attr-defined]
    tab.get_by_label("令牌").fill(token)  # type: ignore[attr-defined]
    tab.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    tab.locator("#who").wait_for()  # type: ignore[attr-defined]


def copy_shot(src: Path, name: str) -> None:
    """Keep a screenshot for the README (only when PANHUO_KEEP_SHOTS=1)."""
    if os.environ.get("PANHUO_KEEP_SHOTS") == "1":
        shutil.copy(src, ROOT / "docs" / "img" / name)
