"""Invariants that must hold for any instance (hypothesis), checked on the solved answer itself."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.models import FacilitySpec, MaxCoverage, PMedian
from optimizer.solvers import SolverOptions

CBC = SolverOptions(name="cbc", time_limit_s=20)


@st.composite
def instances(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    n, m = draw(st.integers(3, 25)), draw(st.integers(2, 10))
    demand = rng.uniform(0, 2000, (n, 2))
    sites = rng.uniform(0, 2000, (m, 2))
    weight = rng.integers(0, 6, n).astype(float)
    cost = rng.integers(1, 10, m).astype(float)
    radius = draw(st.floats(100, 1500))
    capacity = draw(st.one_of(st.none(), st.floats(3, 40)))
    budget = draw(st.one_of(st.none(), st.floats(5, 40)))
    eligible = rng.random(m) < 0.8
    p = draw(st.integers(1, 3))
    return demand, sites, weight, cost, radius, capacity, budget, eligible, p


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_mclp_answers_respect_every_rule(inst):
    demand, sites, weight, cost, radius, capacity, budget, eligible, p = inst
    spec = FacilitySpec(
        "f", radius_m=radius, max_count=p, capacity=capacity, cost_wan=cost, eligible=eligible
    )
    res = MaxCoverage.from_arrays(demand, sites, [spec], demand_weight=weight, budget_wan=budget).solve(CBC)
    assert res.status == "optimal"
    opened = [int(s.site_id[1:]) for s in res.sites]
    # count, eligibility (exclusion zones / area windows), budget
    assert len(opened) <= p
    assert all(eligible[j] for j in opened)
    assert res.total_cost_wan == cost[opened].sum()
    if budget is not None:
        assert res.total_cost_wan <= budget + 1e-6
    # every counted demand point is within the radius of an open site of the type
    covered = res.covered["f"]
    for i in np.flatnonzero(covered > 1e-9):
        d = np.hypot(*(sites[opened] - demand[i]).T)
        assert d.min() <= radius + 1e-6
    # and within capacity
    if capacity is not None:
        assert all(s.served_demand <= capacity + 1e-6 for s in res.sites)
    # the objective is the covered weight
    assert abs(res.objective - (weight * covered).sum()) < 1e-6


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_pmedian_objective_is_the_true_weighted_distance(inst):
    demand, sites, weight, _, _, _, _, _, p = inst
    res = PMedian.from_arrays(
        demand, sites, [FacilitySpec("f", count=min(p, len(sites)))], demand_weight=weight, k_nearest=2
    ).solve(CBC)
    assert res.status == "optimal"
    opened = [int(s.site_id[1:]) for s in res.sites]
    d = np.hypot(*(demand[:, None, :] - sites[opened][None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert abs(res.objective - (weight * d).sum()) <= 1e-6 * max(1.0, res.objective)
    # brute force over every choice of sites proves the optimum on these small instances
    from itertools import combinations

    all_d = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    best = min(
        (weight * all_d[:, list(c)].min(axis=1)).sum() for c in combinations(range(len(sites)), len(opened))
    )
    assert res.objective <= best + 1e-6 * max(1.0, best)
