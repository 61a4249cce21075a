"""Trade-offs: the ε-constraint Pareto frontier between two objective terms, and a budget sweep.

The ε-constraint method (Haimes et al. 1971) keeps one objective ``A`` and turns the other,
``B``, into a constraint swept over its range. ``--frontier A:B --steps N``:

1. the two ends of ``B``'s range are computed exactly, each by a lexicographic pair of solves
   (the payoff table): ``P_A`` = optimise ``A``, then ``B`` with ``A`` held at its optimum;
   ``P_B`` = optimise ``B``, then ``A`` with ``B`` held. ``B``'s range is ``[B(P_A), B(P_B)]``;
2. for ``N`` values ``ε_k`` evenly spaced over that range (the two ends are ``P_A`` and ``P_B``
   themselves) solve ``opt A s.t. B ⊵ ε_k`` (``≤`` for a term minimised, ``≥`` for one
   maximised), then ``opt B s.t. B ⊵ ε_k, A held`` so that no point is only weakly efficient;
3. points dominated by another (at least as good in both terms, better in one — possible only
   when a solve stops at the time limit) are flagged ``dominated`` and left out of the chart.

Terms and their senses (the terms the models really have):

================  ======  ===================================  ======================================
term              sense   ``revitalise``                       ``max_coverage`` (MCLP)
================  ======  ===================================  ======================================
``coverage``      max     Σ_t α_t·100·covered_t/total_t        Σ_t α_t Σ_i w_i z_it (covered weight)
``cost``          min     total cost C (万元)                   Σ c_jt y_jt over new sites (万元)
``net_return``    max     R − C (万元)                          —
``facilities``    min     —                                    Σ y_jt over new sites
================  ======  ===================================  ======================================

Each point is solved to the scenario's gap (a point solved only to ``feasible`` says so in its
``status`` column). When ``cost`` is one of the pair the scenario's budget is lifted (the frontier
is what answers "how much budget"); otherwise every rule of the scenario, budget included, holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from geo.errors import ConfigError
from optimizer.diagnose import prechecks
from optimizer.inputs import PlanInputs, build_model, prepare, solver_options
from optimizer.models.base import Extension, LocationModel, TermBound
from optimizer.models.coverage import MaxCoverage
from optimizer.models.revitalise import Revitalise
from optimizer.plan import PlanReport, plan_json, run_plan
from optimizer.scenario import Scenario

#: term -> (maximised?, Chinese label, column in the table)
TERMS: dict[str, tuple[bool, str, str]] = {
    "coverage": (True, "覆盖项", "coverage_term"),
    "cost": (False, "费用（万元）", "cost_wan"),
    "net_return": (True, "净收益（万元）", "net_return_wan"),
    "facilities": (False, "新建设施数", "n_facilities"),
}
#: scenario objective -> the terms its model has
MODEL_TERMS: dict[str, tuple[str, ...]] = {
    "revitalise": Revitalise.TERMS,
    "max_coverage": MaxCoverage.TERMS,
}
SUPPORTED = tuple(f"{a}:{b}" for terms in MODEL_TERMS.values() for a in terms for b in terms if a != b)
Terms = list[tuple[pulp.LpVariable, float]]


def _row(budget: float | None, plan: PlanReport) -> dict:
    """One budget-sweep row; ``budget_wan``/``objective``/``coverage_ratio`` are what maps.charts plots."""
    return {
        "budget_wan": budget,
        "epsilon": budget,
        "status": plan.status,
        "coverage_ratio": plan.coverage_ratio,
        "coverage": plan.coverage_ratio,
        "covered_demand": plan.covered_demand,
        "cost_wan": plan.total_cost_wan,
        "net_return_wan": plan.net_return_wan,
        "objective": plan.objective,
        "mip_gap": plan.mip_gap,
        "n_selected": len(plan.selected),
    }


def budget_table(
    sc: Scenario, base: Path, budgets: list[float], *, solver=None, time_limit_s=None
) -> list[dict]:
    """Solve the scenario once per budget (万元); one row per budget."""
    if not budgets or any(not b > 0 for b in budgets):
        raise ConfigError(f"--budget-sweep: 预算必须为正数 budgets must be > 0, got {budgets}")
    inputs = prepare(sc, base)
    rows = []
    for b in budgets:
        scb = sc.model_copy(update={"budget_wan": float(b)})
        inputs.scenario = scb
        rows.append(
            _row(b, run_plan(scb, base, solver=solver, time_limit_s=time_limit_s, inputs=inputs).report)
        )
    return rows


# ------------------------------------------------------------------------------ the ε-constraint


def parse_pair(pair: str, objective: str) -> tuple[str, str]:
    """Check ``A:B`` against the terms the scenario's model has; return ``(A, B)``.

    Raises
    ------
    ConfigError
        Not of the form ``A:B``, an unknown term, the same term twice, or a term the model lacks;
        the message names the allowed terms.

    """
    allowed = MODEL_TERMS.get(objective)
    if allowed is None:
        raise ConfigError(
            f"--frontier: 目标 objective {objective!r} 不支持前沿 has no frontier; "
            f"支持 supported objectives: {', '.join(MODEL_TERMS)}"
        )
    names = ", ".join(allowed)
    parts = pair.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(
            f"--frontier {pair!r}: 应为 A:B 两个目标项 expected A:B; "
            f"objective {objective} 的项 terms: {names}"
        )
    a, b = (p.strip() for p in parts)
    for t in (a, b):
        if t not in allowed:
            raise ConfigError(
                f"--frontier {pair!r}: 未知或该模型没有的目标项 term {t!r} is not a term of "
                f"objective {objective}; 可选 allowed: {names}"
            )
    if a == b:
        raise ConfigError(
            f"--frontier {pair!r}: 两个目标项相同，没有权衡 the two terms are the same; 可选 allowed: {names}"
        )
    return a, b


def term_expression(model: LocationModel, term: str) -> tuple[Terms, float]:
    """Return ``(Σ coefficient·variable, constant)`` of ``term`` on a built model."""
    if term not in TERMS:
        raise ConfigError(f"unknown term {term!r}; allowed: {', '.join(TERMS)}")
    return model.term(term)


def _extension(objective: str, bounds: list[tuple[str, float]]) -> Extension:
    """Optimise one term; keep each bounded term on its good side of its value (row ``epsilon_{term}``).

    ``≥`` for a maximised term, ``≤`` for a minimised one.
    """
    rows = tuple(
        TermBound(
            term, pulp.LpConstraintGE if TERMS[term][0] else pulp.LpConstraintLE, value, f"epsilon_{term}"
        )
        for term, value in bounds
    )
    return Extension(objective=(objective, TERMS[objective][0]), bounds=rows)


@dataclass
class _Point:
    plan: PlanReport
    values: dict[str, float]  # term -> value (empty without a solution)


def _solve(inputs: PlanInputs, options, objective: str, bounds: list[tuple[str, float]]) -> _Point:
    model = build_model(inputs).extend(_extension(objective, bounds))
    result = model.solve(options)
    values: dict[str, float] = {}
    if result.run.has_solution:
        for term in MODEL_TERMS[inputs.scenario.objective]:
            values[term] = _value(model, result, term)
    return _Point(plan_json(inputs, result, options, []), values)


def _value(model: Any, result: Any, term: str) -> float:
    """Value of ``term`` in a solution, free of the solver's integrality tolerance.

    Money and site counts are sums over binary variables, read rounded; coverage is read from
    the result's covered share of every point (open sites rounded), scaled as in the model.
    """
    if term == "coverage":
        return float(
            sum(
                model.coverage_scale(f) * float((model.weight_for(f) * result.covered[f.type]).sum())
                for f in model.facilities
            )
        )
    terms, const = term_expression(model, term)
    return float(sum(c * round(result.run.value(v.name)) for v, c in terms)) + const


def _lexicographic(
    inputs: PlanInputs, options, first: str, second: str, bounds: list[tuple[str, float]]
) -> _Point:
    """Optimise ``first`` under ``bounds``, then ``second`` with ``first`` held at its optimum."""
    one = _solve(inputs, options, first, bounds)
    if first not in one.values:
        return one
    v = one.values[first]
    hold = v - 1e-6 * max(1.0, abs(v)) if TERMS[first][0] else v + 1e-6 * max(1.0, abs(v))
    two = _solve(inputs, options, second, [*bounds, (first, hold)])
    return two if second in two.values else one


def _dominated(points: list[_Point], a: str, b: str) -> list[bool]:
    """Flag points another point beats in one term and matches or beats in the other."""
    sa = 1.0 if TERMS[a][0] else -1.0
    sb = 1.0 if TERMS[b][0] else -1.0
    ok = [a in p.values for p in points]
    score = np.array(
        [
            [sa * p.values[a], sb * p.values[b]] if k else [np.nan, np.nan]
            for p, k in zip(points, ok, strict=True)
        ]
    )
    tol = 1e-6 * np.maximum(1.0, np.nanmax(np.abs(score), axis=0)) if any(ok) else np.zeros(2)
    flags = []
    for k, s in enumerate(score):
        if not ok[k]:
            flags.append(False)
            continue
        geq = np.all(score >= s - tol, axis=1)
        gt = np.any(score > s + tol, axis=1)
        flags.append(bool(np.any(geq & gt)))
    return flags


def frontier_table(
    sc: Scenario, base: Path, pair: str, steps: int, *, solver=None, time_limit_s=None
) -> list[dict]:
    """Compute the ε-constraint frontier ``A:B`` with ``steps`` points (see the module docstring)."""
    a, b = parse_pair(pair, sc.objective)
    if steps < 2:
        raise ConfigError(f"--steps {steps}: 至少 2 个点 at least 2")
    update: dict[str, object] = {"priorities": None}
    if "cost" in (a, b):
        update["budget_wan"] = None
    fsc = sc.model_copy(update=update)
    inputs = prepare(fsc, base)
    inputs.findings = prechecks(inputs)
    if "coverage" in (a, b) and (inputs.demand is None or not inputs.specs):
        raise ConfigError(
            f"--frontier {pair}: 覆盖项需要需求点和设施类型 "
            "coverage needs demand and facilities in the scenario"
        )
    blocking = [f for f in inputs.findings if f.blocking]
    if blocking:
        raise ConfigError(
            f"--frontier {pair}: 方案本身无解 the plan itself is infeasible: "
            + "; ".join(f"{f.rule}: {f.message}" for f in blocking)
        )
    options = solver_options(fsc, solver, time_limit_s)
    p_a = _lexicographic(inputs, options, a, b, [])
    p_b = _lexicographic(inputs, options, b, a, [])
    if b not in p_a.values or b not in p_b.values:
        status = (p_a if b not in p_a.values else p_b).plan.status
        raise ConfigError(
            f"--frontier {pair}: 无法求出 {b} 的取值范围 could not compute the range of {b} "
            f"({status}); 检查情景或放宽时限 check the scenario or raise --time-limit"
        )
    lo, hi = p_a.values[b], p_b.values[b]
    eps = np.linspace(lo, hi, steps) if abs(hi - lo) > 1e-9 * max(1.0, abs(hi)) else np.array([lo])
    points: list[_Point] = []
    for k, e in enumerate(eps):
        if k == 0:
            points.append(p_a)
        elif k == len(eps) - 1:
            points.append(p_b)
        else:
            points.append(_lexicographic(inputs, options, a, b, [(b, float(e))]))
    if len(eps) > 1 and eps[0] > eps[-1]:  # the table runs from the smallest ε up
        eps, points = eps[::-1], points[::-1]
    flags = _dominated(points, a, b)
    budget = None if "cost" in (a, b) else fsc.budget_wan
    rows = []
    for k, (e, p, dom) in enumerate(zip(eps, points, flags, strict=True)):
        plan = p.plan
        rows.append(
            {
                "step": k + 1,
                "pair": f"{a}:{b}",
                "epsilon": float(e),
                "budget_wan": float(e) if b == "cost" else budget,
                "status": plan.status,
                "objective": p.values.get(a),
                "coverage_term": p.values.get("coverage"),
                "coverage_ratio": plan.coverage_ratio,
                "coverage": plan.coverage_ratio,
                "covered_demand": plan.covered_demand,
                "cost_wan": p.values.get("cost"),
                "net_return_wan": p.values.get("net_return"),
                "n_facilities": p.values.get("facilities", _new_sites(plan)),
                "mip_gap": plan.mip_gap,
                "n_selected": len(plan.selected),
                "dominated": dom,
            }
        )
    return rows


def _new_sites(plan: PlanReport) -> int:
    return sum(1 for s in plan.sites if not s.get("existing"))
