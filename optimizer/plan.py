"""From a scenario to a plan: read the layers, analyse, check, build the model, solve, report.

:func:`run_plan` is the one entry point the CLI (``panhuo plan``/``compare``) and the service call.
It never writes files; :func:`write_plan` writes ``plan.json``, ``plan.gpkg`` and ``map.html``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError, SchemaError
from geo.rules.presets import Preset, load_preset
from geo.units import M2_PER_MU
from optimizer.diagnose import Finding, elastic_diagnosis, prechecks
from optimizer.distances import NetworkDistances, network_from_lines
from optimizer.models import LOCATION_MODELS, FacilitySpec, LocationModel
from optimizer.models.revitalise import ParcelEconomics, Revitalise, Separations
from optimizer.result import STATUS_ZH, LocationResult
from optimizer.scenario import FacilityConfig, LayerRef, Scenario, resolve
from optimizer.solvers import SolverOptions

IDLE_CLASSES = ("idle", "idle_recoverable", "idle_gov_caused", "idle_stalled")
ANALYSIS_COLUMNS = ("idle_status", "low_efficiency", "area_m2", "tax_per_mu", "idle_fee_wan")
Progress = Callable[[str, float], None]


@dataclass
class PlanInputs:
    """Everything read and derived before the model is built."""

    scenario: Scenario
    parcels: gpd.GeoDataFrame  # analysed parcel layer (all parcels)
    candidates: gpd.GeoDataFrame  # candidate parcels, RangeIndex
    demand: gpd.GeoDataFrame | None
    existing: dict[str, gpd.GeoDataFrame]
    specs: list[FacilitySpec]
    rezoning: dict[str, np.ndarray]  # type -> bool per candidate: chosen here means rezoning
    economics: ParcelEconomics
    separations: Separations
    distance_factory: Any
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class PlanOutput:
    """What :func:`run_plan` returns: plan.json content, the three layers and the typed result."""

    plan: dict
    layers: dict[str, gpd.GeoDataFrame]
    result: LocationResult | None
    inputs: PlanInputs


# ------------------------------------------------------------------------------------------ reading


def _read(
    base: Path, ref: LayerRef, *, parcels: bool = False, geometry_types=None, reports: list | None = None
) -> gpd.GeoDataFrame:
    from geo.io import read_layer, read_parcels

    path = resolve(base, ref)
    if parcels:
        gdf, report = read_parcels(path, layer=ref.layer, crs=ref.crs)
        if reports is not None:
            reports.append(report)
    else:
        gdf, _ = read_layer(path, layer=ref.layer, crs=ref.crs, geometry_types=geometry_types)
    if ref.where:
        for column, value in ref.where.items():
            if column not in gdf.columns:
                raise SchemaError(
                    f"{ref.path}: where 条件的列不存在 column {column!r} not found; "
                    f"columns: {list(gdf.columns)}"
                )
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            gdf = gdf[gdf[column].astype(str).isin(values)]
    return gdf.reset_index(drop=True)


def _to_crs(gdf: gpd.GeoDataFrame, target, label: str, warnings: list[str]) -> gpd.GeoDataFrame:
    if gdf.crs is not None and target is not None and gdf.crs != target:
        warnings.append(
            f"{label}: 坐标系 {gdf.crs.to_string()} 与地块 {target.to_string()} 不同，已重投影 "
            f"(reprojected to the parcels' CRS)"
        )
        return gdf.to_crs(target)
    return gdf


def _bool(series: pd.Series) -> np.ndarray:
    if series.dtype == bool:
        return series.to_numpy()
    return series.astype(str).str.strip().str.lower().isin(["true", "1", "1.0", "yes", "是"]).to_numpy()


def _num(gdf: pd.DataFrame, column: str, default: float = 0.0) -> np.ndarray:
    if column not in gdf.columns:
        return np.full(len(gdf), default)
    return pd.to_numeric(gdf[column], errors="coerce").fillna(default).to_numpy(dtype=float)


def _points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pts = gdf.geometry.representative_point() if not (gdf.geom_type == "Point").all() else gdf.geometry
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def prepare(
    scenario: Scenario, base: Path, progress: Progress | None = None, preset: Preset | None = None
) -> PlanInputs:
    """Read and check every input of the scenario (no solve). Raises before any solve on bad input.

    ``preset``: the rules preset of an analysis the parcels may need, already loaded (the service
    loads ``scenario.rules`` with ``files=False``); by default ``scenario.rules`` is loaded here.
    """
    say = progress or (lambda step, frac: None)
    warnings: list[str] = []
    say("parcels", 0.02)
    reports: list = []
    parcels = _read(base, scenario.parcels, parcels=True, reports=reports)
    if not all(c in parcels.columns for c in ANALYSIS_COLUMNS):
        from geo.analysis import run_analysis

        say("analysis", 0.08)
        rules = preset or load_preset(scenario.rules)
        parcels = run_analysis(parcels, as_of=scenario.as_of, rules=rules, ingest=reports[0]).parcels
        warnings.append(
            f"地块图层缺少分析列，已按 {rules.name} 规则、评价日 {scenario.as_of or '今天'} 运行分析 "
            "(the parcels had no analysis columns; the analysis was run)"
        )
    parcels = parcels.reset_index(drop=True)
    parcels["parcel_id"] = parcels["parcel_id"].astype(str)
    crs = parcels.crs
    # candidates
    idle = parcels["idle_status"].astype(str).isin(IDLE_CLASSES).to_numpy()
    low = _bool(parcels["low_efficiency"])
    if scenario.candidates == "all":
        mask = np.ones(len(parcels), dtype=bool)
    elif scenario.candidates == "revitalisable":
        mask = idle | low
    else:
        wanted = [str(x) for x in scenario.candidates]
        known = set(parcels["parcel_id"])
        missing = [x for x in wanted if x not in known]
        if missing:
            raise InputError(f"candidates: 这些地块编号不存在 unknown parcel ids {missing[:10]}")
        mask = parcels["parcel_id"].isin(wanted).to_numpy()
    cands = parcels[mask].reset_index(drop=True)
    if len(cands) == 0:
        raise InputError(
            f"candidates: {scenario.candidates!r} 没有候选地块 selects no parcel; "
            "use candidates: all or a list of ids"
        )
    # demand
    demand = None
    if scenario.demand is not None:
        say("demand", 0.15)
        demand = _read(base, scenario.demand)
        demand = _to_crs(demand, crs, f"demand {scenario.demand.path}", warnings)
        if scenario.demand.weight is not None:
            if scenario.demand.weight not in demand.columns:
                raise SchemaError(
                    f"demand {scenario.demand.path}: 缺少权重列 "
                    f"weight column {scenario.demand.weight!r} not found; "
                    f"columns: {[c for c in demand.columns if c != 'geometry']}"
                )
            w = pd.to_numeric(demand[scenario.demand.weight], errors="coerce")
            bad = w.isna() | (w < 0)
            if bad.any():
                raise SchemaError(
                    f"demand {scenario.demand.path}: 权重列 {scenario.demand.weight!r} "
                    f"有 {int(bad.sum())} 个非数值或负值 "
                    f"(rows {list(np.flatnonzero(bad.to_numpy())[:5])}); weights must be numbers >= 0"
                )
            demand["weight"] = w.to_numpy(dtype=float)
        else:
            demand["weight"] = 1.0
        demand = demand[~demand.geometry.is_empty & demand.geometry.notna()].reset_index(drop=True)
        demand = demand.set_geometry(demand.geometry.centroid)
    # exclusion
    in_exclusion = np.zeros(len(cands), dtype=bool)
    if scenario.exclusion is not None:
        zones = _to_crs(
            _read(base, scenario.exclusion, geometry_types=("Polygon", "MultiPolygon")),
            crs,
            "exclusion",
            warnings,
        )
        if len(zones):
            union = shapely.union_all(zones.geometry.to_numpy())
            inter = shapely.area(shapely.intersection(cands.geometry.to_numpy(), union))
            in_exclusion = inter > 0.01 * cands.geometry.area.to_numpy()
    # existing facilities
    existing: dict[str, gpd.GeoDataFrame] = {}
    for fc in scenario.facilities:
        if fc.existing is not None:
            ex = _to_crs(_read(base, fc.existing), crs, f"facilities[{fc.type}].existing", warnings)
            existing[fc.type] = ex
    area = cands.geometry.area.to_numpy()
    area_mu = area / M2_PER_MU
    site_xy = _points(cands)
    planned = (
        cands["planned_use"].astype(str) if "planned_use" in cands.columns else pd.Series([""] * len(cands))
    )
    econ = _economics(scenario, parcels, cands, idle, area, area_mu, in_exclusion)
    specs, rezoning = [], {}
    for fc in scenario.facilities:
        spec, rez = _facility(
            scenario, fc, cands, area, area_mu, planned, in_exclusion, econ, existing, site_xy
        )
        specs.append(spec)
        rezoning[fc.type] = rez
    if demand is not None and scenario.demand is not None:
        kind_column = scenario.demand.kind_column
        kinds = demand[kind_column].astype(str) if kind_column in demand else None
        for k, fc in enumerate(scenario.facilities):
            if fc.serves:
                if kinds is None:
                    raise SchemaError(
                        f"facilities[{fc.type}].serves 需要需求图层的 {kind_column!r} 列 "
                        "needs the demand kind column"
                    )
                w = demand["weight"].to_numpy() * kinds.isin(fc.serves).to_numpy()
                specs[k] = _replace(specs[k], weight=w)
    separations = _separations(scenario, cands, specs)
    factory = None
    if scenario.distance == "network":
        assert scenario.roads is not None
        roads = _to_crs(_read(base, scenario.roads), crs, "roads", warnings)
        node_xy, edges, lengths = network_from_lines(roads.geometry.to_numpy())

        def factory(demand_xy, all_site_xy):
            return NetworkDistances(node_xy, edges, lengths, demand_xy, all_site_xy)

    inputs = PlanInputs(
        scenario=scenario,
        parcels=parcels,
        candidates=cands,
        demand=demand,
        existing=existing,
        specs=specs,
        rezoning=rezoning,
        economics=econ,
        separations=separations,
        distance_factory=factory,
        warnings=warnings,
    )
    inputs.findings = prechecks(inputs)
    return inputs


def _replace(spec: FacilitySpec, **kw) -> FacilitySpec:
    import dataclasses

    return dataclasses.replace(spec, **kw)


def _economics(scenario, parcels, cands, idle, area, area_mu, in_exclusion) -> ParcelEconomics:
    e = scenario.economics
    status = cands["idle_status"].astype(str).to_numpy()
    supply = (
        cands["supply_type"].astype(str).to_numpy() if "supply_type" in cands else np.full(len(cands), "")
    )
    unsupplied = supply == "未供"
    free = (status == "idle_recoverable") | unsupplied
    acquisition = np.where(free, 0.0, e.compensation_wan_per_mu * area_mu)
    tax = _num(cands, "tax_wan")
    fee = _num(cands, "idle_fee_wan")
    low = _bool(cands["low_efficiency"])
    cand_idle = np.isin(status, IDLE_CLASSES)
    tax_per_mu = np.where(area_mu > 0, tax / np.maximum(area_mu, 1e-9), 0.0)
    upgrade_ok = low & ~cand_idle & ~unsupplied
    release_ok = (cand_idle | low | unsupplied) & ~in_exclusion
    green_ok = np.ones(len(cands), dtype=bool)
    codes = [str(c) for c in scenario.land_shares.industrial_codes]

    def industrial(frame) -> np.ndarray:
        use = frame["land_use"].astype(str) if "land_use" in frame else pd.Series([""] * len(frame))
        return use.str.startswith(tuple(codes)).to_numpy()

    H = e.horizon_years
    uplift = np.maximum(0.0, e.tax_target_wan_per_mu - tax_per_mu) * area_mu * H
    release_gain = (
        e.release_price_wan_per_mu * area_mu + H * e.tax_target_wan_per_mu * area_mu - H * tax - fee
    )
    all_area = parcels.geometry.area.to_numpy()
    return ParcelEconomics(
        area_m2=area,
        area_mu=area_mu,
        acquisition_wan=acquisition,
        tax_wan=tax,
        idle_fee_wan=fee,
        upgrade_ok=upgrade_ok & ("upgrade" in scenario.actions),
        release_ok=release_ok & ("release" in scenario.actions),
        green_ok=green_ok & ("green" in scenario.actions),
        industrial_now=industrial(cands),
        upgrade_cost_wan=e.upgrade_cost_wan_per_mu * area_mu,
        upgrade_gain_wan=uplift,
        release_gain_wan=release_gain,
        green_cost_wan=acquisition + e.green_cost_wan_per_m2 * area,
        horizon_years=H,
        total_area_m2=float(all_area.sum()),
        industrial_area_m2=float(all_area[industrial(parcels)].sum()),
    )


def _facility(
    scenario, fc: FacilityConfig, cands, area, area_mu, planned, in_exclusion, econ, existing, site_xy
):
    eligible = area >= fc.min_area_m2
    if fc.max_area_m2 is not None:
        eligible &= area <= fc.max_area_m2
    eligible &= ~in_exclusion
    if "facility" not in scenario.actions:
        eligible &= False
    if fc.allowed_planned_use:
        fits = planned.str.startswith(tuple(fc.allowed_planned_use)).to_numpy()
    else:
        fits = np.ones(len(cands), dtype=bool)
    if not fc.rezoning_allowed:
        eligible &= fits
    rezoning = eligible & ~fits
    # separations from existing facilities of another type
    for s in scenario.separations:
        if s.a == fc.type and s.b.startswith("existing:"):
            other = existing.get(s.b.removeprefix("existing:"))
            if other is not None and len(other):
                near = cands.geometry.dwithin(
                    shapely.union_all(other.geometry.to_numpy()), s.min_m
                ).to_numpy()
                eligible &= ~near
    site_cost = fc.cost_wan if fc.cost_wan is not None else (fc.cost_per_m2_wan or 0.0) * area
    cost = econ.acquisition_wan + site_cost + rezoning * scenario.economics.rezoning_wan_per_mu * area_mu
    ex = existing.get(fc.type)
    ex_xy = _points(ex) if ex is not None and len(ex) else np.empty((0, 2))
    id_col = next(
        (c for c in ("facility_id", "name", "parcel_id") if ex is not None and c in ex.columns), None
    )
    ex_ids = (
        tuple(f"{fc.type}:{v}" for v in ex[id_col].astype(str))
        if id_col
        else tuple(f"{fc.type}:existing{k}" for k in range(len(ex_xy)))
    )
    spec = FacilitySpec(
        type=fc.type,
        radius_m=fc.radius_m,
        count=fc.count,
        min_count=fc.min_count,
        max_count=fc.max_count,
        capacity=fc.capacity,
        cost_wan=np.asarray(cost, dtype=float) * np.ones(len(cands)),
        eligible=eligible,
        existing_xy=ex_xy,
        existing_ids=ex_ids,
        priority=fc.priority,
    )
    return spec, rezoning


def _separations(scenario, cands, specs) -> Separations:
    pairs = []
    geoms = cands.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    for s in scenario.separations:
        if s.b.startswith("existing:"):
            continue
        left, right = tree.query(geoms, predicate="dwithin", distance=s.min_m)
        keep = left != right
        pairs.append((s.a, s.b, left[keep], right[keep]))
    return Separations(tuple(pairs))


# ------------------------------------------------------------------------------------------ solving


def build_model(inputs: PlanInputs):
    """Build the model the scenario's objective asks for, built on the prepared inputs."""
    sc = inputs.scenario
    dxy = _points(inputs.demand) if inputs.demand is not None else np.empty((0, 2))
    weight = inputs.demand["weight"].to_numpy(dtype=float) if inputs.demand is not None else np.empty(0)
    sxy = _points(inputs.candidates)
    ids = inputs.candidates["parcel_id"].astype(str).tolist()
    common = {
        "demand_weight": weight,
        "site_ids": ids,
        "budget_wan": sc.budget_wan,
        "distances": None,
    }
    model: LocationModel
    if sc.objective == "revitalise":
        ls = sc.land_shares
        model = Revitalise(
            dxy,
            sxy,
            inputs.specs,
            economics=inputs.economics,
            weights=sc.weights,
            priorities=sc.priorities,
            separations=inputs.separations,
            living_types=tuple(f.type for f in sc.facilities if f.living),
            living_max=ls.living_max,
            industrial_min=ls.industrial_min,
            **common,
        )
    else:
        model = LOCATION_MODELS[sc.objective](dxy, sxy, inputs.specs, **common)
    if inputs.distance_factory is not None:
        model.distances = inputs.distance_factory(dxy, model.site_xy)
    return model


def solver_options(
    scenario: Scenario, name: str | None = None, time_limit_s: float | None = None
) -> SolverOptions:
    """Solver options from the scenario, overridden by the command line."""
    s = scenario.solver
    return SolverOptions(
        name=(name or s.name),  # type: ignore[arg-type]
        time_limit_s=time_limit_s or s.time_limit_s,
        mip_gap=s.mip_gap,
        threads=s.threads,
    )


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
    """Run one scenario end to end (no files written); ``preset`` as in :func:`prepare`."""
    say = progress or (lambda step, frac: None)
    inputs = inputs or prepare(scenario, base, progress, preset)
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
    plan = plan_json(inputs, result, options, diagnosis)
    layers = plan_layers(inputs, result) if result is not None and result.run.has_solution else {}
    return PlanOutput(plan=plan, layers=layers, result=result, inputs=inputs)


# ------------------------------------------------------------------------------------------ reporting


def _finite(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def plan_json(
    inputs: PlanInputs, result: LocationResult | None, options: SolverOptions, diagnosis: list
) -> dict:
    """Return the ``plan.json`` content (contract §6 keys first, then panhuo's own)."""
    sc = inputs.scenario
    status = result.status if result is not None else "infeasible"
    coverage: dict[str, dict] = {}
    covered_total = weight_total = 0.0
    if result is not None and result.run.has_solution and inputs.demand is not None:
        for spec in inputs.specs:
            w = spec.weight if spec.weight is not None else inputs.demand["weight"].to_numpy()
            cov = float((w * result.covered[spec.type]).sum())
            tot = float(w.sum())
            coverage[spec.type] = {"covered": cov, "total": tot, "ratio": cov / tot if tot else None}
            covered_total += cov
            weight_total += tot
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
    run = result.run if result is not None else None
    terms = dict(result.objective_terms) if result is not None else {}
    plan = {
        "name": sc.name,
        "status": status,
        "status_zh": STATUS_ZH[status],
        "objective": _finite(run.objective) if run else None,
        "objective_name": sc.objective,
        "mip_gap": _finite(run.mip_gap) if run else None,
        "covered_demand": covered_total if coverage else None,
        "coverage_ratio": (covered_total / weight_total) if weight_total else None,
        "total_cost_wan": float(result.total_cost_wan)
        if result is not None and run and run.has_solution
        else None,
        "selected": selected,
        "build_seconds": run.build_seconds if run else 0.0,
        "solve_seconds": run.solve_seconds if run else 0.0,
        "solver": {
            "name": options.name,
            "version": run.solver_version if run else None,
            "time_limit_s": options.time_limit_s,
            "mip_gap_requested": options.mip_gap,
            "stopped_by": run.stopped_by if run else None,
            "bound": _finite(run.bound) if run else None,
            "message": run.message
            if run
            else "未求解：输入预检发现无法满足的规则 (not solved: pre-checks failed)",
        },
        "diagnosis": diagnosis,
        "coverage_by_type": coverage,
        "objective_terms": terms,
        "total_return_wan": terms.get("return"),
        "net_return_wan": terms.get("net_return"),
        "land_by_action": land,
        "sites": [
            {"site_id": s.site_id, "type": s.type, "existing": s.existing, "served_demand": s.served_demand}
            for s in (result.sites if result is not None else [])
        ],
        "n_candidates": len(cands),
        "n_demand": 0 if inputs.demand is None else len(inputs.demand),
        "warnings": inputs.warnings,
        "notes": result.notes if result is not None else [],
    }
    return plan


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


def write_plan(out: PlanOutput, directory: Path, *, map_html: bool = True) -> list[Path]:
    """Write ``plan.json``, ``plan.gpkg`` and (when the maps package is there) ``map.html``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    pj = directory / "plan.json"
    pj.write_text(json.dumps(out.plan, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8")
    written.append(pj)
    if out.layers:
        gpkg = directory / "plan.gpkg"
        if gpkg.exists():
            gpkg.unlink()
        for name, layer in out.layers.items():
            layer.to_file(gpkg, layer=name, driver="GPKG")
        written.append(gpkg)
        if map_html:
            try:
                from maps.web import plan_map, save_map
            except ImportError:
                out.plan.setdefault("warnings", []).append(
                    "maps.web 不可用，未生成 map.html (maps package missing)"
                )
            else:
                written.append(save_map(plan_map(out.layers, out.plan), directory / "map.html", offline=True))
    return written


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)
