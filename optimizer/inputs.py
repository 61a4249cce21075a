"""A scenario's inputs: read the layers, derive the model's arrays, build the model.

:func:`prepare` reads and checks every input of a scenario (no solve) into :class:`PlanInputs`;
:func:`build_model` builds the location or revitalisation model the scenario's objective asks
for. Both the plan (:mod:`optimizer.plan`) and the diagnosis (:mod:`optimizer.diagnose`) build on
this module, so neither needs the other to build a model.
"""

from __future__ import annotations

import dataclasses
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
from geo.vocab import IDLE_CLASSES, IDLE_RECOVERABLE, TRUTHY, UNSUPPLIED
from optimizer.distances import MatrixDistances, NetworkDistances, cost_matrix, network_from_lines
from optimizer.models import LOCATION_MODELS, FacilitySpec, LocationModel
from optimizer.models.revitalise import ParcelEconomics, Revitalise, RevitaliseRules, Separations
from optimizer.result import Finding
from optimizer.scenario import CostMatrixRef, FacilityConfig, LayerRef, Scenario, resolve
from optimizer.solvers import SolverOptions

ANALYSIS_COLUMNS = ("idle_status", "low_efficiency", "area_m2", "tax_per_mu", "idle_fee_wan")
Progress = Callable[[str, float], None]


@dataclass
class PlanInputs:
    """Everything read and derived before the model is built.

    ``findings`` holds the pre-checks of :func:`optimizer.diagnose.prechecks`; :func:`prepare`
    leaves it empty and :func:`optimizer.plan.run_plan` fills it before it decides to solve.
    ``analysis_run`` says whether :func:`prepare` had to run the analysis on the parcel layer
    (the layer had none of the analysis columns) and with which preset and as-of date.
    """

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
    analysis_run: str | None = None


@dataclass(frozen=True)
class CandidateArrays:
    """Per-candidate arrays every facility type's spec is derived from (length m)."""

    area: np.ndarray  # m²
    area_mu: np.ndarray  # 亩
    planned: pd.Series  # planned-use code (text)
    in_exclusion: np.ndarray  # bool


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
    return series.astype(str).str.strip().str.lower().isin(TRUTHY).to_numpy()


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

    ``preset``: the rules of that analysis, already loaded (the service loads ``scenario.rules``
    with ``files=False``, so a request never names a file); by default ``scenario.rules`` is loaded.

    Steps: (1) the parcel layer, analysed first when it has none of the analysis columns
    (:func:`analysed_parcels`, reported in ``warnings`` and ``analysis_run``); (2) the candidates;
    (3) the demand points and their weights; (4) exclusion zones and existing facilities; (5) the
    economics and one :class:`FacilitySpec` per facility type; (6) separations and the distance
    oracle (roads for ``distance: network``).
    """
    say = progress or (lambda step, frac: None)
    warnings: list[str] = []
    say("parcels", 0.02)
    reports: list = []
    raw = _read(base, scenario.parcels, parcels=True, reports=reports)
    parcels, analysis_run = analysed_parcels(raw, scenario, say, ingest=reports[0], preset=preset)
    if analysis_run is not None:
        warnings.append(analysis_run)
    crs = parcels.crs
    idle = parcels["idle_status"].astype(str).isin(IDLE_CLASSES).to_numpy()
    cands = _candidates(scenario, parcels, idle)
    demand = None
    if scenario.demand is not None:
        say("demand", 0.15)
        demand = _demand(base, scenario, crs, warnings)
    in_exclusion = _in_exclusion(base, scenario, cands, crs, warnings)
    existing: dict[str, gpd.GeoDataFrame] = {}
    for fc in scenario.facilities:
        if fc.existing is not None:
            ex = _to_crs(_read(base, fc.existing), crs, f"facilities[{fc.type}].existing", warnings)
            existing[fc.type] = ex
    area = cands.geometry.area.to_numpy()
    arrays = CandidateArrays(
        area=area,
        area_mu=area / M2_PER_MU,
        planned=(
            cands["planned_use"].astype(str)
            if "planned_use" in cands.columns
            else pd.Series([""] * len(cands))
        ),
        in_exclusion=in_exclusion,
    )
    econ = _economics(scenario, parcels, cands, idle, arrays)
    specs, rezoning = [], {}
    for fc in scenario.facilities:
        spec, rez = _facility(scenario, fc, cands, arrays, econ, existing)
        specs.append(spec)
        rezoning[fc.type] = rez
    if demand is not None:
        specs = _served_kinds(scenario, demand, specs)
    return PlanInputs(
        scenario=scenario,
        parcels=parcels,
        candidates=cands,
        demand=demand,
        existing=existing,
        specs=specs,
        rezoning=rezoning,
        economics=econ,
        separations=_separations(scenario, cands, specs),
        distance_factory=_distance_factory(base, scenario, crs, warnings, parcels, cands, demand, existing),
        warnings=warnings,
        analysis_run=analysis_run,
    )


def analysed_parcels(
    parcels: gpd.GeoDataFrame,
    scenario: Scenario,
    say: Progress,
    *,
    ingest: Any = None,
    preset: Preset | None = None,
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Return the parcel layer with the analysis columns, and what was run to get them.

    A layer written by ``panhuo analyze`` (every column of :data:`ANALYSIS_COLUMNS`) is used as
    it is. A raw parcel layer (none of them) is analysed here, explicitly, with the scenario's
    ``rules`` and ``as_of``; the returned note says so and goes into ``plan.json`` ``warnings``.
    A layer with only some of them is refused: it is neither, and guessing which columns to trust
    would be a silent repair. ``ingest`` is the layer's :class:`geo.ingest_report.IngestReport`
    (its readings reach the analysis' data issues); ``preset`` as in :func:`prepare`.
    """
    present = [c for c in ANALYSIS_COLUMNS if c in parcels.columns]
    note = None
    if not present:
        from geo.analysis import run_analysis

        say("analysis", 0.08)
        rules = preset or load_preset(scenario.rules)
        parcels = run_analysis(parcels, as_of=scenario.as_of, rules=rules, ingest=ingest).parcels
        note = (
            f"地块图层缺少分析列，已按 {rules.name} 规则、评价日 {scenario.as_of or '今天'} 运行分析 "
            "(the parcels had no analysis columns; the analysis was run)"
        )
    elif len(present) < len(ANALYSIS_COLUMNS):
        missing = [c for c in ANALYSIS_COLUMNS if c not in parcels.columns]
        raise SchemaError(
            f"parcels {scenario.parcels.path}: 地块图层只有部分分析列，缺少 {missing} "
            f"(the layer has some analysis columns but not {missing}); "
            "give the parcels.gpkg written by panhuo analyze, or the raw parcel layer without them"
        )
    parcels = parcels.reset_index(drop=True)
    parcels["parcel_id"] = parcels["parcel_id"].astype(str)
    return parcels, note


def _candidates(scenario: Scenario, parcels: gpd.GeoDataFrame, idle: np.ndarray) -> gpd.GeoDataFrame:
    """Select the candidate parcels (``candidates:`` all | revitalisable | a list of ids)."""
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
    return cands


def _demand(base: Path, scenario: Scenario, crs: Any, warnings: list[str]) -> gpd.GeoDataFrame:
    """Read the demand layer, check its weight column, reduce it to weighted centroids."""
    assert scenario.demand is not None
    ref = scenario.demand
    demand = _to_crs(_read(base, ref), crs, f"demand {ref.path}", warnings)
    if ref.weight is not None:
        if ref.weight not in demand.columns:
            raise SchemaError(
                f"demand {ref.path}: 缺少权重列 "
                f"weight column {ref.weight!r} not found; "
                f"columns: {[c for c in demand.columns if c != 'geometry']}"
            )
        w = pd.to_numeric(demand[ref.weight], errors="coerce")
        bad = w.isna() | (w < 0)
        if bad.any():
            raise SchemaError(
                f"demand {ref.path}: 权重列 {ref.weight!r} "
                f"有 {int(bad.sum())} 个非数值或负值 "
                f"(rows {list(np.flatnonzero(bad.to_numpy())[:5])}); weights must be numbers >= 0"
            )
        demand["weight"] = w.to_numpy(dtype=float)
    else:
        demand["weight"] = 1.0
    demand = demand[~demand.geometry.is_empty & demand.geometry.notna()].reset_index(drop=True)
    return demand.set_geometry(demand.geometry.centroid)


def _in_exclusion(
    base: Path, scenario: Scenario, cands: gpd.GeoDataFrame, crs: Any, warnings: list[str]
) -> np.ndarray:
    """Candidates with more than 1 % of their area inside an exclusion zone."""
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
    return in_exclusion


def _served_kinds(
    scenario: Scenario, demand: gpd.GeoDataFrame, specs: list[FacilitySpec]
) -> list[FacilitySpec]:
    """Give a type with ``serves:`` the weight of only the demand kinds it serves."""
    assert scenario.demand is not None
    kind_column = scenario.demand.kind_column
    kinds = demand[kind_column].astype(str) if kind_column in demand else None
    out = list(specs)
    for k, fc in enumerate(scenario.facilities):
        if fc.serves:
            if kinds is None:
                raise SchemaError(
                    f"facilities[{fc.type}].serves 需要需求图层的 {kind_column!r} 列 "
                    "needs the demand kind column"
                )
            w = demand["weight"].to_numpy() * kinds.isin(fc.serves).to_numpy()
            out[k] = dataclasses.replace(out[k], weight=w)
    return out


def _distance_factory(
    base: Path,
    scenario: Scenario,
    crs: Any,
    warnings: list[str],
    parcels: gpd.GeoDataFrame,
    cands: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame | None,
    existing: dict[str, gpd.GeoDataFrame],
) -> Any:
    """Return the distance oracle's factory ``(demand_xy, site_xy, site_ids) -> oracle``.

    ``None`` for Euclidean distances; the road network for ``distance: network``; the checked
    cost matrix for ``distance: {matrix: ...}`` (:func:`optimizer.distances.cost_matrix`).
    """
    if isinstance(scenario.distance, CostMatrixRef):
        assert demand is not None
        return _matrix_factory(base, scenario.distance, demand, parcels, cands, existing)
    if scenario.distance != "network":
        return None
    assert scenario.roads is not None
    roads = _to_crs(_read(base, scenario.roads), crs, "roads", warnings)
    node_xy, edges, lengths = network_from_lines(roads.geometry.to_numpy())

    def factory(demand_xy, all_site_xy, site_ids=None):
        return NetworkDistances(node_xy, edges, lengths, demand_xy, all_site_xy)

    return factory


def _matrix_factory(
    base: Path,
    ref: CostMatrixRef,
    demand: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    cands: gpd.GeoDataFrame,
    existing: dict[str, gpd.GeoDataFrame],
) -> Any:
    """Read and check the matrix now (a bad file fails before any solve), for the model's sites.

    The sites are the candidates and every existing site; other parcels of the layer may appear in
    the matrix and are left out.
    """
    path = resolve(base, ref.matrix)
    source = f"distance.matrix {ref.matrix}"
    if ref.demand_id not in demand.columns:
        raise SchemaError(
            f"{source}: 需求图层缺少编号列 the demand layer has no id column {ref.demand_id!r} "
            f"(distance.demand_id); columns: {[c for c in demand.columns if c != 'geometry']}"
        )
    demand_ids = [str(v).strip() for v in demand[ref.demand_id]]
    if len(set(demand_ids)) != len(demand_ids):
        dup = sorted({d for d in demand_ids if demand_ids.count(d) > 1})[:10]
        raise SchemaError(f"{source}: 需求点编号重复 duplicate demand ids in {ref.demand_id!r}: {dup}")
    table = _read_table(path, source)
    raw = {t: _existing_ids(ex) for t, ex in existing.items()}
    counts: dict[str, int] = {}
    for ids in raw.values():
        for v in ids:
            counts[v] = counts.get(v, 0) + 1
    aliases = {v: f"{t}:{v}" for t, ids in raw.items() for v in ids if counts[v] == 1}
    all_parcels = set(parcels["parcel_id"].astype(str))
    built: dict[tuple[str, ...], MatrixDistances] = {}

    def factory(demand_xy, all_site_xy, site_ids):
        key = tuple(site_ids)
        if key in built:
            return built[key]
        others = all_parcels - set(site_ids)
        cost = cost_matrix(
            table,
            demand_ids,
            list(site_ids),
            source=source,
            layout=ref,
            aliases={a: t for a, t in aliases.items() if t in set(site_ids) and a not in site_ids},
            other_sites=others,
        )
        built[key] = MatrixDistances(cost)
        return built[key]

    sites = list(cands["parcel_id"].astype(str))
    sites += [f"{t}:{v}" for t, ex in existing.items() for v in _existing_ids(ex)]
    factory(None, None, sites)  # the model's sites (build_model's order may differ; the check is the same)
    return factory


def _read_table(path: Path, source: str) -> pd.DataFrame:
    """Read a CSV (UTF-8, BOM or not; every column read as text first) or a Parquet table."""
    try:
        if path.suffix.lower() in (".parquet", ".pq", ".geoparquet"):
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(
            f"{source}: 无法读取费用矩阵 cannot read the cost matrix ({type(error).__name__}: {error})"
        ) from None


def _economics(
    scenario: Scenario,
    parcels: gpd.GeoDataFrame,
    cands: gpd.GeoDataFrame,
    idle: np.ndarray,
    arrays: CandidateArrays,
) -> ParcelEconomics:
    """Money per candidate over the horizon (symbols of :class:`optimizer.models.revitalise.Revitalise`)."""
    area, area_mu, in_exclusion = arrays.area, arrays.area_mu, arrays.in_exclusion
    e = scenario.economics
    status = cands["idle_status"].astype(str).to_numpy()
    supply = (
        cands["supply_type"].astype(str).to_numpy() if "supply_type" in cands else np.full(len(cands), "")
    )
    unsupplied = supply == UNSUPPLIED
    free = (status == IDLE_RECOVERABLE) | unsupplied
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
    scenario: Scenario,
    fc: FacilityConfig,
    cands: gpd.GeoDataFrame,
    arrays: CandidateArrays,
    econ: ParcelEconomics,
    existing: dict[str, gpd.GeoDataFrame],
) -> tuple[FacilitySpec, np.ndarray]:
    """Return the model's spec of one facility type and the candidates it would need rezoned."""
    area, area_mu, planned = arrays.area, arrays.area_mu, arrays.planned
    in_exclusion = arrays.in_exclusion
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
    ex_ids = tuple(f"{fc.type}:{v}" for v in _existing_ids(ex))
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


def _existing_ids(ex: gpd.GeoDataFrame | None) -> list[str]:
    """Return the own ids of a type's existing sites.

    The ``facility_id``, ``name`` or ``parcel_id`` column, else ``existing<k>``; the site's id in the
    model is ``<type>:<id>``.
    """
    if ex is None or not len(ex):
        return []
    id_col = next((c for c in ("facility_id", "name", "parcel_id") if c in ex.columns), None)
    return list(ex[id_col].astype(str)) if id_col else [f"existing{k}" for k in range(len(ex))]


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
            rules=RevitaliseRules(
                weights=sc.weights,
                priorities=sc.priorities,
                separations=inputs.separations,
                living_types=tuple(f.type for f in sc.facilities if f.living),
                living_max=ls.living_max,
                industrial_min=ls.industrial_min,
            ),
            **common,
        )
    else:
        model = LOCATION_MODELS[sc.objective](dxy, sxy, inputs.specs, **common)
    if inputs.distance_factory is not None:
        model.distances = inputs.distance_factory(dxy, model.site_xy, model.site_ids)
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
