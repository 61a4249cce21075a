"""Fixtures of the API tests: the app on SQLite and on a throwaway PostgreSQL/PostGIS server.

The PostgreSQL server is Debian's: ``initdb`` into a temporary directory (as the ``postgres``
user when the tests run as root, as CI does), ``pg_ctl start`` on a free loopback port with its
unix socket inside the same directory, a template database with PostGIS from which every test
gets a fresh database, and ``pg_ctl stop`` at the end. Missing binaries FAIL the tests with the
message of ``.ci/sysdeps.sh`` — they are never skipped.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import HttpSettings, JobSettings, Settings, StoreSettings, UploadLimits

SYSDEPS_MESSAGE = (
    "panhuo tests need these Debian packages: postgresql postgresql-15-postgis-3 "
    "(run: sudo apt-get install -y postgresql postgresql-15-postgis-3, or `bash .ci/sysdeps.sh`)"
)


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        pytest.fail(SYSDEPS_MESSAGE, pytrace=False)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running throwaway PostgreSQL server."""

    bindir: Path
    root: Path
    port: int
    user: str = "panhuo"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def connection(self, database: str) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", database]

    def psql(self, sql: str, database: str = "postgres") -> str:
        command = [
            str(self.bindir / "psql"),
            *self.connection(database),
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ]
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout.strip()

    def restart(self) -> float:
        """Restart the server (`pg_ctl restart -m fast`: connections are cut); return the seconds taken."""
        started = time.monotonic()
        _run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-l",
                str(self.root / "log"),
                "-m",
                "fast",
                "-w",
                "restart",
            ],
            self.root,
        )
        return time.monotonic() - started

    def fresh_database(self) -> str:
        name = "t_" + secrets.token_hex(6)
        self.psql(f"CREATE DATABASE {name} TEMPLATE panhuo_template")
        return name


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run(command: list[str], root: Path) -> None:
    # in the temporary directory: the postgres user may not be allowed into the checkout
    done = subprocess.run(_as_owner(command), capture_output=True, text=True, cwd=root, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start Debian's PostgreSQL in a temporary directory for the whole session."""
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="panhuo-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
    port = _free_port()
    _run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "panhuo", "-A", "trust", "-E", "UTF8", "--no-sync"],
        root,
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], root
    )
    server = PgServer(bindir=bindir, root=root, port=port)
    try:
        server.psql("CREATE DATABASE panhuo_template")
        server.psql("CREATE EXTENSION postgis; CREATE SCHEMA panhuo_results;", database="panhuo_template")
        yield server
    finally:
        subprocess.run(
            _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
            cwd=root,
        )
        shutil.rmtree(root, ignore_errors=True)


def run_panhuo(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m panhuo ARGS`` as a user would; return what it printed and its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "panhuo", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def make_settings(data_dir: Path, database_url: str | None = None, **jobs: Any) -> Settings:
    """Test settings: small caps so hostile-upload tests stay fast."""
    return Settings(
        store=StoreSettings(data_dir=data_dir, database_url=database_url),
        uploads=UploadLimits(
            max_upload_mb=4,
            max_body_kb=64,
            zip_max_entries=20,
            zip_max_expanded_mb=8,
            zip_max_ratio=200,
            max_layers=5,
            raster_max_side=4096,
            raster_max_pixels=4096 * 4096,
            raster_max_bands=8,
            raster_max_block=1024,
            ingest_time_limit_s=60,
        ),
        jobs=JobSettings(**{"workers": 2, "queue": 4, "time_limit_s": 120, "memory_mb": 2048, **jobs}),
        http=HttpSettings(cors_origins=[], expensive_per_minute=1000),
    )


@dataclass
class Api:
    """A running app with tokens in two workspaces."""

    client: TestClient
    settings: Settings
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, who: str, name: str, data: bytes) -> Any:
        return self.client.post("/datasets", headers=self.h(who), files={"file": (name, data)})

    def wait(self, who: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.client.get(f"/jobs/{job_id}", headers=self.h(who)).json()
            if job["status"] in ("successful", "failed", "dismissed"):
                return dict(job)
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def start_api(settings: Settings) -> Iterator[Api]:
    """Build the app, create one token per role in workspace ``ws1`` and a planner in ``ws2``."""
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        store = app.state.store
        tokens = {}
        for who, role, ws in (
            ("admin", "admin", "ws1"),
            ("planner", "planner", "ws1"),
            ("viewer", "viewer", "ws1"),
            ("other", "planner", "ws2"),
            ("other_admin", "admin", "ws2"),
        ):
            tokens[who] = store.create_token(who, role, ws)[1]
        yield Api(client=client, settings=settings, tokens=tokens)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend == "sqlite":
        return None
    server: PgServer = request.getfixturevalue("pg_server")
    return server.url(server.fresh_database())


@pytest.fixture
def api(tmp_path: Path, database_url: str | None) -> Iterator[Api]:
    """The app on SQLite and on PostgreSQL (each test using it runs on both)."""
    yield from start_api(make_settings(tmp_path / "data", database_url))


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[Api]:
    """The app on SQLite only (storage-independent behaviour: uploads, conventions)."""
    yield from start_api(make_settings(tmp_path / "data"))


# ---------------------------------------------------------------------- tiny data, explicit CRS
def parcels_geojson(n: int = 3, crs: str | None = "EPSG:4524", idle_first: bool = False) -> bytes:
    """``n`` square parcels of 100 m × 100 m in CGCS2000 / 3-degree GK zone 36 (EPSG:4524).

    With ``idle_first`` the first parcel was granted (出让) with construction agreed to start on
    2023-01-01 and never started: on 2026-06-30 that is past the second anniversary, so
    ``idle_recoverable`` (contract §3, 《闲置土地处置办法》 Art. 14 ¶2).
    """
    features = []
    for i in range(n):
        x0, y0 = 36_500_000 + i * 200.0, 2_500_000.0
        ring = [[x0, y0], [x0 + 100, y0], [x0 + 100, y0 + 100], [x0, y0 + 100], [x0, y0]]
        features.append(
            {
                "type": "Feature",
                "properties": {"parcel_id": f"YL-{i:03d}", "地块名称": f"地块{i}", "tax_wan": 10.0 * i}
                | (
                    {
                        "供地方式": "出让",
                        "约定动工日期": "2023-01-01",
                        "实际动工日期": None,
                        "出让价款": 500.0,
                    }
                    if idle_first and i == 0
                    else {}
                ),
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs.split(':')[1]}"}}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def park_gpkg(folder: Path) -> bytes:
    """A GeoPackage with layers ``parcels`` (P0, P1, P2: 100 m squares 100 m apart, EPSG:4524)
    and ``demand`` (three points of weight 10 inside P2, one of weight 5 inside P0).

    With one clinic of radius 150 m the best site is P2: it covers 30 of the 35 demand
    (MCLP optimum 30, coverage 6/7); two clinics cover all 35.
    """
    import geopandas as gpd
    from shapely.geometry import Point, box

    x0, y0 = 36_500_000, 2_500_000
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P0", "P1", "P2"], "tax_wan": [1.0, 2.0, 3.0]},
        geometry=[box(x0 + 200 * i, y0, x0 + 200 * i + 100, y0 + 100) for i in range(3)],
        crs="EPSG:4524",
    )
    demand = gpd.GeoDataFrame(
        {"weight": [10.0, 10.0, 10.0, 5.0]},
        geometry=[
            Point(x0 + 450, y0 + 50),
            Point(x0 + 440, y0 + 60),
            Point(x0 + 460, y0 + 40),
            Point(x0 + 50, y0 + 50),
        ],
        crs="EPSG:4524",
    )
    path = folder / "park.gpkg"
    path.unlink(missing_ok=True)
    parcels.to_file(path, layer="parcels")
    demand.to_file(path, layer="demand")
    return path.read_bytes()


def clinic_scenario(dataset: str, count: int = 1, name: str = "一站方案") -> dict[str, Any]:
    """The scenario of :func:`park_gpkg`: MCLP with ``count`` clinics of radius 150 m."""
    return {
        "name": name,
        "parcels": {"path": dataset, "layer": "parcels"},
        "candidates": "all",
        "as_of": "2026-06-30",
        "demand": {"path": dataset, "layer": "demand", "weight": "weight"},
        "facilities": [{"type": "clinic", "count": count, "radius_m": 150}],
        "objective": "max_coverage",
    }
