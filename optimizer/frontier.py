"""Trade-offs: the coverage–cost frontier (ε-constraint) and a budget sweep.

The ε-constraint method (Haimes et al. 1971) keeps one objective and turns the other into a
constraint swept over its range. For ``coverage:cost`` the constraint is the budget: the plan
that maximises coverage without a budget gives the top of the range ``C*`` (its cost), the
cheapest plan that builds every mandatory site the bottom ``C_min``, and the frontier is
``max coverage s.t. cost ≤ ε_k`` for ``N`` values ``ε_k`` evenly spaced from ``C_min`` to
``C*``. Every point is solved to the scenario's gap, so each is Pareto-optimal up to that gap
(a point solved only to ``feasible`` is labelled so in the table).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from geo.errors import ConfigError
from optimizer.diagnose import prechecks
from optimizer.plan import prepare, run_plan
from optimizer.scenario import Scenario

SUPPORTED = ("coverage:cost",)


def _row(budget: float | None, plan: dict) -> dict:
    """One table row; ``epsilon``/``coverage``/``cost_wan`` are the columns maps.charts plots."""
    return {
        "budget_wan": budget,
        "epsilon": budget,
        "status": plan["status"],
        "coverage_ratio": plan.get("coverage_ratio"),
        "coverage": plan.get("coverage_ratio"),
        "covered_demand": plan.get("covered_demand"),
        "cost_wan": plan.get("total_cost_wan"),
        "net_return_wan": plan.get("net_return_wan"),
        "objective": plan.get("objective"),
        "mip_gap": plan.get("mip_gap"),
        "n_selected": len(plan.get("selected", [])),
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
        inputs.findings = prechecks(inputs)
        rows.append(
            _row(b, run_plan(scb, base, solver=solver, time_limit_s=time_limit_s, inputs=inputs).plan)
        )
    return rows


def frontier_table(
    sc: Scenario, base: Path, pair: str, steps: int, *, solver=None, time_limit_s=None
) -> list[dict]:
    """Compute the ε-constraint frontier for ``pair`` (only ``coverage:cost``) with ``steps`` points."""
    if pair not in SUPPORTED:
        raise ConfigError(f"--frontier {pair!r}: 支持 supported: {', '.join(SUPPORTED)}")
    if steps < 2:
        raise ConfigError(f"--steps {steps}: 至少 2 个点 at least 2")
    if sc.objective not in ("max_coverage", "revitalise"):
        raise ConfigError(
            f"--frontier coverage:cost 需要 objective max_coverage 或 revitalise, got {sc.objective}"
        )
    inputs = prepare(sc, base)
    update: dict[str, object] = {"budget_wan": None}
    if sc.objective == "revitalise":
        update.update({"weights": {"coverage": 1.0}, "priorities": ["coverage", "cost"]})
    top_sc = sc.model_copy(update=update)
    inputs.scenario = top_sc
    inputs.findings = prechecks(inputs)
    top = run_plan(top_sc, base, solver=solver, time_limit_s=time_limit_s, inputs=inputs).plan
    if top.get("total_cost_wan") is None:
        raise ConfigError(
            f"frontier: 无预算约束的方案无解 the unbudgeted plan has no solution ({top['status']})"
        )
    c_star = float(top["total_cost_wan"])
    c_min = _cheapest(sc, base, inputs, solver, time_limit_s)
    rows = []
    for eps in np.linspace(min(c_min, c_star), c_star, steps):
        s = top_sc.model_copy(update={"budget_wan": float(max(eps, 1e-6))})
        inputs.scenario = s
        inputs.findings = prechecks(inputs)
        rows.append(
            _row(float(eps), run_plan(s, base, solver=solver, time_limit_s=time_limit_s, inputs=inputs).plan)
        )
    return rows


def _cheapest(sc: Scenario, base: Path, inputs, solver, time_limit_s) -> float:
    """Return the least cost at which every mandatory site can be built (the frontier's low end).

    ``revitalise``: solved exactly (objective: minimise cost). Location models: the sum of the
    cheapest eligible sites each type must open (a lower bound; a point below the true minimum
    shows as ``infeasible`` in the table).
    """
    if sc.objective == "revitalise":
        low = sc.model_copy(update={"budget_wan": None, "weights": {"cost": 1.0}, "priorities": None})
        inputs.scenario = low
        inputs.findings = prechecks(inputs)
        plan = run_plan(low, base, solver=solver, time_limit_s=time_limit_s, inputs=inputs).plan
        if plan.get("total_cost_wan") is not None:
            return max(float(plan["total_cost_wan"]), 1e-6)
    total = 0.0
    for spec in inputs.specs:
        need = spec.count if spec.count is not None else (spec.min_count or 0)
        costs = np.sort(np.asarray(spec.cost_wan, dtype=float)[np.asarray(spec.eligible, dtype=bool)])
        total += float(costs[:need].sum())
    return max(total, 1e-6)


def write_tradeoff(rows: list[dict], out: Path, name: str) -> list[Path]:
    """Write the table as CSV (UTF-8 with BOM) and its chart as PNG (matplotlib Agg).

    The chart is :func:`maps.charts.frontier_chart` / :func:`maps.charts.sweep_chart` (Chinese
    labels in the bundled font) when the maps package is there, else a plain matplotlib plot.
    """
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{name}.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    png = out / f"{name}.png"
    frame = pd.DataFrame(rows).astype(
        {"coverage": float, "cost_wan": float, "objective": float}, errors="ignore"
    )
    try:
        from maps.charts import frontier_chart, sweep_chart
    except ImportError:
        _plain_chart(rows, png, name)
    else:
        fig = frontier_chart(frame) if name.startswith("frontier") else sweep_chart(frame)
        fig.savefig(png, dpi=120)
    return [csv_path, png]


def _plain_chart(rows: list[dict], png: Path, name: str) -> None:
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r["coverage"] is not None and r["cost_wan"] is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    ax.plot([r["cost_wan"] for r in ok], [100 * r["coverage"] for r in ok], "o-", color="#1f6f8b")
    ax.set_xlabel("cost (wan yuan)")
    ax.set_ylabel("demand covered (%)")
    ax.set_title(name.replace("_", " "))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
