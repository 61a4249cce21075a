"""``panhuo compare``: scenarios side by side (:func:`maps.products.write_comparison` writes them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError
from optimizer.plan import PlanOutput, run_plan
from optimizer.scenario import load_scenario


def _slug(name: str, k: int) -> str:
    s = re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("_")
    return f"{k + 1:02d}_{s or 'scenario'}"


def comparison_rows(names: list[str], plans: list[dict], layers: list[dict]) -> tuple[list[list], list[dict]]:
    """Return the side-by-side table (metric, value per scenario) and the parcels whose action differs."""
    types = sorted({t for p in plans for t in p.get("coverage_by_type", {})})
    actions = sorted({a for p in plans for a in p.get("land_by_action", {})})
    rows: list[list] = [["指标 metric", *names]]

    def row(label, f):
        rows.append([label, *[f(p) for p in plans]])

    row("状态 status", lambda p: p["status"])
    row("目标 objective", lambda p: p.get("objective"))
    row("间隙 mip_gap", lambda p: p.get("mip_gap"))
    row("需求覆盖率 coverage_ratio", lambda p: p.get("coverage_ratio"))
    for t in types:
        row(f"覆盖率 coverage_{t}", lambda p, t=t: (p.get("coverage_by_type", {}).get(t) or {}).get("ratio"))
    row("总费用 total_cost_wan", lambda p: p.get("total_cost_wan"))
    row("总收益 total_return_wan", lambda p: p.get("total_return_wan"))
    row("净收益 net_return_wan", lambda p: p.get("net_return_wan"))
    for a in actions:
        row(f"宗数 count_{a}", lambda p, a=a: (p.get("land_by_action", {}).get(a) or {}).get("count", 0))
        row(
            f"面积(亩) area_mu_{a}",
            lambda p, a=a: round((p.get("land_by_action", {}).get(a) or {}).get("area_mu", 0.0), 2),
        )
    row("建模秒 build_seconds", lambda p: round(p.get("build_seconds", 0.0), 2))
    row("求解秒 solve_seconds", lambda p: round(p.get("solve_seconds", 0.0), 2))
    # parcels that differ (a parcel missing from a plan counts as keep)
    act_by = []
    for lay in layers:
        parcels = lay.get("parcels")
        act_by.append(
            {} if parcels is None else dict(zip(parcels["parcel_id"], parcels["action"], strict=True))
        )
    ids = sorted(set().union(*[set(a) for a in act_by])) if act_by else []
    diffs = []
    for pid in ids:
        acts = {n: a.get(pid, "keep") for n, a in zip(names, act_by, strict=True)}
        if len(set(acts.values())) > 1:
            diffs.append({"parcel_id": pid, "actions": acts})
    rows.append(["差异地块 parcels_differing", *[len(diffs)] * len(names)])
    return rows, diffs


@dataclass
class Comparison:
    """Several scenarios solved side by side (what ``panhuo compare`` reports and writes)."""

    names: list[str]
    slugs: list[str]
    outputs: list[PlanOutput]
    rows: list[list]
    diffs: list[dict]

    def summary(self) -> dict:
        """Return the ``compare.json`` content."""
        return {
            "scenarios": [{k: o.plan.get(k) for k in SUMMARY_KEYS} for o in self.outputs],
            "table": self.rows,
            "parcels_differing": self.diffs,
        }

    def solved(self) -> list[tuple[str, dict, dict]]:
        """``(name, layers, plan)`` of the plans with a solution (what the comparison map draws)."""
        return [(n, o.layers, o.plan) for n, o in zip(self.names, self.outputs, strict=True) if o.layers]

    def lines(self) -> list[str]:
        """Return the console summary, in Chinese."""
        out = [f"panhuo compare: {len(self.names)} 个情景，{len(self.diffs)} 宗地块方案不同"]
        out += [
            f"  {n}: {o.report.status_zh}，目标 "
            + ("—" if o.report.objective is None else f"{o.report.objective:,.6g}")
            for n, o in zip(self.names, self.outputs, strict=True)
        ]
        return out


#: the keys of each scenario in ``compare.json``
SUMMARY_KEYS = (
    "name",
    "status",
    "objective",
    "objective_name",
    "mip_gap",
    "covered_demand",
    "coverage_ratio",
    "coverage_by_type",
    "total_cost_wan",
    "total_return_wan",
    "net_return_wan",
    "objective_terms",
    "land_by_action",
    "build_seconds",
    "solve_seconds",
    "diagnosis",
)


def run_comparison(paths: list[Path], *, solver=None, time_limit_s=None) -> Comparison:
    """Run every scenario and tabulate them side by side (no files written)."""
    if len(paths) < 2:
        raise InputError(f"compare 需要至少两个情景文件 needs at least two scenarios, got {len(paths)}")
    names: list[str] = []
    slugs: list[str] = []
    outputs: list[PlanOutput] = []
    for k, path in enumerate(paths):
        sc, base = load_scenario(path)
        name = sc.name if sc.name not in names else f"{sc.name} ({k + 1})"
        outputs.append(run_plan(sc, base, solver=solver, time_limit_s=time_limit_s))
        names.append(name)
        slugs.append(_slug(name, k))
    rows, diffs = comparison_rows(names, [o.plan for o in outputs], [o.layers for o in outputs])
    return Comparison(names, slugs, outputs, rows, diffs)
