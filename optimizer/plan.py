"""From a scenario to a plan: read the layers, check, build the model, solve, report.

:func:`run_plan` is the one entry point the CLI (``panhuo plan``/``compare``) and the service call.
It writes no file and draws nothing: it returns a :class:`PlanOutput` — the typed
:class:`PlanReport` (the content of ``plan.json``), the layers of ``plan.gpkg`` and the model's
:class:`~optimizer.result.LocationResult`. :func:`maps.products.write_plan` writes the files.

Steps of :func:`run_plan`: (1) :func:`optimizer.inputs.prepare` reads the inputs; (2)
:func:`optimizer.diagnose.prechecks` looks for impossibilities; (3) unless one blocks, the model
is built and solved; (4) an infeasible model is re-solved elastically to name the rules that
cannot all hold; (5) the report and the layers are assembled.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geo.rules.presets import Preset
from geo.units import M2_PER_MU
from optimizer.diagnose import elastic_diagnosis, prechecks
from optimizer.inputs import (
    ANALYSIS_COLUMNS,
    IDLE_CLASSES,
    PlanInputs,
    Progress,
    _bool,
    _num,
    build_model,
    prepare,
    solver_options,
)
from optimizer.result import STATUS_ZH, LocationResult
from optimizer.scenario import Scenario
from optimizer.solvers import SolverOptions

__all__ = [
    "ANALYSIS_COLUMNS",
    "IDLE_CLASSES",
    "PlanInputs",
    "PlanOutput",
    "PlanReport",
    "SolverReport",
    "build_model",
    "plan_json",
    "plan_layers",
    "prepare",
    "run_plan",
    "solver_options",
]


@dataclass(frozen=True)
class SolverReport:
    """``plan.json`` ``solver``: which solver ran, with which limits, and how it stopped."""

    name: str
    version: str | None
    time_limit_s: float | None
    mip_gap_requested: float
    stopped_by: str | None
    bound: float | None
    message: str


@dataclass(frozen=True)
class PlanReport:
    """The content of ``plan.json``: contract §6 keys first, then panhuo's own (docs/optimizer.md).

    The field order is the key order of the file; :meth:`as_dict` is what is written, so the
    file's keys are exactly these fields.
    """

    name: str
    status: str
    status_zh: str
    objective: float | None
    objective_name: str
    mip_gap: float | None
    covered_demand: float | None
    coverage_ratio: float | None
    total_cost_wan: float | None
    selected: list[dict[str, Any]]
    build_seconds: float
    solve_seconds: float
    solver: SolverReport
    diagnosis: list[dict[str, Any]]
    coverage_by_type: dict[str, dict[str, Any]]
    objective_terms: dict[str, float]
    total_return_wan: float | None
    net_return_wan: float | None
    land_by_action: dict[str, dict[str, Any]]
    sites: list[dict[str, Any]]
    n_candidates: int
    n_demand: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the ``plan.json`` mapping (a fresh copy: editing it leaves the report alone)."""
        return asdict(self)


@dataclass
class PlanOutput:
    """What :func:`run_plan` returns: the report, the layers of ``plan.gpkg`` and the typed result."""

    report: PlanReport
    layers: dict[str, gpd.GeoDataFrame]
    result: LocationResult | None
    inputs: PlanInputs
    _plan: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def plan(self) -> dict[str, Any]:
        """The report as the ``plan.json`` mapping (built once; products may add warnings to it)."""
        if self._plan is None:
            self._plan = self.report.as_dict()
        return self._plan


def run_plan(
    scenario: Scenario,
    base: Path,
    *,
    solver: str | None = None,
    time_limit_s: float | None = None,
    progress: Progress | None = None,
    inputs: PlanInputs | None = None,
    preset: Preset | None = None,
) -> PlanOutput:
    """Run one scenario end to end (no files written; steps in the module docstring).

    ``inputs`` reuses inputs already prepared for this scenario (a budget sweep varies only the
    scenario's budget); the pre-checks are always run again on them. ``preset``: the rules
    already loaded, as in :func:`optimizer.inputs.prepare`.
    """
    say = progress or (lambda step, frac: None)
    inputs = inputs or prepare(scenario, base, progress, preset)
    inputs.findings = prechecks(inputs)
    options = solver_options(scenario, solver, time_limit_s)
    blocking = [f for f in inputs.findings if f.blocking]
    if blocking:
        result = None
    else:
        say("solve", 0.3)
        result = build_model(inputs).solve(options)
    diagnosis = [f.as_dict() for f in inputs.findings]
    if result is not None and result.status == "infeasible":
        say("diagnose", 0.85)
        diagnosis += [f.as_dict() for f in elastic_diagnosis(inputs, options)]
    say("report", 0.95)
    report = plan_json(inputs, result, options, diagnosis)
    layers = plan_layers(inputs, result) if result is not None and result.run.has_solution else {}
    return PlanOutput(report=report, layers=layers, result=result, inputs=inputs)


# ------------------------------------------------------------------------------------------ reporting


def _finite(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def _coverage(inputs: PlanInputs, result: LocationResult | None) -> dict[str, dict]:
    """Covered and total demand weight per facility type (empty without demand or a solution)."""
    coverage: dict[str, dict] = {}
    if result is not None and result.run.has_solution and inputs.demand is not None:
        for spec in inputs.specs:
            w = spec.weight if spec.weight is not None else inputs.demand["weight"].to_numpy()
            cov = float((w * result.covered[spec.type]).sum())
            tot = float(w.sum())
            coverage[spec.type] = {"covered": cov, "total": tot, "ratio": cov / tot if tot else None}
    return coverage


def _land_and_selected(
    inputs: PlanInputs, result: LocationResult | None
) -> tuple[dict[str, dict], list[dict]]:
    """Candidate land by chosen action, and the selected parcels (every action but ``keep``)."""
    selected: list[dict] = []
    land: dict[str, dict] = {}
    actions = _actions(inputs, result)
    cands = inputs.candidates
    area = cands.geometry.area.to_numpy()
    for k, pid in enumerate(cands["parcel_id"]):
        act = actions.get(pid, "keep")
        entry = land.setdefault(act, {"count": 0, "area_m2": 0.0, "area_mu": 0.0})
        entry["count"] += 1
        entry["area_m2"] += float(area[k])
        entry["area_mu"] += float(area[k] / M2_PER_MU)
        if act != "keep":
            ftype = act.split(":", 1)[1] if act.startswith("facility:") else None
            selected.append({"parcel_id": pid, "type": ftype, "action": act})
    return land, selected


def plan_json(
    inputs: PlanInputs, result: LocationResult | None, options: SolverOptions, diagnosis: list
) -> PlanReport:
    """Return the :class:`PlanReport` (the ``plan.json`` content) of one solve."""
    sc = inputs.scenario
    status = result.status if result is not None else "infeasible"
    coverage = _coverage(inputs, result)
    covered_total = sum(c["covered"] for c in coverage.values())
    weight_total = sum(c["total"] for c in coverage.values())
    land, selected = _land_and_selected(inputs, result)
    run = result.run if result is not None else None
    terms = dict(result.objective_terms) if result is not None else {}
    return PlanReport(
        name=sc.name,
        status=status,
        status_zh=STATUS_ZH[status],
        objective=_finite(run.objective) if run else None,
        objective_name=sc.objective,
        mip_gap=_finite(run.mip_gap) if run else None,
        covered_demand=covered_total if coverage else None,
        coverage_ratio=(covered_total / weight_total) if weight_total else None,
        total_cost_wan=float(result.total_cost_wan)
        if result is not None and run and run.has_solution
        else None,
        selected=selected,
        build_seconds=run.build_seconds if run else 0.0,
        solve_seconds=run.solve_seconds if run else 0.0,
        solver=SolverReport(
            name=options.name,
            version=run.solver_version if run else None,
            time_limit_s=options.time_limit_s,
            mip_gap_requested=options.mip_gap,
            stopped_by=run.stopped_by if run else None,
            bound=_finite(run.bound) if run else None,
            message=run.message
            if run
            else "未求解：输入预检发现无法满足的规则 (not solved: pre-checks failed)",
        ),
        diagnosis=diagnosis,
        coverage_by_type=coverage,
        objective_terms=terms,
        total_return_wan=terms.get("return"),
        net_return_wan=terms.get("net_return"),
        land_by_action=land,
        sites=[
            {"site_id": s.site_id, "type": s.type, "existing": s.existing, "served_demand": s.served_demand}
            for s in (result.sites if result is not None else [])
        ],
        n_candidates=len(inputs.candidates),
        n_demand=0 if inputs.demand is None else len(inputs.demand),
        warnings=list(inputs.warnings),
        notes=list(result.notes) if result is not None else [],
    )


def _actions(inputs: PlanInputs, result: LocationResult | None) -> dict[str, str]:
    if result is None or not result.run.has_solution:
        return {}
    if result.actions:
        return dict(result.actions)
    ids = set(inputs.candidates["parcel_id"])
    return {s.site_id: f"facility:{s.type}" for s in result.sites if not s.existing and s.site_id in ids}


def plan_layers(inputs: PlanInputs, result: LocationResult) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers of ``plan.gpkg``: ``parcels``, ``sites``, ``demand`` and ``context``.

    ``context`` is the whole park (``parcel_id`` and geometry of every parcel of the scenario's
    layer), so maps and briefings can draw the plan on top of the park it belongs to.
    """
    cands = inputs.candidates
    e = inputs.economics
    actions = _actions(inputs, result)
    act = cands["parcel_id"].map(lambda p: actions.get(p, "keep")).astype(str)
    ftype = act.where(act.str.startswith("facility:"), "").str.replace("facility:", "", regex=False)
    cost = np.zeros(len(cands))
    revenue = np.zeros(len(cands))
    rez = np.zeros(len(cands), dtype=bool)
    spec_of = {s.type: s for s in inputs.specs}
    lost = e.horizon_years * e.tax_wan + e.idle_fee_wan
    for k, a in enumerate(act):
        if a == "upgrade":
            cost[k], revenue[k] = e.upgrade_cost_wan[k], e.upgrade_gain_wan[k]
        elif a == "release":
            cost[k], revenue[k] = e.acquisition_wan[k], e.release_gain_wan[k]
        elif a == "green":
            cost[k], revenue[k] = e.green_cost_wan[k], -lost[k]
        elif a.startswith("facility:"):
            t = a.split(":", 1)[1]
            cost[k] = float(np.asarray(spec_of[t].cost_wan)[k])
            revenue[k] = -lost[k]
            rez[k] = bool(inputs.rezoning[t][k])
    keep_cols = [
        c
        for c in (
            "parcel_id",
            "name",
            "enterprise",
            "land_use",
            "planned_use",
            "idle_status",
            "low_efficiency",
        )
        if c in cands
    ]
    parcels = gpd.GeoDataFrame(cands[keep_cols].copy(), geometry=cands.geometry.to_numpy(), crs=cands.crs)
    parcels["action"] = act.to_numpy()
    parcels["facility_type"] = ftype.to_numpy()
    parcels["cost_wan"] = cost
    parcels["revenue_wan"] = revenue
    parcels["area_m2"] = e.area_m2
    parcels["area_mu"] = e.area_mu
    parcels["rezoning"] = rez
    # upgrade = owner-led densification to the plot-ratio floor: the floor area it adds
    if "far_min" in cands and "far" in cands:
        gap = np.maximum(0.0, _num(cands, "far_min", np.nan) - _num(cands, "far", np.nan))
        added = np.where((act == "upgrade").to_numpy(), np.nan_to_num(gap) * e.area_m2, 0.0)
        parcels["upgrade_floor_area_m2"] = added
    if "low_efficiency" in parcels:
        parcels["low_efficiency"] = _bool(parcels["low_efficiency"])
    id_to_parcel = set(cands["parcel_id"])
    sites = gpd.GeoDataFrame(
        {
            "site_id": [s.site_id for s in result.sites],
            "parcel_id": [s.site_id if s.site_id in id_to_parcel else None for s in result.sites],
            "type": [s.type for s in result.sites],
            "existing": [s.existing for s in result.sites],
            "radius_m": [np.nan if s.radius_m is None else s.radius_m for s in result.sites],
            "served_demand": [s.served_demand for s in result.sites],
        },
        geometry=gpd.points_from_xy([s.x for s in result.sites], [s.y for s in result.sites]),
        crs=cands.crs,
    )
    layers = {"parcels": parcels, "sites": sites}
    if inputs.demand is not None:
        d = inputs.demand
        # the demand layer's own attributes (ids, kind, …) are kept as they were read
        demand = gpd.GeoDataFrame(d.drop(columns=d.geometry.name), geometry=d.geometry.to_numpy(), crs=d.crs)
        demand["weight"] = d["weight"].to_numpy()
        for spec in inputs.specs:
            a = result.assignment.get(spec.type)
            c = result.covered.get(spec.type)
            if a is None or c is None:
                continue
            demand[f"covered_{spec.type}"] = c > 0.5
            demand[f"site_{spec.type}"] = [result.site_ids[j] if j >= 0 else None for j in a]
        layers["demand"] = demand
    park = inputs.parcels
    layers["context"] = gpd.GeoDataFrame(
        {"parcel_id": park["parcel_id"].to_numpy()}, geometry=park.geometry.to_numpy(), crs=park.crs
    )
    return layers
