import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from maps.gcj02 import in_china, shift_coords, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def _offset_m(lon: float, lat: float) -> tuple[float, float]:
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    _, _, east = GEOD.inv(lon, lat, glon, lat)
    _, _, north = GEOD.inv(lon, lat, lon, glat)
    return east * np.sign(glon - lon), north * np.sign(glat - lat)


def test_offset_at_yulin_matches_domain_md():
    # domain.md §8: ≈ +460 m east, −305 m north (≈ 555 m) at Yulin 110.15°E 22.63°N
    east, north = _offset_m(110.15, 22.63)
    assert east == pytest.approx(460, abs=10)
    assert north == pytest.approx(-305, abs=10)
    assert np.hypot(east, north) == pytest.approx(555, abs=10)


def test_outside_china_is_not_shifted():
    lon, lat = wgs84_to_gcj02(np.array([2.35, 139.9]), np.array([48.85, 60.0]))
    assert lon.tolist() == [2.35, 139.9]
    assert lat.tolist() == [48.85, 60.0]
    assert not in_china(2.35, 48.85)


def test_vectorised_equals_scalar():
    lons = np.array([110.15, 116.39, 121.47])
    lats = np.array([22.63, 39.91, 31.23])
    vlon, vlat = wgs84_to_gcj02(lons, lats)
    for k in range(3):
        slon, slat = wgs84_to_gcj02(lons[k], lats[k])
        assert vlon[k] == float(slon)
        assert vlat[k] == float(slat)
    shifted = shift_coords(np.column_stack([lons, lats]))
    assert np.array_equal(shifted, np.column_stack([vlon, vlat]))


@given(st.floats(73.5, 134.0), st.floats(18.0, 53.0))
def test_offset_is_a_few_hundred_metres_inside_china(lon, lat):
    east, north = _offset_m(lon, lat)
    assert 0 < np.hypot(east, north) < 1000
