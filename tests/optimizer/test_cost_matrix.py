"""``distance: {matrix: ...}``: a precomputed cost matrix (long or wide, CSV or Parquet), checked.

The park: parcels A (x 0) and B (x 1000), 100 m squares, both candidates; demand d1, d2 beside B
(weight 1 each) and d3 beside A (weight 5). The matrix is in minutes and says the opposite of
the map: d1 and d2 are 5 min from A, d3 is 5 min from B, everything else 50 min. One clinic,
radius 10 (minutes): at A it covers d1 + d2 = 2, at B it covers d3 = 5, so the MCLP opens B with
objective 5. Straight lines (radius 10 m) would cover nothing at all.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from geo.errors import InputError, SchemaError
from optimizer.distances import MatrixDistances, cost_matrix
from optimizer.plan import run_plan
from optimizer.scenario import load_scenario
from panhuo.cli import main

X0, Y0 = 400_000.0, 2_500_000.0
COST = {("d1", "A"): 5, ("d2", "A"): 5, ("d3", "A"): 50, ("d1", "B"): 50, ("d2", "B"): 50, ("d3", "B"): 5}


@pytest.fixture
def park(tmp_path):
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "idle_status": ["idle", "idle", "not_idle"],
            "low_efficiency": [False, False, False],
            "area_m2": [10_000.0] * 3,
            "tax_per_mu": [0.0] * 3,
            "idle_fee_wan": [0.0] * 3,
        },
        geometry=[box(X0 + x, Y0, X0 + x + 100, Y0 + 100) for x in (0, 1000, 2000)],
        crs="EPSG:4546",
    )
    demand = gpd.GeoDataFrame(
        {"demand_id": ["d1", "d2", "d3"], "weight": [1.0, 1.0, 5.0]},
        geometry=[Point(X0 + 1050, Y0 + 150), Point(X0 + 1050, Y0 - 50), Point(X0 + 50, Y0 + 150)],
        crs="EPSG:4546",
    )
    path = tmp_path / "park.gpkg"
    parcels.to_file(path, layer="parcels")
    demand.to_file(path, layer="demand")
    return tmp_path


def long_table(cost=COST) -> pd.DataFrame:
    return pd.DataFrame([{"origin": o, "destination": d, "cost": c} for (o, d), c in cost.items()])


def scenario(folder, matrix: dict | None, **kw) -> tuple:
    data = {
        "name": "matrix",
        "parcels": {"path": "park.gpkg", "layer": "parcels"},
        "candidates": "revitalisable",
        "demand": {"path": "park.gpkg", "layer": "demand", "weight": "weight"},
        "facilities": [{"type": "clinic", "count": 1, "radius_m": 10}],
        "objective": "max_coverage",
        "distance": matrix if matrix is not None else "euclidean",
        "solver": {"name": "cbc", "time_limit_s": 30},
        **kw,
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_scenario(path)


def test_long_form_csv_decides_the_plan(park):
    long_table().to_csv(park / "costs.csv", index=False)
    out = run_plan(*scenario(park, {"matrix": "costs.csv"}))
    assert out.plan["status"] == "optimal"
    assert out.plan["objective"] == pytest.approx(5.0)
    assert [s["parcel_id"] for s in out.plan["selected"]] == ["B"]
    # the same scenario on straight lines covers nothing within 10 m
    assert run_plan(*scenario(park, None)).plan["objective"] == pytest.approx(0.0)


def test_wide_form_and_parquet_give_the_same_plan(park):
    wide = long_table().pivot(index="origin", columns="destination", values="cost").reset_index()
    wide.to_csv(park / "wide.csv", index=False)
    long_table().to_parquet(park / "costs.parquet")
    for matrix in (
        {"matrix": "wide.csv"},
        {"matrix": "wide.csv", "form": "wide"},
        {"matrix": "costs.parquet"},
    ):
        out = run_plan(*scenario(park, matrix))
        assert out.plan["objective"] == pytest.approx(5.0), matrix
        assert [s["parcel_id"] for s in out.plan["selected"]] == ["B"], matrix


def test_other_column_names_and_a_parcel_that_is_no_candidate(park):
    # C is a parcel of the layer but not a candidate (not idle): its costs are left out, not refused
    cost = {**COST, ("d1", "C"): 1, ("d2", "C"): 1, ("d3", "C"): 1}
    table = long_table(cost).rename(columns={"origin": "from", "destination": "to", "cost": "minutes"})
    table.to_csv(park / "costs.csv", index=False)
    matrix = {"matrix": "costs.csv", "origin": "from", "destination": "to", "cost": "minutes"}
    assert run_plan(*scenario(park, matrix)).plan["objective"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: pd.concat([t, pd.DataFrame([{"origin": "d9", "destination": "A", "cost": 1}])]), "d9"),
        (lambda t: pd.concat([t, pd.DataFrame([{"origin": "d1", "destination": "Z", "cost": 1}])]), "'Z'"),
        (lambda t: t.iloc[1:], r"missing pairs \(d1→A\)"),
        (lambda t: t.assign(cost=t["cost"].where(t.index != 2, -3)), r"d3→A: '-3'"),
        (lambda t: t.assign(cost=t["cost"].astype(object).where(t.index != 0, "abc")), "d1→A: 'abc'"),
        (lambda t: pd.concat([t, t.iloc[:1]]), r"pairs given twice \(d1→A\)"),
    ],
)
def test_bad_matrices_are_refused_naming_the_offender(park, change, message):
    change(long_table()).to_csv(park / "costs.csv", index=False)
    with pytest.raises(InputError, match=message) as caught:
        run_plan(*scenario(park, {"matrix": "costs.csv"}))
    assert "distance.matrix costs.csv" in str(caught.value)


def test_demand_without_the_id_column_is_refused(park):
    long_table().to_csv(park / "costs.csv", index=False)
    with pytest.raises(SchemaError, match="'code'"):
        run_plan(*scenario(park, {"matrix": "costs.csv", "demand_id": "code"}))


def test_cli_refuses_a_bad_matrix_in_one_line(park, capsys):
    long_table().iloc[1:].to_csv(park / "costs.csv", index=False)
    scenario(park, {"matrix": "costs.csv"})
    with pytest.raises(SystemExit) as done:
        main(["plan", str(park / "scenario.yaml"), "--out", str(park / "out")])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing pairs" in err and "Traceback" not in err


def test_a_matrix_of_straight_line_distances_reproduces_the_euclidean_p_median(park):
    # p-median on straight lines, and the same distances given as a matrix: the same optimum
    parcels = gpd.read_file(park / "park.gpkg", layer="parcels").iloc[:2]
    demand = gpd.read_file(park / "park.gpkg", layer="demand")
    sites = parcels.geometry.representative_point()
    rows = [
        {"origin": o, "destination": p, "cost": float(pt.distance(s))}
        for o, pt in zip(demand["demand_id"], demand.geometry, strict=True)
        for p, s in zip(parcels["parcel_id"], sites, strict=True)
    ]
    pd.DataFrame(rows).to_csv(park / "euclid.csv", index=False)
    kw = {"objective": "min_distance", "facilities": [{"type": "clinic", "count": 1}]}
    straight = run_plan(*scenario(park, None, **kw)).plan
    matrix = run_plan(*scenario(park, {"matrix": "euclid.csv"}, **kw)).plan
    assert matrix["objective"] == pytest.approx(straight["objective"], rel=1e-9)
    assert matrix["selected"] == straight["selected"]


def test_matrix_oracle_within_and_nearest():
    cost = cost_matrix(long_table(), ["d1", "d2", "d3"], ["A", "B"], source="t")
    np.testing.assert_array_equal(cost, [[5, 50], [5, 50], [50, 5]])
    oracle = MatrixDistances(cost)
    i, j, d = oracle.within(10, np.array([0, 1]))
    assert list(zip(i, j, d, strict=True)) == [(0, 0, 5.0), (1, 0, 5.0), (2, 1, 5.0)]
    idx, dist = oracle.nearest(3, np.array([1, 0]))
    assert idx.tolist() == [[0, 1, -1], [0, 1, -1], [1, 0, -1]]
    assert dist[:, :2].tolist() == [[5, 50], [5, 50], [5, 50]] and np.isinf(dist[:, 2]).all()
