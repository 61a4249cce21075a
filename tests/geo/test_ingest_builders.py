"""Builders of tiny, hand-made vector files for the ingest tests (plus checks of the builders).

Shapefiles are written by pyogrio for the geometry, then their ``.dbf`` is replaced by one built
byte by byte here, so the tests control the encoding of every name and value, the language id
(LDID, byte 29) and whether a ``.cpg`` exists.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import box

# Yulin high-tech zone, 110.15°E 22.63°N: in EPSG:4546 (CGCS2000 GK CM 111E) about
# x = 412 600 m, y = 2 504 000 m; with the zone prefix (EPSG:4525) x = 37 412 600 m.
X0, Y0 = 412_600.0, 2_504_000.0
PREFIX = 37_000_000.0


def parcels_boxes(n: int, *, prefixed: bool = False, size: float = 100.0) -> list[shapely.Geometry]:
    """``n`` square parcels of ``size`` m side in a row near Yulin (area size² each)."""
    dx = PREFIX if prefixed else 0.0
    return [box(X0 + dx + i * size, Y0, X0 + dx + (i + 1) * size, Y0 + size) for i in range(n)]


def write_dbf(
    path: Path,
    fields: Sequence[tuple[bytes, str, int]],
    records: Sequence[Sequence[bytes]],
    *,
    ldid: int = 0,
) -> None:
    """Write a dBase III table: ``fields`` are (raw name bytes ≤ 10, type C/N, width)."""
    record_len = 1 + sum(width for _, _, width in fields)
    header_len = 32 + 32 * len(fields) + 1
    head = bytearray(32)
    head[0] = 0x03
    head[1:4] = bytes([124, 5, 1])
    head[4:12] = struct.pack("<IHH", len(records), header_len, record_len)
    head[29] = ldid
    out = bytearray(head)
    for name, ftype, width in fields:
        assert len(name) <= 10, name
        desc = bytearray(32)
        desc[: len(name)] = name
        desc[11] = ord(ftype)
        desc[16] = width
        desc[17] = 0
        out += desc
    out += b"\x0d"
    for record in records:
        out += b" "
        for (_, ftype, width), value in zip(fields, record, strict=True):
            assert len(value) <= width, (value, width)
            out += value.rjust(width) if ftype == "N" else value.ljust(width)
    out += b"\x1a"
    path.write_bytes(bytes(out))


def write_shapefile(
    directory: Path,
    name: str,
    geometries: Sequence[shapely.Geometry | None],
    fields: Sequence[tuple[str, str, int]],
    rows: Sequence[Sequence[str]],
    *,
    encoding: str,
    ldid: int = 0,
    cpg: str | None = None,
    crs: int | None = 4546,
    raw_names: Sequence[bytes] | None = None,
) -> Path:
    """Write ``name.shp`` with text fields encoded in ``encoding`` (names and values).

    Field names are cut to the DBF's 10 bytes the way writers do (a UTF-8 Chinese name keeps three
    characters and a byte); ``raw_names`` overrides them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    frame = gpd.GeoDataFrame({"tmp": range(len(geometries))}, geometry=list(geometries), crs=crs or 4546)
    shp = directory / f"{name}.shp"
    pyogrio.write_dataframe(frame, shp)
    (directory / f"{name}.cpg").unlink(missing_ok=True)
    if crs is None:
        (directory / f"{name}.prj").unlink(missing_ok=True)
    names = list(raw_names) if raw_names is not None else [f[0].encode(encoding)[:10] for f in fields]
    dbf_fields = [(raw, ftype, width) for raw, (_, ftype, width) in zip(names, fields, strict=True)]
    records = [[value.encode(encoding) for value in row] for row in rows]
    write_dbf(directory / f"{name}.dbf", dbf_fields, records, ldid=ldid)
    if cpg is not None:
        (directory / f"{name}.cpg").write_text(cpg)
    return shp


def tree_hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory`` (to prove inputs are never modified)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_dbf_builder_round_trips_through_gdal(tmp_path: Path) -> None:
    shp = write_shapefile(
        tmp_path,
        "t",
        parcels_boxes(2),
        [("DKBH", "C", 10), ("QYMC", "C", 20)],
        [["A1", "玉林机械厂"], ["A2", "广西糖业"]],
        encoding="gbk",
        cpg="GBK",
    )
    frame = pyogrio.read_dataframe(shp)
    assert frame["DKBH"].tolist() == ["A1", "A2"]
    assert frame["QYMC"].tolist() == ["玉林机械厂", "广西糖业"]
    assert frame.crs.to_epsg() == 4546
