"""Malformed zips are a 415/422 naming the problem, never a 500 (issue 9 item 4).

Every archive is written byte by byte (:mod:`tests.api.zipbytes`) so that one header can lie while
the rest is a valid zipped Shapefile.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from tests.api.conftest import Api
from tests.api.zipbytes import Entry, build


@pytest.fixture(scope="module")
def shapefile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("shp")
    frame = gpd.GeoDataFrame({"parcel_id": ["P0"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:4524")
    frame.to_file(folder / "parcels.shp")
    return {f.suffix: f.read_bytes() for f in folder.iterdir()}


def _zip(files: dict[str, bytes], **lie: object) -> bytes:
    """The zipped Shapefile with the ``.shp`` member's fields set to ``lie``."""
    entries = [Entry(f"parcels{suffix}", data) for suffix, data in sorted(files.items())]
    for key, value in lie.items():
        setattr(next(e for e in entries if e.name == "parcels.shp"), key, value)
    return build(entries)


def test_a_hand_built_zip_is_accepted(sqlite_api: Api, shapefile: dict[str, bytes]) -> None:
    r = sqlite_api.upload("planner", "parcels.zip", _zip(shapefile))
    assert r.status_code == 201, r.text


def test_malformed_zips_are_refused_naming_the_problem(sqlite_api: Api, shapefile: dict[str, bytes]) -> None:
    size = len(shapefile[".shp"])
    cases = {
        "method 99 (AES)": (_zip(shapefile, method=99), 415, "压缩方法 99"),
        "method 9 (Deflate64)": (_zip(shapefile, method=9), 415, "Deflate64"),
        "local name differs": (_zip(shapefile, local_name="xxxxxxx.shp"), 422, "local header"),
        "local signature": (_zip(shapefile, local_signature=b"XX\x03\x04"), 422, "local file header"),
        "bad CRC": (_zip(shapefile, crc=1234), 422, "CRC"),
        "size claims less": (_zip(shapefile, file_size=size - 10), 422, "CRC"),
        "size claims more": (_zip(shapefile, file_size=size + 10), 422, "sizes lie"),
        "stored, size claims more": (_zip(shapefile, method=0, file_size=size + 10), 422, "sizes lie"),
        "compressed size past its end": (_zip(shapefile, compress_size=10**6), 422, "sizes lie"),
        "compressed size short": (_zip(shapefile, compress_size=5), 422, "CRC"),
        "corrupt deflate": (_zip(shapefile, payload=b"\xff" * 50), 422, "corrupt"),
        "corrupt bzip2": (_zip(shapefile, method=12, payload=b"\xff" * 50), 422, "corrupt"),
        "corrupt lzma": (_zip(shapefile, method=14, payload=b"\xff" * 50), 422, "parcels.shp"),
        "truncated": (_zip(shapefile)[:-30], 415, "zip"),
    }
    wrong = []
    for case, (data, status, words) in cases.items():
        r = sqlite_api.upload("planner", "parcels.zip", data)
        body = r.json()
        ok = (
            r.status_code == status
            and set(body) == {"error"}
            and words in body["error"]["message"]
            and "Traceback" not in r.text
        )
        if not ok:
            wrong.append((case, r.status_code, r.text[:200]))
    assert wrong == []
    assert sqlite_api.client.get("/datasets", headers=sqlite_api.h("planner")).json()["items"] == []
    folder = sqlite_api.settings.store.data_dir / "datasets"
    assert not folder.exists() or list(folder.iterdir()) == []
