"""``panhuo inspect`` on the sample park's awkward Shapefile copy, and the command's error path.

The sample (data/make_sample.py) writes ``awkward/yulin_slice.shp``: GBK text without ``.cpg`` and
LDID 0, zone-prefixed EPSG:4525 eastings with an ESRI ``.prj``, truncated Chinese field names,
three invalid geometries and one duplicated id; ``sample_meta.json`` records those facts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.encoding import read_dbf_header
from geo.io import read_layer, read_parcels
from geo.schema import PARCEL_FIELDS
from panhuo.cli import main

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (ROOT / "data" / "make_sample.py").exists(), reason="no sample generator")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    subprocess.run(
        [sys.executable, str(ROOT / "data" / "make_sample.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )
    meta = json.loads((out / "sample_meta.json").read_text(encoding="utf-8"))
    return out, meta


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


def test_inspect_reports_gbk_4525_repairs_and_the_duplicate(sample, capsys) -> None:
    out, meta = sample
    awkward = meta["awkward"]
    code, stdout, _ = _run(["inspect", str(out / awkward["path"]), "--json"], capsys)
    assert code == 0
    report = json.loads(stdout)
    assert report["encoding"] == "GBK" == awkward["encoding"]
    assert report["crs_epsg"] == 4525 == awkward["epsg"]
    assert report["feature_count"] == awkward["rows"]
    repaired = {r["parcel_id"] for r in report["geometry"]["repaired"]}
    assert repaired == set(awkward["invalid_parcel_ids"])
    assert report["duplicate_ids"] == [
        {"parcel_id": awkward["duplicated_id"], "rows": sorted(r + 1 for r in awkward["duplicated_rows"])}
    ]
    matched = {m["source"]: m["canonical"] for m in report["columns_matched"]}
    assert matched == awkward["fields"]
    truncated = {m["source"]: m["alias"] for m in report["columns_matched"] if m["how"] == "truncated alias"}
    assert set(truncated) == set(awkward["truncated_fields"])
    assert report["ok"] is False  # the duplicate id blocks analysis

    code, text, _ = _run(["inspect", str(out / awkward["path"])], capsys)
    assert code == 0
    assert "编码 Encoding: GBK" in text
    assert "EPSG:4525" in text
    assert awkward["duplicated_id"] in text and "重复编号" in text
    for pid in awkward["invalid_parcel_ids"]:
        assert pid in text


def _fix_duplicate(out: Path, awkward: dict, target: Path) -> Path:
    """Copy the awkward Shapefile and give the duplicated row back its own id (same byte width)."""
    src = out / awkward["path"]
    for part in src.parent.glob(src.stem + ".*"):
        shutil.copy(part, target / part.name)
    dbf = target / (src.stem + ".dbf")
    header = read_dbf_header(dbf)
    raw = bytearray(dbf.read_bytes())
    row = awkward["duplicated_rows"][1]
    start = header.header_len + row * header.record_len + 1  # after the deletion flag; id is field 1
    old = awkward["duplicated_id"].encode("gbk")
    new = awkward["id_replaced_by_duplicate"].encode("gbk")
    assert raw[start : start + len(old)] == old and len(new) == len(old)
    raw[start : start + len(new)] = new
    dbf.write_bytes(bytes(raw))
    return target / src.name


def test_awkward_copy_reads_the_same_chinese_text_and_values_as_the_clean_park(sample, tmp_path) -> None:
    out, meta = sample
    awkward = meta["awkward"]
    clean, _ = read_parcels(out / "yulin_park.gpkg", layer="parcels")
    clean = clean.set_index("parcel_id")

    # as delivered (duplicate id included), the generic reader gives the raw Chinese text
    raw, report = read_layer(out / awkward["path"], geometry_types=("Polygon", "MultiPolygon"))
    assert report.encoding == "GBK"
    assert list(raw.columns[:3]) == ["地块编号", "地块名称", "企业名称"]
    keep = raw["地块编号"] != awkward["duplicated_id"]
    for column, canonical in (("地块名称", "name"), ("企业名称", "enterprise"), ("供地方式", "supply_type")):
        got = raw.loc[keep, column].tolist()
        want = clean.loc[raw.loc[keep, "地块编号"], canonical].tolist()
        assert got == [None if pd.isna(v) else v for v in want], column
    assert any("有限公司" in str(v) for v in raw["企业名称"])

    # with the duplicate fixed, read_parcels gives the clean park's canonical values exactly
    fixed = _fix_duplicate(out, awkward, tmp_path)
    gdf, report = read_parcels(fixed)
    assert report.crs_epsg == 4525 and gdf.crs.to_epsg() == 4525
    assert report.unreadable == ()
    assert sorted(r.parcel_id for r in report.geometry.repaired) == sorted(awkward["invalid_parcel_ids"])
    gdf = gdf.set_index("parcel_id")
    ref = clean.loc[gdf.index]
    for field in PARCEL_FIELDS[1:]:
        if field.name not in gdf.columns:
            continue
        got, want = gdf[field.name], ref[field.name]
        if field.kind in ("number", "int"):
            np.testing.assert_allclose(
                got.astype(float), want.astype(float), rtol=0, atol=0.006, err_msg=field.name
            )
        elif field.kind == "date":
            assert (got.isna() == want.isna()).all() and (got[got.notna()] == want[want.notna()]).all(), (
                field.name
            )
        else:
            assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want], (
                field.name
            )
    valid = ~gdf.index.isin(list(awkward["invalid_parcel_ids"]))
    np.testing.assert_allclose(gdf.area[valid], ref.area[valid], rtol=1e-6)


def test_missing_file_exits_non_zero_with_one_line(tmp_path, capsys) -> None:
    code, stdout, stderr = _run(["inspect", str(tmp_path / "nope.gpkg")], capsys)
    assert code != 0 and stdout == ""
    assert stderr.count("\n") == 1 and "nope.gpkg" in stderr and "not found" in stderr
    assert "Traceback" not in stderr


def test_missing_crs_exits_non_zero_with_one_line_and_no_traceback(sample, tmp_path) -> None:
    out, meta = sample
    src = out / meta["awkward"]["path"]
    for part in src.parent.glob(src.stem + ".*"):
        if part.suffix != ".prj":
            shutil.copy(part, tmp_path / part.name)
    panhuo = Path(sys.executable).parent / "panhuo"
    result = subprocess.run(
        [str(panhuo), "inspect", str(tmp_path / src.name)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert ".prj" in result.stderr and "--crs 4525" in result.stderr
    result = subprocess.run(
        [str(panhuo), "inspect", str(tmp_path / src.name), "--crs", "4525"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "EPSG:4525" in result.stdout


def test_json_is_valid_for_every_sample_layer_file(sample, capsys) -> None:
    out, _ = sample
    code, stdout, _ = _run(["inspect", str(out / "parcels.parquet"), "--json"], capsys)
    assert code == 0
    report = json.loads(stdout)
    assert report["ok"] is True and report["format"] == "GeoParquet" and report["crs_epsg"] == 4546
    # several layers and no --layer: the layers are listed with what each can be (issue 10)
    code, stdout, _ = _run(["inspect", str(out / "yulin_park.gpkg")], capsys)
    assert code == 0
    assert "文件内有 6 个图层 The file holds 6 layers:" in stdout
    assert (
        "  roads        LineString            79 个要素 features  — 线图层（如道路）lines: roads, not parcels"
        in stdout
    )
    assert stdout.rstrip().endswith("--layer parcels")
    code, stdout, _ = _run(["inspect", str(out / "yulin_park.gpkg"), "--json"], capsys)
    listing = json.loads(stdout)
    assert code == 0 and listing["layer"] is None
    assert {x["name"]: x["role"] for x in listing["layers"]} == {
        "parcels": "parcels",
        "roads": "lines",
        "demand": "points",
        "facilities": "points",
        "planned_use": "parcels",
        "exclusion": "parcels",
    }
    assert listing["layers"][0] == {
        "name": "parcels",
        "geometry_type": "Polygon",
        "features": 652,
        "role": "parcels",
    }
