"""Known answers of the four location families on a small line instance solved by hand.

Demand points on a line (metres): x = 0, 100, 200, 500, 600, 900 with weights 1, 1, 1, 2, 2, 3.
Candidate sites: A = 100, B = 500, C = 900, D = 300.

Within 150 m: A covers {0, 100, 200} (weight 3), B covers {500, 600} (4), C covers {900} (3),
D covers {200} (1).
"""

from __future__ import annotations

import numpy as np
import pytest

from geo.errors import ConfigError, CRSError
from optimizer.models import FacilitySpec, MaxCoverage, MinFacilities, PCenter, PMedian
from optimizer.solvers import SolverOptions

DEMAND = np.array([[0, 0], [100, 0], [200, 0], [500, 0], [600, 0], [900, 0]], dtype=float)
WEIGHT = np.array([1, 1, 1, 2, 2, 3], dtype=float)
SITES = np.array([[100, 0], [500, 0], [900, 0], [300, 0]], dtype=float)
IDS = ["A", "B", "C", "D"]
CBC = SolverOptions(name="cbc", time_limit_s=30)
HIGHS = SolverOptions(name="highs", time_limit_s=30)


def model(cls, facilities, **kw):
    return cls.from_arrays(DEMAND, SITES, facilities, demand_weight=WEIGHT, site_ids=IDS, **kw)


# ---- MCLP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "best"),
    [(1, 4.0), (2, 7.0), (3, 10.0)],  # B alone; B + A or B + C; A + B + C covers everything
)
def test_mclp_known_answers(p, best):
    res = model(MaxCoverage, [FacilitySpec("clinic", radius_m=150, count=p)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)
    assert "B" in res.open_sites()
    assert (res.covered["clinic"] * WEIGHT).sum() == pytest.approx(best)


def test_mclp_capacity_limits_each_site():
    # capacity 3: A, B, C can each serve 3 -> two sites serve 6 (7 without capacity)
    res = model(MaxCoverage, [FacilitySpec("clinic", radius_m=150, count=2, capacity=3)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(6.0)
    assert all(s.served_demand <= 3 + 1e-6 for s in res.sites)


def test_mclp_existing_site_is_open_and_free():
    # an existing clinic at x = 550 covers 500 and 600 (weight 4); one new site adds A or C (3)
    spec = FacilitySpec(
        "clinic", radius_m=150, count=1, existing_xy=np.array([[550.0, 0.0]]), existing_ids=("old",)
    )
    res = model(MaxCoverage, [spec]).solve(CBC)
    assert res.objective == pytest.approx(7.0)
    assert "old" in res.open_sites()
    assert {s.site_id for s in res.sites if s.existing} == {"old"}
    assert len([s for s in res.sites if not s.existing]) == 1


def test_mclp_budget():
    # A, B, C cost 5, D costs 1, budget 6: the best affordable pair is B + D (4 + 1 = 5)
    spec = FacilitySpec("clinic", radius_m=150, max_count=2, cost_wan=np.array([5.0, 5.0, 5.0, 1.0]))
    res = model(MaxCoverage, [spec], budget_wan=6).solve(CBC)
    assert res.objective == pytest.approx(5.0)
    assert sorted(res.open_sites()) == ["B", "D"]
    assert res.total_cost_wan == pytest.approx(6.0)


def test_mclp_two_types_share_one_parcel_at_most():
    # both types want B (4); only one can have it, the other takes A or C (3): 4 + 3 = 7
    specs = [FacilitySpec("clinic", radius_m=150, count=1), FacilitySpec("school", radius_m=150, count=1)]
    res = model(MaxCoverage, specs).solve(CBC)
    assert res.objective == pytest.approx(7.0)
    assert len(set(res.open_sites())) == 2


def test_mclp_eligibility_excludes_a_site():
    # B excluded (e.g. in an exclusion zone): the best single site covers 3
    spec = FacilitySpec("clinic", radius_m=150, count=1, eligible=np.array([True, False, True, True]))
    res = model(MaxCoverage, [spec]).solve(CBC)
    assert res.objective == pytest.approx(3.0)
    assert "B" not in res.open_sites()


def test_mclp_more_sites_than_candidates_is_infeasible():
    res = model(MaxCoverage, [FacilitySpec("clinic", radius_m=150, count=5)]).solve(CBC)
    assert res.status == "infeasible"
    assert res.sites == []


# ---- LSCP --------------------------------------------------------------------------------


def test_lscp_needs_a_b_c():
    # 0 is reached only by A, 500/600 only by B, 900 only by C
    res = model(MinFacilities, [FacilitySpec("clinic", radius_m=150)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(3.0)
    assert sorted(res.open_sites()) == ["A", "B", "C"]
    assert res.covered["clinic"].min() == 1.0


def test_lscp_unreachable_point_is_infeasible():
    # within 50 m nothing reaches x = 0 (A is 100 m away)
    res = model(MinFacilities, [FacilitySpec("clinic", radius_m=50)]).solve(CBC)
    assert res.status == "infeasible"


def test_lscp_capacity_forces_more_sites():
    # radius 450, capacity 4: total weight 10 needs at least 3 sites; A+B+C works
    res = model(MinFacilities, [FacilitySpec("clinic", radius_m=450, capacity=4)]).solve(CBC)
    assert res.objective == pytest.approx(3.0)
    assert all(s.served_demand <= 4 + 1e-6 for s in res.sites)


# ---- p-median ----------------------------------------------------------------------------


def test_pmedian_known_answer():
    # weighted distance of every pair (by hand): AB 1600, AC 1600, BC 1400, AD 3000, BD 2000,
    # CD 1600 -> {B, C} with 1400
    res = model(PMedian, [FacilitySpec("clinic", count=2)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(1400.0)
    assert sorted(res.open_sites()) == ["B", "C"]


def test_pmedian_short_lists_are_enlarged_until_proven():
    # with k = 1 the levels cannot see far enough; the check must enlarge and still prove 1400
    res = model(PMedian, [FacilitySpec("clinic", count=2)], k_nearest=1).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(1400.0)
    assert any("加倍" in n for n in res.notes)


def test_pmedian_capacitated():
    # capacity 5 (total weight 10, so both sites are full). Per pair, the cheapest split
    # transport (worked out pair by pair; a point's weight may be split):
    # AC: A takes 0, 100, 200 and 500 (2 × 400); C takes 600 (2 × 300) and 900
    #     -> 100 + 0 + 100 + 800 + 600 + 0 = 1600
    # CD: D takes 0,100,200 and 500 (300+200+100+400); C takes 600 (600) and 900 -> 1600
    # BC: B is full with 500, 600 and 1 unit: 1800; AB: 2400; BD: 2400; AD: 3400
    # -> 1600, by {A, C} or {C, D}
    res = model(PMedian, [FacilitySpec("clinic", count=2, capacity=5)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(1600.0)
    assert sorted(res.open_sites()) in (["A", "C"], ["C", "D"])


# ---- p-center ----------------------------------------------------------------------------


def test_pcenter_known_answer():
    # largest distance (by hand): AB 400, AC 400, BC 500, AD 600, BD 400, CD 300 -> {C, D}
    res = model(PCenter, [FacilitySpec("clinic", count=2)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(300.0)
    assert sorted(res.open_sites()) == ["C", "D"]


def test_pcenter_with_tiny_lists_still_proven():
    res = model(PCenter, [FacilitySpec("clinic", count=2)], k_nearest=1).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(300.0)


# ---- CBC and HiGHS agree -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "spec", "best"),
    [
        (MaxCoverage, FacilitySpec("f", radius_m=150, count=2), 7.0),
        (MinFacilities, FacilitySpec("f", radius_m=150), 3.0),
        (PMedian, FacilitySpec("f", count=2), 1400.0),
        (PCenter, FacilitySpec("f", count=2), 300.0),
    ],
)
def test_highs_gives_the_same_optimum(cls, spec, best):
    res = model(cls, [spec]).solve(HIGHS)
    assert res.status == "optimal"
    assert res.run.solver == "highs"
    assert res.objective == pytest.approx(best)


def test_random_instance_cbc_equals_highs():
    rng = np.random.default_rng(7)
    d, s = rng.uniform(0, 3000, (120, 2)), rng.uniform(0, 3000, (25, 2))
    w = rng.integers(1, 5, 120).astype(float)
    for cls, spec in (
        (MaxCoverage, FacilitySpec("f", radius_m=500, count=4)),
        (PMedian, FacilitySpec("f", count=4)),
    ):
        a = cls.from_arrays(d, s, [spec], demand_weight=w).solve(CBC)
        b = cls.from_arrays(d, s, [spec], demand_weight=w).solve(HIGHS)
        assert a.status == b.status == "optimal"
        assert a.objective == pytest.approx(b.objective, rel=1e-6)


# ---- validation --------------------------------------------------------------------------


def test_bad_specs_name_the_key():
    with pytest.raises(ConfigError, match="radius_m"):
        FacilitySpec("clinic", radius_m=0)
    with pytest.raises(ConfigError, match="radius_m"):
        model(MaxCoverage, [FacilitySpec("clinic", count=1)])
    with pytest.raises(ConfigError, match="budget_wan"):
        model(MaxCoverage, [FacilitySpec("clinic", radius_m=100, count=1)], budget_wan=0)


def test_from_geodataframes_uses_centroids_and_ids():
    import geopandas as gpd
    from shapely.geometry import Point, box

    x0, y0 = 400_000.0, 2_500_000.0
    demand = gpd.GeoDataFrame({"w": WEIGHT}, geometry=[Point(x0 + x, y0) for x, _ in DEMAND], crs="EPSG:4546")
    # parcels as 20 m squares centred on the sites; ids from a column
    sites = gpd.GeoDataFrame(
        {"pid": IDS},
        geometry=[box(x0 + x - 10, y0 - 10, x0 + x + 10, y0 + 10) for x, _ in SITES],
        crs="EPSG:4546",
    )
    res = MaxCoverage.from_geodataframes(
        demand, sites, [FacilitySpec("clinic", radius_m=150, count=1)], weight="w", site_id="pid"
    ).solve(CBC)
    assert res.objective == pytest.approx(4.0)
    assert res.open_sites() == ["B"]
    with pytest.raises(CRSError, match="CRS"):
        MaxCoverage.from_geodataframes(
            demand.set_crs(None, allow_override=True), sites, [FacilitySpec("c", radius_m=1)]
        )


def test_pmedian_out_of_time_before_the_proof_is_feasible_not_optimal():
    # k = 1 cannot prove the optimum; with the time already spent after the first solve the
    # model must stop and label the answer feasible, its gap taken against the truncated bound
    res = model(PMedian, [FacilitySpec("clinic", count=2)], k_nearest=1).solve(
        SolverOptions(name="cbc", time_limit_s=0.001)
    )
    assert res.status == "feasible"
    assert res.run.bound is not None and res.run.bound < res.objective
    assert res.run.mip_gap == pytest.approx((res.objective - res.run.bound) / res.objective)
    # the reported objective is the true weighted distance of the sites chosen
    opened = [SITES[IDS.index(s)][0] for s in res.open_sites()]
    true = sum(w * min(abs(x - o) for o in opened) for (x, _), w in zip(DEMAND, WEIGHT, strict=True))
    assert res.objective == pytest.approx(true)


def test_pcenter_capacitated_keeps_the_optimum_when_capacity_just_fits():
    # uncapacitated optimum {C, D} = 300 sends 0, 100, 200, 500 to D (weight 1+1+1+2 = 5) and
    # 600, 900 to C (2 + 3 = 5): capacity 5 is just met, and a capacitated answer cannot beat the
    # uncapacitated one, so 300 stays optimal. With capacity 4, 2 sites × 4 < total weight 10.
    res = model(PCenter, [FacilitySpec("clinic", count=2, capacity=5)]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(300.0)
    assert all(s.served_demand <= 5 + 1e-6 for s in res.sites)
    tight = model(PCenter, [FacilitySpec("clinic", count=2, capacity=4)]).solve(CBC)
    assert tight.status == "infeasible"


def test_pmedian_with_an_existing_site():
    # an existing clinic at x = 900; one new site. Adding A gives 1600, B 1400, D 1600 (as the
    # pairs AC, BC, CD above) -> B, 1400
    spec = FacilitySpec("clinic", count=1, existing_xy=np.array([[900.0, 0.0]]), existing_ids=("old",))
    res = model(PMedian, [spec]).solve(CBC)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(1400.0)
    assert sorted(res.open_sites()) == ["B", "old"]
