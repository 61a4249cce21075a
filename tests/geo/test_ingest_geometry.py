"""Invariants of the vectorised geometry checks (geo.geomcheck), checked with hypothesis."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from geo.geomcheck import check_geometries, polygonal_parts

coordinate = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
ring = st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(ring, min_size=1, max_size=6))
def test_every_output_is_valid_polygonal_or_reported_empty(rings) -> None:
    geoms = np.array([Polygon(r) for r in rings], dtype=object)
    result = check_geometries(geoms)
    out = result.geometries
    empty = set(result.empty.tolist())
    for i, geom in enumerate(out):
        if i in empty:
            assert geom.is_empty
            continue
        assert geom.is_valid
        assert geom.geom_type in ("Polygon", "MultiPolygon")
    repaired = result.repaired.tolist()
    assert repaired == sorted(repaired)
    invalid_in = [i for i, g in enumerate(geoms) if not g.is_empty and not g.is_valid]
    assert set(invalid_in) == set(repaired)
    np.testing.assert_allclose(result.area_after, shapely.area(out[result.repaired]))


@given(
    st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 20)), min_size=1, max_size=5)
)
def test_valid_polygons_pass_through_unchanged(squares) -> None:
    geoms = np.array([box(x, y, x + d, y + d) for x, y, d in squares], dtype=object)
    result = check_geometries(geoms)
    assert result.repaired.size == 0 and result.empty.size == 0
    assert all(a.equals(b) for a, b in zip(result.geometries, geoms, strict=True))


def test_polygonal_parts_flattens_collections() -> None:
    parts = polygonal_parts(
        np.array(
            [
                GeometryCollection(
                    [MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)]), LineString([(0, 0), (5, 5)])]
                ),
                GeometryCollection([Point(0, 0), LineString([(0, 0), (1, 1)])]),
                GeometryCollection([box(0, 0, 2, 2)]),
            ],
            dtype=object,
        )
    )
    assert parts[0].geom_type == "MultiPolygon" and parts[0].area == 2.0
    assert parts[1].is_empty
    assert parts[2].geom_type == "Polygon" and parts[2].area == 4.0


def test_non_polygon_types_are_flagged_when_polygons_are_required() -> None:
    result = check_geometries(
        np.array([Point(0, 0), box(0, 0, 1, 1), LineString([(0, 0), (1, 0)])], dtype=object)
    )
    assert result.wrong_type.tolist() == [0, 2]
    assert result.wrong_type_names.tolist() == ["Point", "LineString"]
    anything = check_geometries(np.array([Point(0, 0)], dtype=object), allowed=None)
    assert anything.wrong_type.size == 0


def test_a_repair_that_comes_out_invalid_is_repaired_again() -> None:
    # found by hypothesis: a vertex 2e-311 from the origin makes make_valid's default (linework)
    # output a polygon whose "hole" lies outside its shell; the structure method gives the lobe
    bowtie = Polygon([(2.225073858507e-311, 0.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 2.0), (1.0, 1.0)])
    result = check_geometries(np.array([bowtie], dtype=object))
    fixed = result.geometries[0]
    assert fixed.is_valid and fixed.geom_type == "Polygon"
    assert result.repaired.tolist() == [0]
    assert fixed.area == 0.5
