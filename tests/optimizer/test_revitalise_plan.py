"""The revitalise model and the plan pipeline on the tiny park (economics worked out by hand).

Defaults: compensation 30 万元/亩, release price 18 万元/亩, tax target 15 万元/亩, horizon 5 years,
upgrade incentive 1 万元/亩. Parcels are 10 亩.

P1 (idle_recoverable, no tax): release costs 0 (无偿收回) and returns 18·10 + 5·15·10 = 930.
P2 (low-efficiency, 5 万元/亩, owing an idle fee of 40 as if idle — revenue unless P2 is
   recovered): upgrade costs 10 and returns 5·(15 − 5)·10 = 500 (net 490, the fee still comes
   in: +40); release costs 300 and returns 180 + 750 − 5·50 − 40 = 640 (net 340, no fee).
"""

from __future__ import annotations

import json

import pytest

from geo.errors import ConfigError, NotFoundError, SchemaError
from maps.products import write_plan
from optimizer.plan import run_plan
from optimizer.scenario import load_scenario
from tests.optimizer.park import base_scenario


def plan(write_scenario, **kw):
    sc, base = load_scenario(write_scenario(base_scenario(**kw)))
    return run_plan(sc, base)


def test_net_return_only(tiny_park, write_scenario):
    out = plan(write_scenario)
    assert out.plan["status"] == "optimal"
    acts = {s["parcel_id"]: s["action"] for s in out.plan["selected"]}
    assert acts == {"P1": "release", "P2": "upgrade"}
    assert out.plan["net_return_wan"] == pytest.approx(930 + 490 + 40)
    assert out.plan["total_cost_wan"] == pytest.approx(10)


def test_budget_rules_out_the_upgrade(tiny_park, write_scenario):
    # budget 5 < the upgrade's 10: only P1's free release remains; P2 kept still pays its fee
    out = plan(write_scenario, budget_wan=5)
    acts = {s["parcel_id"]: s["action"] for s in out.plan["selected"]}
    assert acts == {"P1": "release"}
    assert out.plan["net_return_wan"] == pytest.approx(930 + 40)
    assert out.plan["total_cost_wan"] <= 5


def test_facility_coverage_and_return(tiny_park, write_scenario, tmp_path):
    # one clinic (cost 100) must be built, radius 150 m; demand near P1 only (weights 10 + 10; the
    # point at x 700 is 600 m from P1's centre). At P1: net −100 + 490 (P2 upgrade) + 40 (P2's
    # fee) = 430, covers 20 of 25. At P2: cost 300 + 100, lost tax 250 and fee 40 -> −690,
    # + 40 + P1 release 930 = 280, covers 0. Objective = 100·20/25 + 0.001·430 = 80.43
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 100, "min_area_m2": 1000}]
    out = plan(write_scenario, facilities=fac, weights={"coverage": 1.0, "net_return": 0.001})
    p = out.plan
    assert p["status"] == "optimal"
    acts = {s["parcel_id"]: s["action"] for s in p["selected"]}
    assert acts == {"P1": "facility:clinic", "P2": "upgrade"}
    assert p["objective"] == pytest.approx(80.43)
    assert p["coverage_ratio"] == pytest.approx(20 / 25)
    written = write_plan(out, tmp_path / "out")
    names = {w.name for w in written}
    assert {"plan.json", "plan.gpkg"} <= names
    doc = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    for key in (
        "status",
        "objective",
        "mip_gap",
        "covered_demand",
        "coverage_ratio",
        "total_cost_wan",
        "selected",
        "build_seconds",
        "solve_seconds",
        "solver",
    ):
        assert key in doc
    import geopandas as gpd

    parcels = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="parcels")
    assert dict(zip(parcels.parcel_id, parcels.action, strict=True)) == {
        "P1": "facility:clinic",
        "P2": "upgrade",
    }
    sites = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="sites")
    assert list(sites.parcel_id) == ["P1"]
    demand = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="demand")
    assert demand["covered_clinic"].tolist() == [True, True, False]
    # the whole park, candidates or not, for maps and briefings to draw the plan on
    context = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="context")
    park = gpd.read_file(tiny_park, layer="parcels")
    assert sorted(context.parcel_id) == sorted(park.parcel_id)
    assert len(context) > len(parcels)


def test_lexicographic_priorities(tiny_park, write_scenario):
    # coverage first (the clinic must sit on P1), then the cheapest way to keep it: cost 100
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 100}]
    out = plan(write_scenario, facilities=fac, priorities=["coverage", "cost"])
    assert out.plan["coverage_ratio"] == pytest.approx(0.8)
    assert out.plan["total_cost_wan"] == pytest.approx(100)
    assert {s["action"] for s in out.plan["selected"]} == {"facility:clinic"}


def test_exclusion_zone_blocks_facilities(tiny_park, write_scenario):
    # with candidates: all, P3 lies in the flood zone and may not host the clinic
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 0}]
    out = plan(
        write_scenario,
        candidates=["P3"],
        facilities=fac,
        exclusion={"path": "park.gpkg", "layer": "exclusion"},
    )
    assert out.plan["status"] == "infeasible"
    assert any(d["blocking"] and d["rule"].startswith("facilities[clinic]") for d in out.plan["diagnosis"])


def test_precheck_names_too_small_parcels(tiny_park, write_scenario):
    fac = [{"type": "school", "count": 1, "radius_m": 500, "cost_wan": 0, "min_area_m2": 20000}]
    out = plan(write_scenario, facilities=fac)
    assert out.plan["status"] == "infeasible"
    assert out.result is None  # refused before any solve
    assert out.plan["diagnosis"][0]["rule"] == "facilities[school].min_area_m2"
    assert "20,000" in out.plan["diagnosis"][0]["message"]


def test_precheck_budget_below_mandatory_cost(tiny_park, write_scenario):
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 500}]
    out = plan(write_scenario, facilities=fac, budget_wan=100)
    assert out.plan["status"] == "infeasible"
    rules = [d["rule"] for d in out.plan["diagnosis"]]
    assert "budget_wan" in rules


def test_elastic_diagnosis_names_the_land_share(tiny_park, write_scenario):
    # a canteen (living) of 10 亩 must be built, but living land may be at most 1 % of the
    # industrial land (30 亩): pre-checks pass, the solver proves infeasibility, and the elastic
    # re-solve names land_shares.living_max
    fac = [{"type": "canteen", "count": 1, "radius_m": 150, "cost_wan": 0, "living": True}]
    out = plan(write_scenario, facilities=fac, land_shares={"living_max": 0.01})
    assert out.plan["status"] == "infeasible"
    elastic = [d for d in out.plan["diagnosis"] if d["kind"] == "elastic"]
    assert [d["rule"] for d in elastic] == ["land_shares.living_max"]
    # 10 亩 of canteen against 1 % of 30 亩 (industrial land after the plan is 20 亩 → 0.2 亩)
    assert elastic[0]["amount"] > 0


def test_missing_file_and_column_are_named(tiny_park, write_scenario):
    with pytest.raises(NotFoundError, match=r"nothere\.gpkg"):
        plan(write_scenario, parcels="nothere.gpkg")
    with pytest.raises(SchemaError, match="workers"):
        plan(write_scenario, demand={"path": "park.gpkg", "layer": "demand", "weight": "workers"})


def test_bad_scenario_values_are_named(tiny_park, write_scenario):
    with pytest.raises(ConfigError, match="budget_wan"):
        plan(write_scenario, budget_wan=0)
    with pytest.raises(ConfigError, match="radius_m"):
        plan(write_scenario, facilities=[{"type": "clinic", "count": 1, "radius_m": 0}])
    with pytest.raises(ConfigError, match=r"weights.*not a number"):
        plan(write_scenario, weights={"coverage": "lots"})
    with pytest.raises(ConfigError, match=r"unknown key 'budget'.*allowed"):
        plan(write_scenario, budget=5)
    with pytest.raises(ConfigError, match="objective"):
        plan(write_scenario, objective="max_happiness")
    with pytest.raises(ConfigError, match="allowed_planned_use"):
        plan(
            write_scenario,
            facilities=[{"type": "clinic", "count": 1, "radius_m": 500, "allowed_planned_use": False}],
        )


def test_network_distance(tiny_park, write_scenario, tmp_path):
    # a road along y = -60 from x 0 to 800 m; the clinic on P1 reaches the worker point at
    # (40, -60) along the road, the resident point (40, 120) only 80 m straight from P1's
    # representative point... both within 150 m by road via the snapping legs
    import geopandas as gpd
    from shapely.geometry import LineString

    from tests.optimizer.park import X0, Y0

    roads = gpd.GeoDataFrame(
        {"name": ["r"]},
        geometry=[LineString([(X0 - 50, Y0 - 60), (X0 + 400, Y0 - 60), (X0 + 800, Y0 - 60)])],
        crs="EPSG:4546",
    )
    roads.to_file(tiny_park, layer="roads")
    fac = [{"type": "clinic", "count": 1, "radius_m": 2000, "cost_wan": 100}]
    out = plan(
        write_scenario,
        facilities=fac,
        distance="network",
        roads={"path": "park.gpkg", "layer": "roads"},
        weights={"coverage": 1.0},
    )
    assert out.plan["status"] == "optimal"
    assert out.plan["coverage_ratio"] == pytest.approx(1.0)


def test_layer_in_another_crs_is_reprojected_and_said(tiny_park, write_scenario):
    import geopandas as gpd

    demand = gpd.read_file(tiny_park, layer="demand").to_crs("EPSG:4525")  # zone-prefixed GK
    demand.to_file(tiny_park, layer="demand_zone37")
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 100}]
    out = plan(
        write_scenario,
        facilities=fac,
        demand={"path": "park.gpkg", "layer": "demand_zone37", "weight": "weight"},
        weights={"coverage": 1.0, "net_return": 0.001},
    )
    assert any("重投影" in w for w in out.plan["warnings"])
    assert out.plan["objective"] == pytest.approx(80.43, abs=1e-3)


@pytest.mark.parametrize(
    ("objective", "best", "site"),
    [
        # MCLP: a clinic on P1 covers the two points near it (10 + 10)
        ("max_coverage", 20.0, "P1"),
        # p-median: site points are parcel centres (40.8 + 300 k, 40.8); from P1's centre the
        # points are 79.18, 100.83 and 678.12 m away: 10·79.18 + 10·100.83 + 5·678.12 = 5190.7
        ("min_distance", 5190.7, "P1"),
    ],
)
def test_classic_objectives_through_the_scenario(tiny_park, write_scenario, objective, best, site):
    # (P2 and P3 lie 300 and 600 m further east and serve the points worse)
    fac = [{"type": "clinic", "count": 1, "radius_m": 150, "cost_wan": 100}]
    out = plan(write_scenario, objective=objective, facilities=fac, candidates="all")
    assert out.plan["status"] == "optimal"
    assert [s["parcel_id"] for s in out.plan["selected"]] == [site]
    assert out.plan["selected"][0]["action"] == "facility:clinic"
    assert out.plan["objective"] == pytest.approx(best, rel=1e-4)


def test_elastic_diagnosis_names_the_capacity(tiny_park, write_scenario):
    # LSCP, radius 200 m, capacity 15: only P1 reaches the two points near it (weight 10 + 10),
    # P3 reaches the far one (171 m). Total capacity 3 × 15 ≥ 25 passes the pre-check, but P1
    # alone cannot serve 20: the elastic re-solve names the capacity rule.
    fac = [{"type": "clinic", "radius_m": 200, "capacity": 15, "cost_wan": 0}]
    out = plan(write_scenario, objective="min_facilities", facilities=fac, candidates="all")
    assert out.plan["status"] == "infeasible"
    elastic = [d for d in out.plan["diagnosis"] if d["kind"] == "elastic"]
    assert {d["rule"] for d in elastic} == {"facilities[clinic].capacity"}
