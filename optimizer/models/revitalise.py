"""The ``revitalise`` model: actions per parcel and facility siting (see :class:`Revitalise`)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from geo.errors import ConfigError
from optimizer.models.base import FacilitySpec, Terms, merge_terms, safe_name
from optimizer.models.coverage import MaxCoverage
from optimizer.result import LocationResult, SolverRun
from optimizer.solvers import SolverOptions, solve

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ


@dataclass(frozen=True)
class ParcelEconomics:
    """Per-candidate arrays (length m) the pipeline derives from the analysis and the scenario."""

    area_m2: np.ndarray
    area_mu: np.ndarray
    acquisition_wan: np.ndarray
    tax_wan: np.ndarray
    idle_fee_wan: np.ndarray
    upgrade_ok: np.ndarray
    release_ok: np.ndarray
    green_ok: np.ndarray
    industrial_now: np.ndarray
    upgrade_cost_wan: np.ndarray
    upgrade_gain_wan: np.ndarray
    release_gain_wan: np.ndarray
    green_cost_wan: np.ndarray
    horizon_years: float
    total_area_m2: float
    industrial_area_m2: float


@dataclass(frozen=True)
class Separations:
    """Pairs of candidates (j, k) closer than the minimum between types a (at j) and b (at k)."""

    pairs: tuple[tuple[str, str, np.ndarray, np.ndarray], ...] = ()


@dataclass(frozen=True)
class RevitaliseRules:
    """The scenario's choices for one revitalise model: objective weights and the land rules.

    ``weights`` (ω, default ω_V = 1 per percentage point of coverage, ω_N = 0.001 per 万元) or
    ``priorities`` (lexicographic, each term optimised in turn); ``separations`` (V5);
    ``living_types`` with ``living_max`` (V6, λ) and ``industrial_min`` (V7, ρ).
    """

    weights: dict[str, float] | None = None
    priorities: list[str] | None = None
    separations: Separations = field(default_factory=Separations)
    living_types: tuple[str, ...] = ()
    living_max: float | None = None
    industrial_min: float | None = None


class Revitalise(MaxCoverage):
    """The ``revitalise`` model: what to do with each candidate parcel, and where each facility goes.

    For every candidate parcel ``j`` at most one action: keep (nothing chosen), ``upgrade``
    (owner-led densification to the plot-ratio floor), ``release`` (recover and re-supply to
    industry), ``facility:<t>`` or ``green``. Demand is covered by facility type within its radius
    (and capacity), as in the MCLP.

    Symbols (besides those of :mod:`optimizer.models.base`)
    --------------------------------------------------------
    ``up_j, rel_j, g_j ∈ {0,1}``  upgrade / release / green on parcel ``j`` (only where allowed)
    ``A_j`` (m²), ``M_j`` (亩)    parcel area
    ``K_j``      acquisition cost: 0 for ``idle_recoverable`` (无偿收回, 闲置土地处置办法 Art. 14 ¶2) and
                 unsupplied land, else ``compensation_wan_per_mu × M_j``
    ``c_jt``     facility cost = ``K_j`` + site cost (``cost_wan`` or ``cost_per_m2_wan × A_j``)
                 + rezoning ``rezoning_wan_per_mu × M_j`` when the planned use does not fit
    ``F_j``      idle fee (20 % of the land price, Art. 14 ¶1), revenue collected unless the land
                 is recovered (recovery subtracts it again); ``τ_j`` current tax (万元/year);
                 ``H`` horizon (years); ``τ*`` target 亩均税收 (万元/亩/year);
                 ``π`` re-supply land price (万元/亩)
    ``L``        living-facility types (``living: true``); ``Ind_j`` parcel is industrial land now

    Money (万元, over the horizon)
    ------------------------------
    cost:     ``C = Σ_jt c_jt y_jt + Σ_j u M_j up_j + Σ_j K_j rel_j + Σ_j (K_j + γ A_j) g_j``
    return:   ``R = Σ_j F_j + Σ_j H (τ* − τ_j/M_j)^+ M_j up_j
                   + Σ_j (π M_j + H τ* M_j − H τ_j − F_j) rel_j
                   − Σ_j (H τ_j + F_j) (Σ_t y_jt + g_j)``
    net:      ``N = R − C``
    coverage: ``V = Σ_t α_t · 100 · Σ_i w_i z_it / Σ_i w_i``  (percentage points, weighted by priority)

    Objective
    ---------
    ``max  ω_V V + ω_N N − ω_C C`` with the scenario's ``weights`` (default ω_V = 1 per percentage
    point, ω_N = 0.001 per 万元), or lexicographically by ``priorities`` (each term optimised in
    turn, the earlier ones held at their optimum).

    Constraints (named from their indices)
    --------------------------------------
    (V1) ``one_action_s{j}``:  Σ_t y_jt + up_j + rel_j + g_j ≤ 1
    (V2) ``cover_{t}_d{i}``:   z_it ≤ Σ_{j ∈ N_it} y_jt (or the capacitated allocation A1–A3)
    (V3) ``count_{t}`` / ``min_count_{t}`` / ``max_count_{t}``: new sites per type
    (V4) ``budget``:           C ≤ B
    (V5) ``separation_{a}_{b}_s{j}_s{k}``: y_ja + y_kb ≤ 1 for parcels closer than the minimum
    (V6) ``living_share``:     Σ_{j, t ∈ L} A_j y_jt ≤ λ · I_after
    (V7) ``industrial_rate``:  I_after ≥ ρ · A_total, where
         I_after = I_now − Σ_{j: Ind_j} A_j (Σ_t y_jt + g_j) + Σ_{j: ¬Ind_j} A_j rel_j
    Area windows, planned-use compatibility (or the rezoning flag), exclusion zones and
    separations from existing facilities remove variables before the model is built.
    """

    model_name = "revitalise"
    sense = pulp.LpMaximize
    TERMS: tuple[str, ...] = ("coverage", "cost", "net_return")
    # the revitalise model has knapsack-like money rows where CBC's defaults do well
    cbc_tuning: tuple[str, ...] = ()
    needs_facilities = False

    def __init__(
        self,
        demand_xy,
        site_xy,
        facilities,
        *,
        economics: ParcelEconomics,
        rules: RevitaliseRules | None = None,
        **kwargs,
    ) -> None:
        super().__init__(demand_xy, site_xy, facilities, **kwargs)
        m = self.n_candidates
        for name in ("area_m2", "acquisition_wan", "tax_wan", "upgrade_ok", "release_ok", "green_ok"):
            if np.asarray(getattr(economics, name)).shape != (m,):
                raise ConfigError(f"economics.{name} must have one value per candidate parcel ({m})")
        self.econ = economics
        rules = rules or RevitaliseRules()
        self.weights = dict(rules.weights or {"coverage": 1.0, "net_return": 0.001})
        self.priorities = list(rules.priorities) if rules.priorities else None
        self.separations = rules.separations
        self.living_types = tuple(rules.living_types)
        self.living_max = rules.living_max
        self.industrial_min = rules.industrial_min
        self._fixed_terms: list[tuple[str, float]] = []
        self._stage_objective: str | None = None

    # ---- extra variables and rules ---------------------------------------------------------

    def coverage_scale(self, f: FacilitySpec) -> float:
        """Objective coefficient per unit of covered weight: ``α_t · 100 / Σ_i w_i`` (percentage points)."""
        total = float(self.weight_for(f).sum())
        return f.priority * 100.0 / total if total > 0 else 0.0

    def _build(self) -> pulp.LpProblem:
        """Build the model (action variables first, so the shared rules can see them)."""
        e = self.econ
        self.prob = pulp.LpProblem("revitalise", self.sense)
        self.up = {
            int(j): self._var(f"upgrade_s{j}", 0, 1, pulp.LpBinary) for j in np.flatnonzero(e.upgrade_ok)
        }
        self.rel = {
            int(j): self._var(f"release_s{j}", 0, 1, pulp.LpBinary) for j in np.flatnonzero(e.release_ok)
        }
        self.green = {
            int(j): self._var(f"green_s{j}", 0, 1, pulp.LpBinary) for j in np.flatnonzero(e.green_ok)
        }
        return self._build_rest()

    def _build_rest(self) -> pulp.LpProblem:
        self.y = {}
        for f in self.facilities:
            t = f.type
            for j in self.sites_for(f):
                existing = self.existing_of[j] is not None
                self.y[(t, int(j))] = self._var(
                    f"open_{safe_name(t)}_s{j}", 1 if existing else 0, 1, pulp.LpBinary
                )
        self._add_one_use_per_site()
        self._add_counts()
        self._add_service()  # coverage; calls _set_objective
        self._add_budget()
        self._add_separations()
        self._add_land_shares()
        for name, (sense, rhs) in self._fixed_terms_constraints().items():
            self.add_row(self._term(name), sense, rhs, f"hold_{name}")
        self._set_objective()
        assert self.prob is not None
        return self.prob

    def _add_one_use_per_site(self) -> None:
        """(V1) at most one action per candidate parcel."""
        by_site: dict[int, list[pulp.LpVariable]] = {}
        for (_, j), v in self.y.items():
            if self.existing_of[j] is None:
                by_site.setdefault(j, []).append(v)
        for store in (self.up, self.rel, self.green):
            for j, v in store.items():
                by_site.setdefault(j, []).append(v)
        for j, vs in by_site.items():
            if len(vs) > 1:
                self.add_row([(v, 1.0) for v in vs], LE, 1.0, f"one_action_s{j}")

    def _cost_terms(self) -> list[tuple[pulp.LpVariable, float]]:
        e = self.econ
        terms = [(v, self.cost_of(f, j)) for f in self.facilities for j, v in self._new_y(f)]
        terms += [(v, float(e.upgrade_cost_wan[j])) for j, v in self.up.items()]
        terms += [(v, float(e.acquisition_wan[j])) for j, v in self.rel.items()]
        terms += [(v, float(e.green_cost_wan[j])) for j, v in self.green.items()]
        return [(v, c) for v, c in terms if c != 0.0]

    def _return_terms(self) -> list[tuple[pulp.LpVariable, float]]:
        e = self.econ
        lost = e.horizon_years * e.tax_wan + e.idle_fee_wan
        terms = [(v, float(e.upgrade_gain_wan[j])) for j, v in self.up.items()]
        terms += [(v, float(e.release_gain_wan[j])) for j, v in self.rel.items()]
        terms += [(v, -float(lost[j])) for j, v in self.green.items()]
        terms += [(v, -float(lost[j])) for f in self.facilities for j, v in self._new_y(f)]
        return [(v, c) for v, c in terms if c != 0.0]

    def term(self, name: str) -> tuple[Terms, float]:
        """``coverage`` V, ``cost`` C, ``net_return`` N = R − C (its constant: the idle fees Σ F_j)."""
        return self._term(name), self._constant(name)

    def _term(self, name: str) -> list[tuple[pulp.LpVariable, float]]:
        if name == "coverage":
            return list(self._coverage_terms)
        if name == "cost":
            return self._cost_terms()
        if name == "net_return":
            return self._return_terms() + [(v, -c) for v, c in self._cost_terms()]
        raise ConfigError(f"unknown objective term {name!r}; allowed: coverage, net_return, cost")

    def _add_budget(self) -> None:
        """(V4) total cost within the budget."""
        if self.budget_wan is not None:
            self.add_row(self._cost_terms(), LE, float(self.budget_wan), "budget")

    def _add_separations(self) -> None:
        """(V5) incompatible facilities on parcels closer than the minimum separation."""
        for a, b, js, ks in self.separations.pairs:
            for j, k in zip(js, ks, strict=True):
                va, vb = self.y.get((a, int(j))), self.y.get((b, int(k)))
                if va is None or vb is None or (a == b and j == k):
                    continue
                self.add_row(
                    [(va, 1.0), (vb, 1.0)], LE, 1.0, f"separation_{safe_name(a)}_{safe_name(b)}_s{j}_s{k}"
                )

    def _industrial_after(self) -> tuple[list[tuple[pulp.LpVariable, float]], float]:
        e = self.econ
        terms: list[tuple[pulp.LpVariable, float]] = []
        for f in self.facilities:
            terms += [(v, -float(e.area_m2[j])) for j, v in self._new_y(f) if e.industrial_now[j]]
        terms += [(v, -float(e.area_m2[j])) for j, v in self.green.items() if e.industrial_now[j]]
        terms += [(v, float(e.area_m2[j])) for j, v in self.rel.items() if not e.industrial_now[j]]
        return terms, float(e.industrial_area_m2)

    def _add_land_shares(self) -> None:
        """(V6) living-facility share and (V7) industrial land rate."""
        e = self.econ
        ind_terms, ind_now = self._industrial_after()
        if self.living_max is not None and self.living_types:
            living = [
                (v, float(e.area_m2[j]))
                for f in self.facilities
                if f.type in self.living_types
                for j, v in self._new_y(f)
            ]
            if living:
                terms = living + [(v, -self.living_max * c) for v, c in ind_terms]
                self.add_row(terms, LE, self.living_max * ind_now, "living_share")
        if self.industrial_min is not None:
            self.add_row(ind_terms, GE, self.industrial_min * e.total_area_m2 - ind_now, "industrial_rate")

    def _set_objective(self) -> None:
        assert self.prob is not None
        if not hasattr(self, "up"):
            return
        constant = 0.0
        if self._stage_objective is not None:
            sign = -1.0 if self._stage_objective == "cost" else 1.0
            terms = [(v, sign * c) for v, c in self._term(self._stage_objective)]
            constant = sign * self._constant(self._stage_objective)
        else:
            terms = []
            for name, weight in self.weights.items():
                if weight == 0:
                    continue
                sign = -1.0 if name == "cost" else 1.0
                terms += [(v, sign * weight * c) for v, c in self._term(name)]
                constant += sign * weight * self._constant(name)
        self.prob.setObjective(pulp.LpAffineExpression(merge_terms(terms), constant=constant))

    def _constant(self, name: str) -> float:
        """Constant part of a term: the idle fees every candidate pays unless its land is recovered."""
        return float(np.sum(self.econ.idle_fee_wan)) if name == "net_return" else 0.0

    def _fixed_terms_constraints(self) -> dict[str, tuple[int, float]]:
        out = {}
        for name, value in self._fixed_terms:
            slack = 1e-6 * max(1.0, abs(value))
            out[name] = (LE, value + slack) if name == "cost" else (GE, value - slack)
        return out

    # ---- solving ----------------------------------------------------------------------------

    def solve(self, solver: SolverOptions | None = None) -> LocationResult:
        """Solve with the weighted objective, or stage by stage for lexicographic priorities."""
        options = self._tuned(solver or SolverOptions())
        if not self.priorities:
            t0 = time.perf_counter()
            prob = self.build()
            return self._finish(solve(prob, options, build_seconds=time.perf_counter() - t0))
        started = time.perf_counter()
        build_total = solve_total = 0.0
        run: SolverRun | None = None
        for stage in self.priorities:
            self._stage_objective = stage
            t0 = time.perf_counter()
            prob = self.build()
            remaining = None
            if options.time_limit_s is not None:
                remaining = max(1.0, options.time_limit_s - (time.perf_counter() - started))
            run = solve(
                prob,
                dataclasses.replace(options, time_limit_s=remaining),
                build_seconds=time.perf_counter() - t0,
            )
            build_total += run.build_seconds
            solve_total += run.solve_seconds
            if not run.has_solution:
                break
            value = self._evaluate(self._term(stage), run)
            self._fixed_terms.append((stage, value))
            self.notes.append(f"优先级 priority {stage}: {value:.4g} ({run.status})")
        assert run is not None
        run = dataclasses.replace(run, build_seconds=build_total, solve_seconds=solve_total)
        return self._finish(run)

    @staticmethod
    def _evaluate(terms: list[tuple[pulp.LpVariable, float]], run: SolverRun) -> float:
        return float(sum(c * run.value(v.name) for v, c in terms))

    def _finish(self, run: SolverRun) -> LocationResult:
        result = self._result(run)
        if not run.has_solution:
            return result
        actions: dict[str, str] = {}
        for j in range(self.n_candidates):
            actions[self.site_ids[j]] = "keep"
        for store, label in ((self.up, "upgrade"), (self.rel, "release"), (self.green, "green")):
            for j, v in store.items():
                if run.value(v.name) > 0.5:
                    actions[self.site_ids[j]] = label
        for (t, j), v in self.y.items():
            if self.existing_of[j] is None and run.value(v.name) > 0.5:
                actions[self.site_ids[j]] = f"facility:{t}"
        terms = {
            "coverage": self._evaluate(self._coverage_terms, run),
            "cost": self._evaluate(self._cost_terms(), run),
            "return": self._evaluate(self._return_terms(), run) + self._constant("net_return"),
        }
        terms["net_return"] = terms["return"] - terms["cost"]
        return dataclasses.replace(
            result,
            actions=actions,
            objective_terms=terms,
            total_cost_wan=terms["cost"],
            notes=list(self.notes),
        )
