"""CGCS2000 Gauss–Krüger zones, CRS identification and plausibility (hardening.md A15)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geo import crs as gc
from geo.errors import CRSError

ESRI_GK_ZONE_37 = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_37",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",37500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
# a home-made name PROJ cannot match by name: identified from its parameters
ESRI_GK_CUSTOM = ESRI_GK_ZONE_37.replace("CGCS2000_3_Degree_GK_Zone_37", "玉林_高斯克吕格_自定义").replace(
    "D_China_2000", "D_Custom_2000"
)


def test_zone_for_longitude() -> None:
    assert gc.gk3_zone_for_longitude(110.15) == 37  # Yulin: CM 111E
    assert gc.gk3_zone_for_longitude(109.4) == 36
    assert gc.gk3_zone_for_longitude(109.6) == 37
    assert gc.gk3_zone_for_longitude(116.4) == 39  # Beijing: CM 117E


def test_epsg_codes_of_zones() -> None:
    assert gc.gk3_epsg(25, prefixed=True) == 4513
    assert gc.gk3_epsg(45, prefixed=True) == 4533
    assert gc.gk3_epsg(25, prefixed=False) == 4534
    assert gc.gk3_epsg(45, prefixed=False) == 4554
    assert gc.gk3_epsg(37, prefixed=True) == 4525
    assert gc.gk3_epsg(37, prefixed=False) == 4546
    assert gc.gk3_epsg_for_longitude(110.15) == 4546
    with pytest.raises(CRSError):
        gc.gk3_epsg(24, prefixed=False)


@pytest.mark.parametrize("zone", range(25, 46))
def test_zone_codes_agree_with_the_epsg_database(zone: int) -> None:
    prefixed = pyproj.CRS.from_epsg(gc.gk3_epsg(zone, prefixed=True))
    plain = pyproj.CRS.from_epsg(gc.gk3_epsg(zone, prefixed=False))
    assert f"zone {zone}" in prefixed.name
    assert f"CM {3 * zone}E" in plain.name
    info = gc.gk_zone_of_epsg(prefixed.to_epsg())
    assert info is not None and info.false_easting == zone * 1_000_000 + 500_000
    assert gc.gk_zone_from_parameters(prefixed) == info
    assert gc.gk_zone_from_parameters(plain) == gc.gk_zone_of_epsg(plain.to_epsg())


def test_esri_gauss_kruger_prj_variants_are_identified() -> None:
    assert gc.identify_epsg(pyproj.CRS.from_wkt(ESRI_GK_ZONE_37))[0] == 4525
    code, _ = gc.identify_epsg(pyproj.CRS.from_wkt(ESRI_GK_CUSTOM))
    assert code == 4525
    unprefixed = ESRI_GK_CUSTOM.replace("37500000.0", "500000.0")
    assert gc.identify_epsg(pyproj.CRS.from_wkt(unprefixed))[0] == 4546


def test_easting_magnitude_guess() -> None:
    guess = gc.guess_gk3_from_easting(37_412_600.0)
    assert guess is not None and (guess.epsg, guess.zone, guess.prefixed) == (4525, 37, True)
    assert gc.guess_gk3_from_easting(412_600.0) is None  # the zone cannot be told without a meridian
    plain = gc.guess_gk3_from_easting(412_600.0, central_meridian=111.0)
    assert plain is not None and plain.epsg == 4546
    assert gc.guess_gk3_from_easting(5_000_000.0) is None


def _bounds(*geoms) -> np.ndarray:
    return np.array([g.bounds for g in geoms], dtype=float)


def test_prefixed_eastings_declared_unprefixed_are_reported() -> None:
    check = gc.check_coordinates(
        _bounds(box(37_412_600, 2_504_000, 37_412_700, 2_504_100)), pyproj.CRS.from_epsg(4546), 4546
    )
    assert not check.ok
    assert "looks like EPSG:4525" in check.suggestion and "--crs 4525" in check.suggestion


def test_unprefixed_eastings_declared_prefixed_are_reported() -> None:
    check = gc.check_coordinates(
        _bounds(box(412_600, 2_504_000, 412_700, 2_504_100)), pyproj.CRS.from_epsg(4525), 4525
    )
    assert not check.ok
    assert "EPSG:4546" in check.suggestion


def test_fitting_coordinates_pass() -> None:
    assert gc.check_coordinates(
        _bounds(box(412_600, 2_504_000, 412_700, 2_504_100)), pyproj.CRS.from_epsg(4546), 4546
    ).ok
    assert gc.check_coordinates(
        _bounds(box(37_412_600, 2_504_000, 37_412_700, 2_504_100)), pyproj.CRS.from_epsg(4525), 4525
    ).ok
    assert gc.check_coordinates(_bounds(Point(110.15, 22.63)), pyproj.CRS.from_epsg(4490), 4490).ok


def test_metres_declared_as_degrees_and_latitude_9999() -> None:
    geographic = pyproj.CRS.from_epsg(4490)
    metres = gc.check_coordinates(_bounds(Point(412_600, 2_504_000)), geographic, 4490)
    assert not metres.ok and "metres" in metres.suggestion
    prefixed = gc.check_coordinates(_bounds(Point(37_412_600, 2_504_000)), geographic, 4490)
    assert "EPSG:4525" in prefixed.suggestion
    lat = gc.check_coordinates(_bounds(Point(110.15, 22.63), Point(110.15, 9999.0)), geographic, 4490)
    assert lat.bad_rows.tolist() == [1]


def test_metric_crs_for_geographic_layer_is_its_gk_zone() -> None:
    layer = gpd.GeoDataFrame(geometry=[Point(110.15, 22.63), Point(110.2, 22.6)], crs=4490)
    assert gc.metric_crs_for(layer).to_epsg() == 4546
    projected = gpd.GeoDataFrame(geometry=[Point(37_412_600, 2_504_000)], crs=4525)
    assert gc.metric_crs_for(projected).to_epsg() == 4525
    with pytest.raises(CRSError):
        gc.metric_crs_for(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_parse_crs_spellings() -> None:
    assert gc.parse_crs(4525).to_epsg() == 4525
    assert gc.parse_crs("4525").to_epsg() == 4525
    assert gc.parse_crs("EPSG:4546").to_epsg() == 4546
    with pytest.raises(CRSError, match="not a known CRS"):
        gc.parse_crs("EPSG:99999999")


@given(st.floats(min_value=73.6, max_value=135.0))
def test_zone_holds_its_longitude(lon: float) -> None:
    zone = gc.gk3_zone_for_longitude(lon)
    assert abs(lon - 3 * zone) <= 1.5
