"""The ε-constraint frontier for every pair of terms, on the tiny park with two demand points.

The tiny park (tests/optimizer/park.py) has two candidates of 10 亩 each. A separate demand layer
puts weight 6 beside P1 (79 m from its centre) and weight 10 beside P2 (79 m from its centre);
P1 and P2 are 300 m apart, so a clinic (radius 150 m, site cost 100 万元, at most 2) covers only
the point beside its own parcel.

Worked by hand (economics as in test_revitalise_plan.py; the P2 idle fee of 40 is a constant
revenue unless P2 is recovered):

================  ====================  ===================  ======================
plan              coverage (pp / w)     cost (万元)           net_return (万元)
================  ====================  ===================  ======================
no clinic         0                     0 (release P1 only)   40 + 930 = 970
                                        10 (+ upgrade P2)     40 + 930 + 490 = 1460
clinic on P1      37.5 / 6              100 (+10 upgrade)     40 − 100 + 490 = 430
clinic on P2      62.5 / 10             400 (300 + 100)       40 − 40 + 930 − 400 − 250 = 280
clinics on both   100 / 16              500                   40 − 100 − 690 = −750
================  ====================  ===================  ======================

(clinic on P2: acquisition 30·10 = 300, lost tax 5·50 = 250 and the fee 40 no longer collected.)
"""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.errors import ConfigError
from maps.products import write_tradeoff
from optimizer.frontier import SUPPORTED, _dominated, _Point, frontier_table, parse_pair
from optimizer.scenario import load_scenario
from tests.optimizer.park import X0, Y0, base_scenario

CLINIC = [
    {"type": "clinic", "min_count": 0, "max_count": 2, "radius_m": 150, "cost_wan": 100, "min_area_m2": 1000}
]


@pytest.fixture
def two_points(tiny_park, tmp_path, write_scenario):
    demand = gpd.GeoDataFrame(
        {"weight": [6.0, 10.0]},
        geometry=[Point(X0 + 40, Y0 + 120), Point(X0 + 340, Y0 + 120)],
        crs="EPSG:4546",
    )
    demand.to_file(tmp_path / "demand.gpkg", layer="demand")

    def scenario(objective: str = "revitalise"):
        data = base_scenario(
            objective=objective,
            facilities=CLINIC,
            demand={"path": "demand.gpkg", "layer": "demand", "weight": "weight"},
        )
        return load_scenario(write_scenario(data))

    return scenario


def points(rows, *keys):
    return [tuple(r[k] for k in keys) for r in rows]


def test_coverage_against_net_return_finds_all_four_pareto_plans(two_points):
    sc, base = two_points()
    rows = frontier_table(sc, base, "coverage:net_return", 5)
    # ε over net_return from −750 (at the best coverage) to 1460 (the best return), 552.5 apart
    assert [r["epsilon"] for r in rows] == pytest.approx([-750, -197.5, 355, 907.5, 1460])
    got = points(rows, "coverage_term", "net_return_wan")
    want = [(100, -750), (62.5, 280), (37.5, 430), (0, 1460), (0, 1460)]
    assert got == [pytest.approx(p) for p in want]
    assert all(r["status"] == "optimal" for r in rows)
    assert not any(r["dominated"] for r in rows)
    assert rows[0]["coverage"] == pytest.approx(1.0) and rows[1]["coverage"] == pytest.approx(10 / 16)


def test_net_return_against_coverage(two_points):
    sc, base = two_points()
    rows = frontier_table(sc, base, "net_return:coverage", 3)
    assert [r["epsilon"] for r in rows] == pytest.approx([0, 50, 100])
    # coverage ≥ 50 pp: only the clinic on P2 (62.5) or both; P2 alone returns more
    assert points(rows, "net_return_wan", "coverage_term") == [
        pytest.approx(p) for p in [(1460, 0), (280, 62.5), (-750, 100)]
    ]
    assert [r["objective"] for r in rows] == pytest.approx([1460, 280, -750])


def test_coverage_against_cost_revitalise(two_points):
    sc, base = two_points()
    rows = frontier_table(sc, base, "coverage:cost", 3)
    # cost from 0 (do nothing that costs) to 500 (both clinics, nothing else paid for)
    assert [r["epsilon"] for r in rows] == pytest.approx([0, 250, 500])
    assert [r["budget_wan"] for r in rows] == pytest.approx([0, 250, 500])
    assert points(rows, "coverage_term", "cost_wan") == [
        pytest.approx(p) for p in [(0, 0), (37.5, 100), (100, 500)]
    ]


def test_cost_against_coverage_revitalise(two_points):
    sc, base = two_points()
    rows = frontier_table(sc, base, "cost:coverage", 3)
    # coverage ≥ 50 pp: the clinic on P2 (400) is the cheapest way; then at cost 400 nothing more
    assert [r["epsilon"] for r in rows] == pytest.approx([0, 50, 100])
    assert points(rows, "cost_wan", "coverage_term") == [
        pytest.approx(p) for p in [(0, 0), (400, 62.5), (500, 100)]
    ]


@pytest.mark.parametrize("pair", ["net_return:cost", "cost:net_return"])
def test_net_return_and_cost(two_points, pair):
    sc, base = two_points()
    rows = frontier_table(sc, base, pair, 2)
    # the free release of P1 (cost 0, return 970) and adding P2's upgrade (cost 10, return 1460)
    assert points(rows, "cost_wan", "net_return_wan") == [pytest.approx(p) for p in [(0, 970), (10, 1460)]]


def test_mclp_coverage_against_facilities_and_cost(two_points):
    sc, base = two_points("max_coverage")
    # one site: the one beside weight 10 (P2, cost 400)
    rows = frontier_table(sc, base, "coverage:facilities", 3)
    assert [r["epsilon"] for r in rows] == pytest.approx([0, 1, 2])
    assert points(rows, "coverage_term", "n_facilities", "cost_wan") == [
        pytest.approx(p) for p in [(0, 0, 0), (10, 1, 400), (16, 2, 500)]
    ]
    # 250 万元: only the site beside weight 6 (P1, cost 100)
    rows = frontier_table(sc, base, "coverage:cost", 3)
    assert points(rows, "epsilon", "coverage_term", "cost_wan") == [
        pytest.approx(p) for p in [(0, 0, 0), (250, 6, 100), (500, 16, 500)]
    ]


def test_mclp_facilities_and_cost_against_coverage(two_points):
    sc, base = two_points("max_coverage")
    rows = frontier_table(sc, base, "facilities:coverage", 3)  # coverage ε 0, 8, 16
    assert points(rows, "n_facilities", "coverage_term") == [
        pytest.approx(p) for p in [(0, 0), (1, 10), (2, 16)]
    ]
    rows = frontier_table(sc, base, "cost:coverage", 3)
    assert points(rows, "cost_wan", "coverage_term") == [
        pytest.approx(p) for p in [(0, 0), (400, 10), (500, 16)]
    ]
    rows = frontier_table(sc, base, "facilities:cost", 2)  # cost 0 … 0: the terms do not conflict
    assert points(rows, "n_facilities", "cost_wan") == [(0, 0)]


def test_tables_and_charts_are_written(two_points, tmp_path):
    sc, base = two_points()
    rows = frontier_table(sc, base, "coverage:cost", 2)
    written = write_tradeoff(rows, tmp_path / "out", "frontier_coverage_cost")
    assert [p.name for p in written] == [
        "frontier_coverage_cost.csv",
        "frontier_coverage_cost.png",
        "frontier.csv",
    ]
    with open(tmp_path / "out" / "frontier.csv", encoding="utf-8-sig") as f:
        table = list(csv.DictReader(f))
    assert {"epsilon", "coverage", "cost_wan"} <= set(table[0]) and len(table) == 2
    from maps.charts import FRONTIER_COLUMNS, read_curve

    read_curve(tmp_path / "out" / "frontier.csv", FRONTIER_COLUMNS)
    rows = frontier_table(sc, base, "net_return:coverage", 2)
    written = write_tradeoff(rows, tmp_path / "out", "frontier_net_return_coverage")
    assert all(p.stat().st_size > 0 for p in written) and len(written) == 2


def test_dominated_points_are_flagged():
    # maximise coverage, minimise cost: (5, 100) is beaten by (5, 80); (5, 80) ties nothing better
    pts = [_Point({}, {"coverage": c, "cost": k}) for c, k in [(5, 100), (5, 80), (9, 200), (4, 300)]]
    pts.append(_Point({}, {}))  # no solution: never flagged
    assert _dominated(pts, "coverage", "cost") == [True, False, False, True, False]


@pytest.mark.parametrize(
    ("pair", "objective", "message"),
    [
        ("coverage", "revitalise", "A:B"),
        ("coverage:coverage", "revitalise", "same"),
        ("coverage:speed", "revitalise", "coverage, cost, net_return"),
        ("facilities:cost", "revitalise", "coverage, cost, net_return"),
        ("net_return:coverage", "max_coverage", "coverage, cost, facilities"),
        ("coverage:cost", "min_distance", "revitalise, max_coverage"),
    ],
)
def test_bad_pairs_name_the_allowed_terms(pair, objective, message):
    with pytest.raises(ConfigError, match=message):
        parse_pair(pair, objective)


def test_supported_pairs():
    assert (
        "coverage:cost" in SUPPORTED
        and "net_return:coverage" in SUPPORTED
        and "coverage:facilities" in SUPPORTED
    )
