"""An ambiguous Shapefile encoding confirmed or fixed at upload (issue 13, hardening A14).

The DBF holds short GBK text whose bytes are also valid UTF-8 (食品园, 医药园: each GBK character
here is a valid two-byte UTF-8 sequence), with no ``.cpg`` and language id 0: detection can only
guess, and its guess (UTF-8) is wrong. The report says so and lists the readings; the same file sent
again with ``encoding=GBK`` gives the right Chinese names, in the report, the exports and an analysis.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from tests.api.conftest import Api

NAMES = ["食品园", "医药园", "药业园"]


def gbk_shapefile_zip(tmp: Path) -> bytes:
    """A zipped parcel Shapefile in GBK with no ``.cpg`` and DBF language id 0."""
    folder = tmp / "gbk"
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(3)], "name": NAMES},
        geometry=[box(36_500_000 + 200 * i, 2_500_000, 36_500_100 + 200 * i, 2_500_100) for i in range(3)],
        crs="EPSG:4524",
    ).to_file(folder / "园区.shp", encoding="GBK")
    (folder / "园区.cpg").unlink(missing_ok=True)
    dbf = folder / "园区.dbf"
    raw = bytearray(dbf.read_bytes())
    raw[29] = 0  # no language id
    dbf.write_bytes(bytes(raw))
    assert "食品园".encode("gbk").decode("utf-8") != "食品园"  # the bytes read as (wrong) UTF-8 too
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f.name)
    return buf.getvalue()


def _upload(api: Api, data: bytes, **fields: str):
    return api.client.post(
        "/datasets", headers=api.h("planner"), files={"file": ("园区.zip", data)}, data=fields
    )


def test_a_guessed_encoding_is_offered_and_the_chosen_one_reads_chinese(
    sqlite_api: Api, tmp_path: Path
) -> None:
    data = gbk_shapefile_zip(tmp_path)
    guessed = _upload(sqlite_api, data)
    assert guessed.status_code == 201, guessed.text
    report = guessed.json()["report"]
    assert report["encoding"] == "UTF-8"  # the guess
    candidates = report["encoding_candidates"]
    assert candidates[0]["encoding"] == "GBK"  # Chinese first
    assert "UTF-8" in [c["encoding"] for c in candidates]
    assert "GB18030" not in [c["encoding"] for c in candidates]  # same text as GBK: not offered twice
    gbk = next(c for c in candidates if c["encoding"] == "GBK")
    assert all(name in gbk["preview"] for name in NAMES)

    fixed = _upload(sqlite_api, data, encoding="gbk")
    assert fixed.status_code == 201, fixed.text
    report = fixed.json()["report"]
    assert report["encoding"] == "GBK" and "encoding_candidates" not in report
    dataset = fixed.json()["id"]
    got = sqlite_api.client.get(f"/datasets/{dataset}/data", headers=sqlite_api.h("viewer"))
    names = sorted(f["properties"]["name"] for f in json.loads(got.content)["features"])
    assert names == sorted(NAMES)
    # the choice stays with the data: an analysis of it reads the same names
    job = sqlite_api.client.post(
        "/analyses", headers=sqlite_api.h("planner"), json={"dataset_id": dataset, "as_of": "2026-06-30"}
    ).json()["job_id"]
    assert sqlite_api.wait("planner", job, timeout=120)["status"] == "successful"
    result = sqlite_api.client.get(f"/jobs/{job}/results", headers=sqlite_api.h("planner")).json()
    assert result["ingest"]["encoding"] == "GBK"
    parcels = sqlite_api.client.get(
        f"/jobs/{job}/layers/parcels?format=geojson", headers=sqlite_api.h("planner")
    )
    assert parcels.status_code == 200, parcels.text
    assert sorted(f["properties"]["name"] for f in json.loads(parcels.content)["features"]) == sorted(NAMES)


def test_a_bad_encoding_is_422_naming_the_field(sqlite_api: Api, tmp_path: Path) -> None:
    data = gbk_shapefile_zip(tmp_path)
    for bad in ("latin-1", "no-such-codec", "x" * 100):
        r = _upload(sqlite_api, data, encoding=bad)
        assert r.status_code == 422, r.text
        message = r.json()["error"]["message"]
        assert "encoding" in message and "GBK" in message and "GB18030" in message, message
    # GB18030 (a superset of GBK) reads the same names; other spellings of GBK are accepted
    for spelling in ("GB18030", "cp936"):
        r = _upload(sqlite_api, data, encoding=spelling)
        assert r.status_code == 201, r.text
