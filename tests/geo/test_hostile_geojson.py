"""Hostile GeoJSON (hardening A12, A17; issue 9 item 8): non-finite and out-of-range coordinates are
reported by feature, and vertex caps stop a huge polygon before any geometry operation."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo.errors import GeometryError
from geo.formats import ReadLimits
from geo.io import inspect_path, read_layer, read_parcels


def _square(x: float, y: float, d: float = 0.001) -> list[list[float]]:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def _write(path: Path, rings: list[list[list[float]]], raw: dict[str, str] | None = None) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"parcel_id": f"P{i}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
        for i, ring in enumerate(rings)
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features})
    for marker, token in (raw or {}).items():  # tokens JSON cannot hold: NaN, Infinity
        text = text.replace(marker, token)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_coordinates_are_named_by_feature(tmp_path: Path, token: str) -> None:
    rings = [_square(116.0, 39.0), _square(116.01, 39.0), _square(116.02, 39.0)]
    rings[1][2][1] = 123.456  # the marker
    path = _write(tmp_path / "p.geojson", rings, {"123.456": token})
    report = inspect_path(path)
    problems = [p for p in report.problems if p.code == "non_finite_coordinates"]
    assert problems and "P1 (row 2)" in problems[0].message, report.problems
    with pytest.raises(GeometryError, match=r"P1 \(row 2\)"):
        read_parcels(path)


def test_out_of_range_latitude_is_named_by_feature(tmp_path: Path) -> None:
    rings = [_square(116.0, 39.0), _square(116.01, 9999.0)]
    report = inspect_path(_write(tmp_path / "p.geojson", rings))
    messages = " ".join(p.message for p in report.problems)
    assert "P1 (row 2)" in messages and "纬度" in messages, messages


def _star(n: int) -> list[list[float]]:
    ring = [
        [
            116.0 + 0.01 * math.cos(2 * math.pi * i / n) * (1 + 0.3 * (i % 2)),
            39.0 + 0.01 * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]
    return [*ring, ring[0]]


def test_vertex_cap_per_feature_names_the_feature_and_the_cap(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.geojson", [_square(116.0, 39.0), _star(5000)])
    limits = ReadLimits(max_vertices_per_feature=1000)
    for read in (read_parcels, read_layer, inspect_path):
        with pytest.raises(GeometryError) as error:
            read(path, limits=limits)
        message = str(error.value)
        assert "row 2" in message and "5,001" in message and "1,000" in message, message
        assert read is read_layer or "P1 (row 2): 5,001" in message, message


def test_vertex_cap_per_layer(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.geojson", [_square(116.0 + 0.01 * i, 39.0) for i in range(10)])
    with pytest.raises(GeometryError, match="50") as error:
        read_parcels(path, limits=ReadLimits(max_vertices_per_layer=49))
    assert "layer holds 50 vertices" in str(error.value)
    assert read_parcels(path, limits=ReadLimits(max_vertices_per_layer=50))[0].shape[0] == 10


@pytest.mark.slow
def test_a_million_vertex_polygon_is_refused_quickly_by_the_cli(tmp_path: Path) -> None:
    """The default cap (250 000) refuses it before GEOS' validity check (about a minute on it)."""
    path = _write(tmp_path / "big.geojson", [_star(1_000_000)])
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "panhuo", "inspect", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "P0 (row 1): 1,000,001" in lines[0] and "250,000" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 45
