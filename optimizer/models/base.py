"""What every location model shares: the instance, the site variables and the common rules.

Symbols used in every formulation docstring
-------------------------------------------
``I``           demand points, weight ``w_i`` (workers or residents; 1 when no weight is given)
``J``           candidate sites (parcels) plus the existing sites of each type
``T``           facility types; ``J_t`` the sites that may host type ``t`` (eligible candidates
                and the type's existing sites)
``d_ij``        distance (metres, Euclidean or along roads)
``r_t``         service radius of type ``t``; ``N_it = {j ∈ J_t : d_ij ≤ r_t}``
``y_jt ∈ {0,1}`` site ``j`` hosts a facility of type ``t``; fixed to 1 for existing sites
``c_jt``        cost of opening (万元); ``Q_t`` capacity (demand weight one site can serve)
``p_t``         number of *new* sites of type ``t`` (``count``), or a window ``[p_t^-, p_t^+]``
``B``           budget (万元)

Rules shared by every family (one method each, constraints named from their indices)
-------------------------------------------------------------------------------------
(S1) ``one_use_s{j}``:          Σ_t y_jt ≤ 1 for a candidate eligible for several types
(S2) ``count_{t}``:             Σ_{j new} y_jt = p_t  (or ``min_count_{t}`` / ``max_count_{t}``)
(S3) ``budget``:                Σ_{t, j new} c_jt y_jt ≤ B

Extending a built model (the public face)
-----------------------------------------
A caller that needs more than the family's own formulation — the ε-constraint frontier, the
elastic diagnosis — never reaches into the model's internals. It reads the family's *objective
terms by name* (:attr:`LocationModel.TERMS`, :meth:`LocationModel.term`) and hands the model an
:class:`Extension` (:meth:`LocationModel.extend`): a replacement objective made of one term,
extra rows bounding terms (:class:`TermBound`), and an *elastic* build in which every row whose
name the ``elastic`` predicate accepts gets a non-negative slack (``slack_up_<row>`` on a ``≥``
side, ``slack_down_<row>`` on a ``≤`` side) and the objective becomes the total relative slack.
The extension is applied on every build, so the families that build more than once (p-median's
growing lists, lexicographic priorities) keep it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from geo.errors import ConfigError, CRSError, InputError
from optimizer.distances import DistanceOracle, EuclideanDistances
from optimizer.result import LocationResult, OpenSite, SolverRun
from optimizer.solvers import SolverOptions, solve


@dataclass(frozen=True)
class FacilitySpec:
    """One facility type of a location model.

    Parameters
    ----------
    type : str
        Name of the type (``clinic``); used in variable and constraint names.
    radius_m : float or None
        Service radius (required by the coverage models, used for reporting by the others).
    count, min_count, max_count : int or None
        Number of *new* sites: exactly ``count``, or within ``[min_count, max_count]``. Existing
        sites are open in addition.
    capacity : float or None
        Demand weight one site can serve; ``None`` for unlimited.
    cost_wan : float or array (m,)
        Cost of a new site in 万元 (per candidate when an array).
    eligible : bool array (m,) or None
        Candidates that may host this type (area window, zoning, exclusion); ``None`` = all.
    existing_xy : array (k, 2)
        Existing sites of this type, fixed open.
    existing_ids : tuple of str
        Their ids.
    weight : array (n,) or None
        Demand weight for this type (defaults to the instance's weight).
    priority : float
        Weight of this type's term in a multi-type objective (default 1).

    """

    type: str
    radius_m: float | None = None
    count: int | None = None
    min_count: int | None = None
    max_count: int | None = None
    capacity: float | None = None
    cost_wan: Any = 0.0
    eligible: np.ndarray | None = None
    existing_xy: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    existing_ids: tuple[str, ...] = ()
    weight: np.ndarray | None = None
    priority: float = 1.0

    def __post_init__(self) -> None:
        if self.radius_m is not None and not self.radius_m > 0:
            raise ConfigError(
                f"facilities[{self.type}].radius_m 服务半径必须大于 0 must be > 0, got {self.radius_m}"
            )
        if self.capacity is not None and not self.capacity > 0:
            raise ConfigError(
                f"facilities[{self.type}].capacity 容量必须大于 0 must be > 0, got {self.capacity}"
            )
        for key in ("count", "min_count", "max_count"):
            v = getattr(self, key)
            if v is not None and v < 0:
                raise ConfigError(f"facilities[{self.type}].{key} must be >= 0, got {v}")
        if self.count is not None and (self.min_count is not None or self.max_count is not None):
            raise ConfigError(f"facilities[{self.type}]: give count, or min_count/max_count, not both")
        if self.min_count is not None and self.max_count is not None and self.min_count > self.max_count:
            raise ConfigError(
                f"facilities[{self.type}]: min_count {self.min_count} > max_count {self.max_count}"
            )


Terms = list[tuple[pulp.LpVariable, float]]


@dataclass(frozen=True)
class TermBound:
    """An extra row ``term (sense) value`` named ``name`` (``sense`` a ``pulp.LpConstraint*``)."""

    term: str
    sense: int
    value: float
    name: str


@dataclass(frozen=True)
class Extension:
    """What a caller adds to a model's build (see the module docstring).

    Attributes
    ----------
    objective : (term, maximise) or None
        Replace the family's objective by one of its terms, maximised or minimised.
    bounds : tuple of TermBound
        Extra rows on terms, added after the family's own rows.
    elastic : callable or None
        ``elastic(row_name) -> bool``: rows it accepts get slack; the objective becomes
        ``min Σ slack / max(1, |rhs|)`` (``objective`` is then ignored).

    """

    objective: tuple[str, bool] | None = None
    bounds: tuple[TermBound, ...] = ()
    elastic: Callable[[str], bool] | None = None


def merge_terms(terms: Terms, sign: float = 1.0) -> Terms:
    """Sum the coefficients of a variable listed more than once (times ``sign``); drop zeros.

    >>> x = pulp.LpProblem("example").add_variable("x")
    >>> [(v.name, c) for v, c in merge_terms([(x, 2.0), (x, -0.5)], sign=-1.0)]
    [('x', -1.5)]
    """
    acc: dict[str, list] = {}
    for v, c in terms:
        if v.name in acc:
            acc[v.name][1] += sign * c
        else:
            acc[v.name] = [v, sign * c]
    return [(v, c) for v, c in acc.values() if c != 0.0]


def safe_name(text: str) -> str:
    """Return ``text`` reduced to characters safe in LP/MPS names (``[A-Za-z0-9_]``)."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", str(text))
    return out or "t"


class LocationModel:
    """Base of the location families: builds the site variables and the shared rules (S1–S3).

    Subclasses set :attr:`model_name`, :attr:`sense` and implement :meth:`_add_service`, which
    adds the family's objective and service constraints, and :meth:`_allocate`, which reads the
    service of every demand point from the solution.
    """

    model_name = "location"
    sense = pulp.LpMinimize
    #: the objective terms :meth:`term` knows for this family
    TERMS: tuple[str, ...] = ("cost", "facilities")
    needs_radius = False
    needs_facilities = True
    #: CBC settings measured to help this family (used unless the caller sets its own)
    cbc_tuning: tuple[str, ...] = ("-preprocess", "off", "-feas", "off")

    def __init__(
        self,
        demand_xy: np.ndarray,
        site_xy: np.ndarray,
        facilities: list[FacilitySpec] | tuple[FacilitySpec, ...],
        *,
        demand_weight: np.ndarray | None = None,
        site_ids: list[str] | tuple[str, ...] | None = None,
        budget_wan: float | None = None,
        distances: DistanceOracle | None = None,
    ) -> None:
        demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
        site_xy = np.asarray(site_xy, dtype=float).reshape(-1, 2)
        n, m = len(demand_xy), len(site_xy)
        weight = np.ones(n) if demand_weight is None else np.asarray(demand_weight, dtype=float)
        if weight.shape != (n,) or not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise InputError("需求权重必须为非负有限数 demand weights must be finite and >= 0, one per point")
        if not facilities and self.needs_facilities:
            raise ConfigError("facilities: 至少需要一种设施类型 at least one facility type is needed")
        names = [f.type for f in facilities]
        if len(set(names)) != len(names):
            raise ConfigError(f"facilities: 设施类型重复 duplicate facility types in {names}")
        if budget_wan is not None and not budget_wan > 0:
            raise ConfigError(f"budget_wan 预算必须大于 0 must be > 0, got {budget_wan}")
        ids = tuple(str(s) for s in (site_ids if site_ids is not None else [f"s{j}" for j in range(m)]))
        if len(ids) != m or len(set(ids)) != m:
            raise InputError("site_ids 必须唯一且与候选点一一对应 must be unique, one per candidate site")
        for f in facilities:
            if self.needs_radius and f.radius_m is None:
                raise ConfigError(
                    f"facilities[{f.type}].radius_m 该模型需要服务半径 is required by {self.model_name}"
                )
            if f.eligible is not None and np.asarray(f.eligible).shape != (m,):
                raise InputError(f"facilities[{f.type}].eligible must have one flag per candidate site ({m})")
            if f.weight is not None and np.asarray(f.weight).shape != (n,):
                raise InputError(f"facilities[{f.type}].weight must have one value per demand point ({n})")
        self.demand_xy = demand_xy
        self.weight = weight
        self.facilities = tuple(facilities)
        self.budget_wan = budget_wan
        # the extended site array: candidates, then each type's existing sites
        ext_xy = [site_xy]
        ext_ids = list(ids)
        existing_of: list[str | None] = [None] * m
        for f in self.facilities:
            ex = np.asarray(f.existing_xy, dtype=float).reshape(-1, 2)
            ex_ids = (
                list(f.existing_ids) if f.existing_ids else [f"{f.type}_existing_{k}" for k in range(len(ex))]
            )
            if len(ex_ids) != len(ex):
                raise InputError(f"facilities[{f.type}].existing_ids must have one id per existing site")
            ext_xy.append(ex)
            ext_ids += [str(e) for e in ex_ids]
            existing_of += [f.type] * len(ex)
        self.n_candidates = m
        self.site_xy = np.vstack(ext_xy)
        self.site_ids = tuple(ext_ids)
        self.existing_of = existing_of
        self.distances: DistanceOracle = distances or EuclideanDistances(demand_xy, self.site_xy)
        self.prob: pulp.LpProblem | None = None
        self.y: dict[tuple[str, int], pulp.LpVariable] = {}
        self.notes: list[str] = []
        self.extension = Extension()
        #: row name -> its slack variables and their weights (filled by an elastic build)
        self.slacks: dict[str, list[tuple[pulp.LpVariable, float]]] = {}

    # ---- constructors -------------------------------------------------------------------

    @classmethod
    def from_arrays(cls, demand_xy, site_xy, facilities, **kwargs):
        """Build from coordinate arrays (metres) and :class:`FacilitySpec` objects."""
        return cls(demand_xy, site_xy, facilities, **kwargs)

    @classmethod
    def from_geodataframes(
        cls,
        demand,
        sites,
        facilities,
        *,
        weight: str | None = None,
        site_id: str | None = None,
        **kwargs,
    ):
        """Build from GeoDataFrames in one projected metric CRS.

        Polygons stand for their centroids (demand) or representative points (sites, so a site
        lies inside its parcel). ``weight`` names the demand weight column (default 1 per point);
        ``site_id`` names the id column (default the index).
        """
        for label, gdf in (("demand", demand), ("sites", sites)):
            if gdf.crs is None:
                raise CRSError(f"{label}: 缺少坐标系 has no CRS; give a projected metric CRS")
            if not gdf.crs.is_projected:
                raise CRSError(
                    f"{label}: 坐标系 {gdf.crs.to_string()} 不是投影坐标系 is not projected (metres needed)"
                )
        if sites.crs != demand.crs:
            sites = sites.to_crs(demand.crs)
        demand_pts = demand.geometry.centroid
        site_pts = sites.geometry.representative_point()
        dxy = np.column_stack([demand_pts.x.to_numpy(), demand_pts.y.to_numpy()])
        sxy = np.column_stack([site_pts.x.to_numpy(), site_pts.y.to_numpy()])
        if weight is not None:
            if weight not in demand.columns:
                raise InputError(
                    f"demand: 缺少权重列 missing weight column {weight!r}; columns: {list(demand.columns)}"
                )
            w = demand[weight].to_numpy(dtype=float)
        else:
            w = None
        ids = (sites[site_id] if site_id is not None else sites.index).astype(str).tolist()
        return cls(dxy, sxy, facilities, demand_weight=w, site_ids=ids, **kwargs)

    # ---- building -----------------------------------------------------------------------

    def sites_for(self, f: FacilitySpec) -> np.ndarray:
        """Return the indices (into the extended site array) of the sites that may host type ``f``."""
        cand = np.arange(self.n_candidates)
        if f.eligible is not None:
            cand = cand[np.asarray(f.eligible, dtype=bool)]
        existing = np.array([k for k, t in enumerate(self.existing_of) if t == f.type], dtype=np.int64)
        return np.concatenate([cand, existing]).astype(np.int64)

    def weight_for(self, f: FacilitySpec) -> np.ndarray:
        """Demand weights for type ``f``."""
        return self.weight if f.weight is None else np.asarray(f.weight, dtype=float)

    def cost_of(self, f: FacilitySpec, j: int) -> float:
        """Cost (万元) of opening a new site of type ``f`` at candidate ``j``."""
        c = f.cost_wan
        return float(c[j]) if np.ndim(c) else float(c)

    # ---- the public face: terms by name, extensions ------------------------------------------

    def term(self, name: str) -> tuple[Terms, float]:
        """Return objective term ``name`` of the built model as ``(Σ coefficient·variable, constant)``.

        ``facilities``: the number of new sites; ``cost``: their cost (万元). Families add their
        own (:attr:`TERMS`).
        """
        new = [(v, f, j) for f in self.facilities for j, v in self._new_y(f)]
        if name == "facilities":
            return [(v, 1.0) for v, _, _ in new], 0.0
        if name == "cost":
            return [(v, self.cost_of(f, j)) for v, f, j in new], 0.0
        raise ConfigError(f"unknown term {name!r} of {self.model_name}; allowed: {', '.join(self.TERMS)}")

    def extend(self, extension: Extension) -> LocationModel:
        """Apply ``extension`` on every later :meth:`build` (and so :meth:`solve`); return the model.

        Examples
        --------
        The cheapest clinics (万元 300 at 0 m, 100 at 100 m) that still cover all three points of
        ``0, 10, 100 m`` — the MCLP's coverage term bounded, its cost term minimised:

        >>> from optimizer.models import FacilitySpec, MaxCoverage
        >>> clinic = FacilitySpec("clinic", radius_m=20, max_count=2, cost_wan=[300, 100])
        >>> model = MaxCoverage.from_arrays([(0, 0), (10, 0), (100, 0)], [(0, 0), (100, 0)], [clinic])
        >>> cover_all = TermBound("coverage", pulp.LpConstraintGE, 3.0, "epsilon_coverage")
        >>> result = model.extend(Extension(objective=("cost", False), bounds=(cover_all,))).solve()
        >>> result.open_sites(), result.total_cost_wan
        (['s0', 's1'], 400.0)

        """
        self.extension = extension
        return self

    def build(self) -> pulp.LpProblem:
        """Build the PuLP problem: the family's formulation (:meth:`_build`), then the extension."""
        self.slacks = {}
        prob = self._build()
        self._apply_extension(prob)
        return prob

    def _apply_extension(self, prob: pulp.LpProblem) -> None:
        ext = self.extension
        for bound in ext.bounds:
            terms, const = self.term(bound.term)
            row = pulp.LpConstraint(
                pulp.LpAffineExpression(merge_terms(terms)), bound.sense, bound.name, bound.value - const
            )
            prob.addConstraint(row, name=bound.name)
        if ext.elastic is not None:
            prob.sense = pulp.LpMinimize
            prob.setObjective(pulp.LpAffineExpression([(s, c) for v in self.slacks.values() for s, c in v]))
        elif ext.objective is not None:
            name, maximise = ext.objective
            terms, const = self.term(name)
            sign = 1.0 if maximise == (prob.sense == pulp.LpMaximize) else -1.0
            prob.setObjective(pulp.LpAffineExpression(merge_terms(terms, sign), constant=sign * const))

    def _build(self) -> pulp.LpProblem:
        """Build the family's formulation (site variables, shared rules, then the service part)."""
        self.prob = pulp.LpProblem(safe_name(self.model_name), self.sense)
        self.y = {}
        for f in self.facilities:
            t = safe_name(f.type)
            for j in self.sites_for(f):
                existing = self.existing_of[j] is not None
                self.y[(f.type, int(j))] = self._var(
                    f"open_{t}_s{j}", lowBound=1 if existing else 0, upBound=1, cat=pulp.LpBinary
                )
        self._add_one_use_per_site()
        self._add_counts()
        self._add_budget()
        self._add_service()
        return self.prob

    def _add(self, expr: pulp.LpAffineExpression | pulp.LpConstraint, name: str) -> None:
        assert self.prob is not None
        self.prob.addConstraint(expr, name=name)

    def _var(self, name: str, lowBound=None, upBound=None, cat: str = pulp.LpContinuous) -> pulp.LpVariable:
        assert self.prob is not None
        return self.prob.add_variable(name, lowBound, upBound, cat)

    def add_row(self, terms: Terms, sense: int, rhs: float, name: str) -> None:
        """Add the row ``Σ terms (sense) rhs`` named ``name``, built in one go (no per-term ``+=``).

        A variable listed twice has its coefficients summed (``LpAffineExpression`` built from a
        list keeps only the last one). In an elastic build (:class:`Extension`) a row the
        predicate accepts gets its slack here.
        """
        assert self.prob is not None
        elastic = self.extension.elastic
        if elastic is not None and elastic(name):
            terms = list(terms) + self._slack(sense, rhs, name)
        if len({v.name for v, _ in terms}) != len(terms):
            acc: dict[str, list] = {}
            for v, c in terms:
                if v.name in acc:
                    acc[v.name][1] += c
                else:
                    acc[v.name] = [v, c]
            terms = [(v, c) for v, c in acc.values()]
        self.prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, name, rhs), name=name
        )

    def _slack(self, sense: int, rhs: float, name: str) -> Terms:
        scale = 1.0 / max(1.0, abs(rhs))
        extra: Terms = []
        if sense in (pulp.LpConstraintGE, pulp.LpConstraintEQ):
            s = self._var(f"slack_up_{name}", 0)
            extra.append((s, 1.0))
            self.slacks.setdefault(name, []).append((s, scale))
        if sense in (pulp.LpConstraintLE, pulp.LpConstraintEQ):
            s = self._var(f"slack_down_{name}", 0)
            extra.append((s, -1.0))
            self.slacks.setdefault(name, []).append((s, scale))
        return extra

    def _new_y(self, f: FacilitySpec) -> list[tuple[int, pulp.LpVariable]]:
        return [(j, v) for (t, j), v in self.y.items() if t == f.type and self.existing_of[j] is None]

    def _add_one_use_per_site(self) -> None:
        """(S1) one facility per candidate parcel."""
        by_site: dict[int, list[pulp.LpVariable]] = {}
        for (_, j), v in self.y.items():
            if self.existing_of[j] is None:
                by_site.setdefault(j, []).append(v)
        for j, vs in by_site.items():
            if len(vs) > 1:
                self._add(pulp.LpAffineExpression([(v, 1) for v in vs]) <= 1, f"one_use_s{j}")

    def _add_counts(self) -> None:
        """(S2) number of new sites per type."""
        for f in self.facilities:
            expr = pulp.LpAffineExpression([(v, 1) for _, v in self._new_y(f)])
            t = safe_name(f.type)
            if f.count is not None:
                self._add(expr == f.count, f"count_{t}")
            if f.min_count is not None:
                self._add(expr >= f.min_count, f"min_count_{t}")
            if f.max_count is not None:
                self._add(expr <= f.max_count, f"max_count_{t}")

    def _add_budget(self) -> None:
        """(S3) total cost of new sites within the budget."""
        if self.budget_wan is None:
            return
        terms = [(v, self.cost_of(f, j)) for f in self.facilities for j, v in self._new_y(f)]
        self._add(pulp.LpAffineExpression(terms) <= self.budget_wan, "budget")

    def _add_service(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---- solving ------------------------------------------------------------------------

    def solve(self, solver: SolverOptions | None = None) -> LocationResult:
        """Build (if needed), solve and read the answer."""
        options = self._tuned(solver or SolverOptions())
        t0 = time.perf_counter()
        prob = self.build()
        build = time.perf_counter() - t0
        run = solve(prob, options, build_seconds=build)
        return self._result(run)

    def _tuned(self, options: SolverOptions) -> SolverOptions:
        if options.name == "cbc" and not options.cbc_options:
            return dataclasses.replace(options, cbc_options=self.cbc_tuning)
        return options

    def _open(self, run: SolverRun) -> dict[str, np.ndarray]:
        """Open sites per type (extended indices) read from the run."""
        out: dict[str, list[int]] = {f.type: [] for f in self.facilities}
        for (t, j), v in self.y.items():
            if self.existing_of[j] is not None or run.value(v.name) > 0.5:
                out[t].append(j)
        return {t: np.array(sorted(js), dtype=np.int64) for t, js in out.items()}

    def _allocate(
        self, f: FacilitySpec, open_sites: np.ndarray, run: SolverRun
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the assignment, covered share and distance of each demand point for type ``f``.

        Default: each point goes to its nearest open site; it is covered when that site lies
        within the radius (all of it when there is no radius).
        """
        n = len(self.demand_xy)
        assign = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan)
        if len(open_sites) and n:
            idx, d = self.distances.nearest(1, open_sites)
            ok = idx[:, 0] >= 0
            assign[ok] = idx[ok, 0]
            dist[ok] = d[ok, 0]
        if f.radius_m is None:
            covered = (assign >= 0).astype(float)
        else:
            covered = ((assign >= 0) & (np.nan_to_num(dist, nan=np.inf) <= f.radius_m + 1e-9)).astype(float)
        return assign, covered, dist

    def _served(
        self, f: FacilitySpec, run: SolverRun, assign: np.ndarray, covered: np.ndarray, w: np.ndarray
    ) -> np.ndarray:
        """Return the demand weight each site serves (default: each point whole to its assigned site)."""
        ok = assign >= 0
        return np.bincount(assign[ok], weights=(w * covered)[ok], minlength=len(self.site_ids))

    def _result(self, run: SolverRun) -> LocationResult:
        sites: list[OpenSite] = []
        assignment: dict[str, np.ndarray] = {}
        covered: dict[str, np.ndarray] = {}
        distance: dict[str, np.ndarray] = {}
        cost = 0.0
        if run.has_solution:
            opened = self._open(run)
            for f in self.facilities:
                a, c, d = self._allocate(f, opened[f.type], run)
                assignment[f.type], covered[f.type], distance[f.type] = a, c, d
                w = self.weight_for(f)
                served = self._served(f, run, a, c, w)
                for j in opened[f.type]:
                    existing = self.existing_of[j] is not None
                    if not existing:
                        cost += self.cost_of(f, int(j))
                    sites.append(
                        OpenSite(
                            site_id=self.site_ids[j],
                            type=f.type,
                            existing=existing,
                            x=float(self.site_xy[j, 0]),
                            y=float(self.site_xy[j, 1]),
                            radius_m=f.radius_m,
                            served_demand=float(served[j]),
                        )
                    )
        return LocationResult(
            model=self.model_name,
            run=run,
            site_ids=self.site_ids,
            sites=sites,
            assignment=assignment,
            covered=covered,
            distance=distance,
            total_cost_wan=cost,
            notes=list(self.notes),
        )
