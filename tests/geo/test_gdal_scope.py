"""GDAL options are set around reads, never at import (issue 12 item 5)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest

import geo.io
from geo.errors import UnsupportedFormatError
from geo.io import GDAL_CONFIG, gdal_options, inspect_path, list_layers, read_layer
from tests.geo.test_ingest_builders import parcels_boxes

REPO = Path(__file__).resolve().parents[2]

_IMPORT_PROBE = """
import json, os, sys
import pyogrio
names = sys.argv[1:]
before = ({n: pyogrio.get_gdal_config_option(n) for n in names}, dict(os.environ))
import geo.io, geo.raster_io, geo.zonal, geo.formats
after = ({n: pyogrio.get_gdal_config_option(n) for n in names}, dict(os.environ))
print(json.dumps({"before": before, "after": after, "file": geo.io.__file__}))
"""


def _options() -> dict[str, Any]:
    return {name: pyogrio.get_gdal_config_option(name) for name in GDAL_CONFIG}


def _write_gpkg(path: Path) -> Path:
    gpd.GeoDataFrame({"DKBH": ["A1", "A2"]}, geometry=parcels_boxes(2), crs=4546).to_file(path)
    return path


@pytest.fixture
def previous() -> Any:
    """Give the options known values (one set, the others unset) and put the real ones back."""
    real = _options()
    chosen = dict.fromkeys(GDAL_CONFIG) | {"GDAL_HTTP_TIMEOUT": "7"}
    pyogrio.set_gdal_config_options(chosen)
    yield _options()
    pyogrio.set_gdal_config_options(real)


def test_import_changes_no_gdal_option_nor_environment() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, *GDAL_CONFIG],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    probe = json.loads(done.stdout)
    assert Path(probe["file"]).resolve() == Path(geo.io.__file__).resolve()
    assert probe["after"][0] == probe["before"][0]
    assert probe["after"][1] == probe["before"][1]
    key = "CPL_VSIL_CURL_ALLOWED_EXTENSIONS"
    assert probe["after"][0][key] != GDAL_CONFIG[key]


def test_options_hold_during_the_read_and_are_restored_after(
    tmp_path: Path, previous: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert previous["GDAL_HTTP_TIMEOUT"] == 7 and previous["PROJ_NETWORK"] is None
    seen: list[dict[str, Any]] = []
    real_read = pyogrio.read_dataframe

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(_options())
        return real_read(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_dataframe", spy)
    path = _write_gpkg(tmp_path / "park.gpkg")
    gdf, _ = read_layer(path)
    assert len(gdf) == 2
    assert seen and seen[0]["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] == ".panhuo-network-disabled"
    assert seen[0]["PROJ_NETWORK"] is False and seen[0]["GDAL_HTTP_TIMEOUT"] == 1
    assert _options() == previous
    assert [layer.name for layer in list_layers(path)] == ["park"]
    assert _options() == previous


def test_options_are_restored_when_the_read_fails(tmp_path: Path, previous: dict[str, Any]) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(UnsupportedFormatError):
        inspect_path(broken)
    assert _options() == previous


def test_overlapping_scopes_keep_the_options_until_the_last_ends(previous: dict[str, Any]) -> None:
    inner_entered, outer_may_leave = threading.Event(), threading.Event()
    during: list[dict[str, Any]] = []

    def other_read() -> None:
        with gdal_options():
            inner_entered.set()
            outer_may_leave.wait(10)
            during.append(_options())

    with gdal_options():
        worker = threading.Thread(target=other_read)
        worker.start()
        inner_entered.wait(10)
    # the first scope has ended; the other read is still running and must stay protected
    assert _options()["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] == ".panhuo-network-disabled"
    outer_may_leave.set()
    worker.join(10)
    assert during[0]["GDAL_VRT_ENABLE_PYTHON"] == "NO"
    assert _options() == previous
