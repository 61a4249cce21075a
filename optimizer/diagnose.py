"""Why a scenario cannot be planned: cheap pre-checks, then an elastic re-solve.

Pre-checks (before any solve) look for the usual impossibilities: a facility type with no
candidate parcel that fits (too small, excluded, wrong planned use), more sites asked for than
candidates, demand beyond every radius, total capacity below the demand, a budget below the
cheapest mandatory choice. The blocking ones stop the run with a ``diagnosis`` instead of a solve.

When the solver still proves the model infeasible, :func:`elastic_diagnosis` rebuilds it with a
non-negative slack on every *scenario rule* (counts, budget, land shares, separations,
capacities, the LSCP's cover-every-point rows) and minimises the total relative slack: the
rules whose slack stays positive are the ones that cannot all hold, and the slack says by how
much (e.g. "budget_wan: 还差 1 250 万元").
"""

from __future__ import annotations

import re

import numpy as np

from optimizer.distances import EuclideanDistances
from optimizer.inputs import PlanInputs, build_model
from optimizer.models.base import Extension
from optimizer.result import Finding
from optimizer.scenario import CostMatrixRef
from optimizer.solvers import SolverOptions, solve

#: constraint-name families that stand for scenario rules (and the scenario key they come from)
RULES: tuple[tuple[str, str], ...] = (
    (r"^count_(\w+)$", "facilities[{0}].count"),
    (r"^min_count_(\w+)$", "facilities[{0}].min_count"),
    (r"^max_count_(\w+)$", "facilities[{0}].max_count"),
    (r"^budget$", "budget_wan"),
    (r"^living_share$", "land_shares.living_max"),
    (r"^industrial_rate$", "land_shares.industrial_min"),
    (r"^capacity_(\w+?)_s\d+$", "facilities[{0}].capacity"),
    (r"^separation_(\w+?)_(\w+?)_s\d+_s\d+$", "separations[{0}–{1}]"),
    (r"^cover_(\w+?)_d\d+$", "facilities[{0}].radius_m"),
    (r"^assign_(\w+?)_d\d+$", "facilities[{0}].capacity"),
)
__all__ = ["RULES", "Finding", "elastic_diagnosis", "prechecks"]


def prechecks(inputs: PlanInputs) -> list[Finding]:
    """Cheap checks on the prepared inputs (see the module docstring).

    In order, per facility type: enough eligible sites (:func:`_site_findings`), demand that no
    site can reach (:func:`_reach_findings`) and capacity below demand; then the budget against
    the cheapest mandatory sites (:func:`_budget_findings`).
    """
    sc = inputs.scenario
    out: list[Finding] = []
    area = inputs.candidates.geometry.area.to_numpy()
    # a cost matrix is in its own unit: reach is read from it, not from straight lines
    matrix = build_model(inputs) if isinstance(sc.distance, CostMatrixRef) else None
    mandatory_cost = 0.0
    for fc, spec in zip(sc.facilities, inputs.specs, strict=True):
        need = spec.count if spec.count is not None else (spec.min_count or 0)
        eligible = np.asarray(spec.eligible, dtype=bool)
        out += _site_findings(fc, need, int(eligible.sum()), area)
        if need > 0 and eligible.any():
            costs = np.sort(np.asarray(spec.cost_wan, dtype=float)[eligible])
            mandatory_cost += float(costs[:need].sum())
        if inputs.demand is not None and spec.radius_m is not None:
            out += _reach_findings(inputs, fc, spec, eligible, matrix)
    return out + _budget_findings(sc.budget_wan, mandatory_cost)


def _site_findings(fc, need: int, n_ok: int, area: np.ndarray) -> list[Finding]:
    """Report a type that asks for more new sites than there are eligible parcels (blocking)."""
    if need > 0 and n_ok == 0:
        big = area >= fc.min_area_m2
        if fc.max_area_m2 is not None:
            big &= area <= fc.max_area_m2
        if not big.any():
            msg = (
                f"{fc.type}: 没有面积在 {fc.min_area_m2:,.0f}–{fc.max_area_m2 or float('inf'):,.0f} m² "
                "之间的候选地块"
                f"（候选地块最大 {area.max():,.0f} m²） no candidate parcel large enough"
            )
            rule = f"facilities[{fc.type}].min_area_m2"
        else:
            msg = (
                f"{fc.type}: 面积合适的候选地块都在禁建区、规划用途不符或距离受限 "
                "every fitting parcel is excluded"
            )
            rule = f"facilities[{fc.type}]"
        return [Finding(rule, msg, blocking=True, amount=float(need))]
    if need > n_ok:
        return [
            Finding(
                f"facilities[{fc.type}].count",
                f"{fc.type}: 要求新建 {need} 处，但只有 {n_ok} 宗候选地块符合条件 "
                f"(asks for {need} sites, {n_ok} fit)",
                blocking=True,
                amount=float(need - n_ok),
            )
        ]
    return []


def _reachable(inputs: PlanInputs, spec, eligible: np.ndarray, matrix) -> np.ndarray:
    """Return which demand points lie within the radius of an eligible or existing site."""
    demand, cands = inputs.demand, inputs.candidates
    assert demand is not None
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    reach = np.zeros(len(dxy), dtype=bool)
    if matrix is not None:
        i, _, _ = matrix.distances.within(spec.radius_m, matrix.sites_for(spec))
        reach[i] = True
        return reach
    points = cands.geometry.representative_point()
    sxy = np.column_stack([points.x, points.y])
    all_xy = np.vstack([sxy[eligible], spec.existing_xy]) if len(spec.existing_xy) else sxy[eligible]
    if len(all_xy):
        i, _, _ = EuclideanDistances(dxy, all_xy).within(spec.radius_m, np.arange(len(all_xy)))
        reach[i] = True
    return reach


def _reach_findings(inputs: PlanInputs, fc, spec, eligible: np.ndarray, matrix) -> list[Finding]:
    """Report demand beyond every radius, and a capacity that cannot serve all demand."""
    assert inputs.demand is not None
    blocking = inputs.scenario.objective == "min_facilities"
    out: list[Finding] = []
    w = spec.weight if spec.weight is not None else inputs.demand["weight"].to_numpy()
    lost = (w > 0) & ~_reachable(inputs, spec, eligible, matrix)
    if lost.any():
        out.append(
            Finding(
                f"facilities[{fc.type}].radius_m",
                f"{fc.type}: {int(lost.sum())} 个需求点（权重 {float(w[lost].sum()):,.1f}）"
                f"在所有可选站点 {spec.radius_m:,.0f} m "
                "半径之外，无论如何都无法覆盖 (demand beyond every radius)",
                blocking=blocking,
                amount=float(w[lost].sum()),
            )
        )
    if spec.capacity is not None:
        most = (spec.count or spec.max_count or int(eligible.sum())) + len(spec.existing_xy)
        if most * spec.capacity < float(w.sum()):
            out.append(
                Finding(
                    f"facilities[{fc.type}].capacity",
                    f"{fc.type}: 最多 {most} 处 × 容量 {spec.capacity:,.0f} = "
                    f"{most * spec.capacity:,.0f} "
                    f"小于需求 {float(w.sum()):,.0f} (capacity below demand)",
                    blocking=blocking,
                    amount=float(w.sum()) - most * spec.capacity,
                )
            )
    return out


def _budget_findings(budget_wan: float | None, mandatory_cost: float) -> list[Finding]:
    """Report a budget below the cheapest choice of the sites that must be built (blocking)."""
    if budget_wan is None or mandatory_cost <= budget_wan:
        return []
    return [
        Finding(
            "budget_wan",
            f"预算 {budget_wan:,.0f} 万元 低于必须新建设施的最低费用 {mandatory_cost:,.0f} 万元 "
            "(budget below the cheapest mandatory choice)",
            blocking=True,
            amount=mandatory_cost - budget_wan,
        )
    ]


def _rule_of(name: str) -> str | None:
    for pattern, key in RULES:
        m = re.match(pattern, name)
        if m:
            return key.format(*m.groups())
    return None


def elastic_diagnosis(inputs: PlanInputs, options: SolverOptions) -> list[Finding]:
    """Re-solve with slack on every scenario rule and name the rules that must give way."""
    model = build_model(inputs)
    lscp = model.model_name == "min_facilities"

    def elastic(name: str) -> bool:
        # the LSCP's cover rows are scenario rules (cover every point); elsewhere coverage is the goal
        return _rule_of(name) is not None and (lscp or not name.startswith("cover_"))

    prob = model.extend(Extension(elastic=elastic)).build()
    slacks = model.slacks
    run = solve(prob, options)
    if not run.has_solution:
        return [
            Finding(
                "model",
                "弹性重解也未找到解：不可行来自地块用途唯一性等硬约束 "
                "(even the elastic model has no solution)",
                kind="elastic",
            )
        ]
    by_rule: dict[str, tuple[float, int]] = {}
    for name, vs in slacks.items():
        amount = sum(run.value(s.name) for s, _ in vs)
        if amount > 1e-6:
            rule = _rule_of(name) or name
            total, n = by_rule.get(rule, (0.0, 0))
            by_rule[rule] = (total + amount, n + 1)
    out = []
    for rule, (amount, n) in sorted(by_rule.items()):
        if rule == "budget_wan":
            msg = f"预算不足：至少还差 {amount:,.1f} 万元 (budget short by {amount:,.1f} 万元)"
        elif rule.endswith(".radius_m"):
            msg = f"{rule}: {n} 个需求点无法在服务半径内覆盖 ({n} demand points cannot be covered)"
        elif rule.endswith((".count", ".min_count")):
            msg = f"{rule}: 设施数量要求无法满足，差 {amount:,.0f} 处 (short by {amount:,.0f} sites)"
        elif rule.endswith(".max_count"):
            msg = f"{rule}: 需要多于上限 {amount:,.0f} 处 (needs {amount:,.0f} more than the maximum)"
        elif rule.endswith(".capacity"):
            msg = f"{rule}: 容量不足，超出 {amount:,.1f} (capacity exceeded by {amount:,.1f} in total)"
        elif rule.startswith("land_shares"):
            msg = f"{rule}: 用地比例限制需放宽 {amount:,.0f} m² (land-share limit off by {amount:,.0f} m²)"
        elif rule.startswith("separations"):
            msg = f"{rule}: {n} 对地块无法满足最小间距 ({n} pairs too close)"
        else:
            msg = f"{rule}: 差 {amount:,.3g}"
        out.append(Finding(rule, msg, blocking=True, amount=float(amount), kind="elastic"))
    return out
