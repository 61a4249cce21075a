"""The p-median (``min_distance``): an exact, compact formulation (see :class:`PMedian`)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pulp

from geo.errors import ConfigError
from optimizer.models.base import FacilitySpec, LocationModel, safe_name
from optimizer.result import LocationResult, SolverRun, Status, relative_gap
from optimizer.solvers import SolverOptions, solve

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
MAX_DENSE_PAIRS = 2_000_000


class PMedian(LocationModel):
    """The p-median (``min_distance``): minimise the weighted distance to the nearest open site.

    Uncapacitated: a radius formulation on each point's k nearest sites, with a proof
    ----------------------------------------------------------------------------------
    For demand point ``i`` and type ``t`` let ``D_i^1 < D_i^2 < … < D_i^K`` be the distinct distances
    to its ``k`` nearest sites of ``J_t`` and ``D_i^{K+1}`` the distance to the (k+1)-th nearest
    (``+∞``-free: when ``k = |J_t|`` there is no tail). With ``u_i^l = 1`` when no site within
    ``D_i^l`` is open, the distance from ``i`` to its nearest open site is
    ``D_i^1 + Σ_l (D_i^{l+1} − D_i^l) u_i^l`` (Elloumi 2010; Cornuéjols, Nemhauser & Wolsey 1980)::

        min   Σ_t α_t Σ_i w_i [ D_i^1 + Σ_{l=1..K} (D_i^{l+1} − D_i^l) u_it^l ]          (objective)
        s.t.  u_it^1 + Σ_{j: d_ij = D_i^1} y_jt ≥ 1                   (R1) reach_{t}_d{i}_l1
              u_it^l − u_it^{l−1} + Σ_{j: d_ij = D_i^l} y_jt ≥ 0      (R2) reach_{t}_d{i}_l{l}, l ≥ 2
              u ≥ 0,  (S1) one use per site, (S2) counts, (S3) budget

    (R2) is the chained ("telescoped") form of Elloumi's ``u^l + Σ_{d_ij ≤ D^l} y_j ≥ 1``: the same
    LP bound with about three nonzeros per level instead of up to ``k``. Cutting the levels at the
    k nearest keeps a *relaxation*: the last term charges only ``D^{K+1} − D^K`` for "nothing within
    the k nearest", which is never more than the truth. Hence

    * the truncated optimum is a lower bound of the true optimum, and
    * if the optimal sites' *true* weighted distance (each point to its nearest open site) equals
      the truncated optimum — as it does when no point uses its tail ``u_it^K`` — that solution
      attains the bound, so it **is** the true optimum.

    :meth:`solve` therefore solves, runs this check per point and doubles ``k`` for the points
    that fail it, until it passes (or ``k`` reaches every site). Under a time limit
    the incumbent's true weighted distance and the truncated model's proven bound give an
    honest gap. This is exact — not spopt's ``KNearestPMedian`` heuristic.

    Capacitated: the classic allocation formulation
    ------------------------------------------------
    With a capacity ``Q_t`` the nearest-site rule no longer holds and the model is ReVelle &
    Swain's (1970) with capacities: ``x_ijt ∈ [0, 1]`` over all pairs, ``Σ_j x_ijt = 1``,
    ``x_ijt ≤ y_jt``, ``Σ_i w_i x_ijt ≤ Q_t y_jt``, objective ``Σ w_i d_ij x_ijt`` (a point's weight
    may be split between sites). It is dense, so it is refused above 2 million pairs.

    Examples
    --------
    Weights 1, 1 and 5 at 0, 10 and 100 m: one site at 100 m costs 100 + 90 = 190 weighted metres,
    one at 0 costs 10 + 500 = 510.

    >>> from optimizer.models import FacilitySpec, PMedian
    >>> points, sites = [(0, 0), (10, 0), (100, 0)], [(0, 0), (100, 0)]
    >>> model = PMedian.from_arrays(points, sites, [FacilitySpec("clinic", count=1)], demand_weight=[1, 1, 5])
    >>> result = model.solve()
    >>> result.status, result.run.objective, result.open_sites()
    ('optimal', 190.0, ['s1'])

    """

    model_name = "min_distance"
    sense = pulp.LpMinimize

    def __init__(self, *args, k_nearest: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.k_nearest = k_nearest
        #: per type, the number of nearest sites each demand point's levels run over
        self._k: dict[str, np.ndarray] = {}

    def _initial_k(self, f: FacilitySpec, n_sites: int) -> int:
        if self.k_nearest is not None:
            return max(1, min(n_sites, self.k_nearest))
        p = (f.count or f.max_count or f.min_count or 1) + len(f.existing_xy)
        # a point's nearest open site is, on average, among its ~|J|/p nearest; start at one and a half
        # times that so that the proof usually passes on the first solve
        return max(1, min(n_sites, max(10, int(np.ceil(1.5 * n_sites / max(p, 1))))))

    def _add_service(self) -> None:
        self._tails: dict[str, list[tuple[int, pulp.LpVariable]]] = {}
        self._estimates: dict[str, list] = {}
        self._x: dict = {}
        self._objective: list[tuple[pulp.LpVariable, float]] = []
        self._constant = 0.0
        for f in self.facilities:
            sites = self.sites_for(f)
            w = self.weight_for(f)
            t = safe_name(f.type)
            self._start_type(f)
            if f.capacity is not None:
                self._add_capacitated(f, sites, w)
                continue
            if f.type not in self._k:
                self._k[f.type] = np.full(len(w), self._initial_k(f, len(sites)), dtype=np.int64)
            k_of = self._k[f.type]
            k_max = int(k_of.max()) if len(k_of) else 1
            idx, dist = self.distances.nearest(min(len(sites), k_max + 1), sites)
            tails: list[tuple[int, pulp.LpVariable]] = []
            estimates: list[tuple[int, float, list[tuple[pulp.LpVariable, float]]]] = []
            for i in np.flatnonzero(w > 0):
                k = int(k_of[i])
                full = k >= len(sites)
                row_j, row_d = idx[i, :k], dist[i, :k]
                ok = row_j >= 0
                row_j, row_d = row_j[ok], row_d[ok]
                if len(row_j) == 0:
                    raise ConfigError(
                        f"需求点 demand point {i} 无法到达任何 {f.type} 站点 reaches no site of this type"
                    )
                tail_d = dist[i, k] if not full and np.isfinite(dist[i, k]) else None
                levels, start = np.unique(row_d, return_index=True)
                bounds = np.append(start, len(row_d))
                prev = None
                n_levels = len(levels)
                distance_terms: list[tuple[pulp.LpVariable, float]] = []
                for lvl in range(n_levels):
                    nxt = levels[lvl + 1] if lvl + 1 < n_levels else tail_d
                    if nxt is None:  # last level of a full list: some site is always open
                        break
                    u = self._var(f"u_{t}_d{i}_l{lvl + 1}", lowBound=0)
                    distance_terms.append((u, float(nxt - levels[lvl])))
                    terms = [(u, 1.0)] + [
                        (self.y[(f.type, int(b))], 1.0) for b in row_j[bounds[lvl] : bounds[lvl + 1]]
                    ]
                    if prev is None:
                        self.add_row(terms, GE, 1.0, f"reach_{t}_d{i}_l1")
                    else:
                        terms.append((prev, -1.0))
                        self.add_row(terms, GE, 0.0, f"reach_{t}_d{i}_l{lvl + 1}")
                    prev = u
                if tail_d is not None and prev is not None:
                    tails.append((int(i), prev))
                estimates.append((int(i), float(levels[0]), distance_terms))
                self._use_distance(f, int(i), float(w[i]), float(levels[0]), distance_terms)
            self._tails[f.type] = tails
            self._estimates[f.type] = estimates
        assert self.prob is not None
        self.prob.setObjective(pulp.LpAffineExpression(self._objective, constant=self._constant))

    def _start_type(self, f: FacilitySpec) -> None:
        """Run this hook before a type's service part (the p-center adds its radius variable here)."""

    def _use_distance(
        self, f: FacilitySpec, i: int, w: float, d1: float, terms: list[tuple[pulp.LpVariable, float]]
    ) -> None:
        """Use ``d1 + Σ terms`` (the distance from ``i`` to its nearest open site): add ``w ×`` it."""
        self._constant += f.priority * w * d1
        self._objective += [(u, f.priority * w * c) for u, c in terms]

    binary_allocation = False

    def _add_capacitated(self, f: FacilitySpec, sites: np.ndarray, w: np.ndarray) -> None:
        """ReVelle–Swain allocation with capacities over all pairs."""
        n = len(self.demand_xy)
        if n * len(sites) > MAX_DENSE_PAIRS:
            raise ConfigError(
                f"facilities[{f.type}]: 带容量的 p-median 需要 {n}×{len(sites)} 个分配变量，超过上限 "
                f"{MAX_DENSE_PAIRS}; capacitated p-median is too large — reduce candidates or drop capacity"
            )
        t = safe_name(f.type)
        idx, dist = self.distances.nearest(len(sites), sites)
        need = np.flatnonzero(w > 0)
        xs = []
        by_site: dict[int, list] = {}
        for i in need:
            ok = idx[i] >= 0
            row = []
            for b, d in zip(idx[i][ok], dist[i][ok], strict=True):
                cat = pulp.LpBinary if self.binary_allocation else pulp.LpContinuous
                x = self._var(f"x_{t}_d{i}_s{b}", lowBound=0, upBound=1, cat=cat)
                row.append((x, 1.0))
                self.add_row([(x, 1.0), (self.y[(f.type, int(b))], -1.0)], LE, 0.0, f"link_{t}_d{i}_s{b}")
                by_site.setdefault(int(b), []).append((x, float(w[i])))
                xs.append((int(i), int(b), float(d), x))
            self.add_row(row, EQ, 1.0, f"assign_{t}_d{i}")
            self._use_distance(f, int(i), float(w[i]), 0.0, [(x, d) for _, _, d, x in xs[-len(row) :]])
        for b, terms in by_site.items():
            self.add_row(
                [*terms, (self.y[(f.type, b)], -float(f.capacity or 0))], LE, 0.0, f"capacity_{t}_s{b}"
            )
        self._x[f.type] = xs

    def _allocate(self, f: FacilitySpec, open_sites: np.ndarray, run: SolverRun):
        if f.capacity is None:
            return super()._allocate(f, open_sites, run)
        n = len(self.demand_xy)
        assign = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan)
        best = np.zeros(n)
        covered = np.zeros(n)
        for i, b, d, x in self._x[f.type]:
            v = run.value(x.name)
            if f.radius_m is None or d <= f.radius_m + 1e-9:
                covered[i] += v
            if v > best[i] + 1e-9:
                best[i], assign[i], dist[i] = v, b, d
        return assign, np.clip(covered, 0, 1), dist

    def _short_lists(self, result: LocationResult) -> dict[str, np.ndarray]:
        """Points whose true nearest open site lies beyond what their truncated levels charge.

        When this is empty for an optimal truncated solve, the truncated optimum (a lower bound)
        is attained, so the answer is the true optimum.
        """
        out: dict[str, np.ndarray] = {}
        run = result.run
        for f in self.facilities:
            if f.capacity is None and f.type in self._estimates:
                n_sites = len(self.sites_for(f))
                true_d = result.distance[f.type]
                bad = []
                for i, d1, terms in self._estimates[f.type]:
                    est = d1 + sum(c * run.value(u.name) for u, c in terms)
                    if true_d[i] > est + 1e-6 * max(1.0, est) and self._k[f.type][i] < n_sites:
                        bad.append(i)
                if bad:
                    out[f.type] = np.array(bad, dtype=np.int64)
        return out

    def _served(self, f, run, assign, covered, w):
        if f.capacity is None:
            return super()._served(f, run, assign, covered, w)
        served = np.zeros(len(self.site_ids))
        for i, b, _, x in self._x[f.type]:
            served[b] += w[i] * run.value(x.name)
        return served

    def _true_objective(self, result: LocationResult) -> float:
        """Weighted distance of the incumbent, each point to its nearest open site (or its allocation)."""
        total = 0.0
        for f in self.facilities:
            w = self.weight_for(f)
            if f.capacity is None:
                d = result.distance[f.type]
                total += f.priority * float(np.nansum(w * np.where(w > 0, d, 0.0)))
            else:
                total += f.priority * sum(
                    float(w[i]) * d * result.run.value(x.name) for i, _, d, x in self._x[f.type]
                )
        return total

    def solve(self, solver: SolverOptions | None = None) -> LocationResult:
        """Solve; enlarge the nearest-site lists until the tails prove the optimum (see module doc)."""
        options = self._tuned(solver or SolverOptions())
        started = time.perf_counter()
        build_total = solve_total = 0.0
        while True:
            t0 = time.perf_counter()
            prob = self.build()
            build = time.perf_counter() - t0
            remaining = None
            if options.time_limit_s is not None:
                remaining = max(1.0, options.time_limit_s - (time.perf_counter() - started))
            run = solve(prob, dataclasses.replace(options, time_limit_s=remaining), build_seconds=build)
            build_total += run.build_seconds
            solve_total += run.solve_seconds
            result = self._result(run)
            if not run.has_solution:
                break
            short = self._short_lists(result)
            if not short:
                break
            out_of_time = (
                options.time_limit_s is not None and time.perf_counter() - started >= options.time_limit_s
            )
            if out_of_time or run.status != "optimal":
                break
            for t, points in short.items():
                f = next(f for f in self.facilities if f.type == t)
                n_sites = len(self.sites_for(f))
                self._k[t][points] = np.minimum(n_sites, 2 * self._k[t][points])
                self.notes.append(
                    f"{t}: {len(points)} 个需求点的最近候选列表不足以证明最优，已加倍 "
                    f"(the nearest-site lists of {len(points)} points could not prove the optimum; doubled)"
                )
        # the reported objective is the true weighted distance of the incumbent
        if run.has_solution:
            true_obj = self._true_objective(result)
            bound = run.bound
            proven = run.status == "optimal" and not self._short_lists(result)
            status: Status
            if proven:
                status, gap, bound = "optimal", 0.0 if options.mip_gap == 0 else run.mip_gap, run.bound
            else:
                status, gap = "feasible", relative_gap(true_obj, bound)
            run = dataclasses.replace(
                run,
                status=status,
                objective=true_obj,
                bound=bound,
                mip_gap=gap,
                build_seconds=build_total,
                solve_seconds=solve_total,
            )
        else:
            run = dataclasses.replace(run, build_seconds=build_total, solve_seconds=solve_total)
        for t, k in self._k.items():
            self.notes.append(
                f"{t}: 每个需求点的最近候选数 nearest sites per point: "
                f"最大 max {int(k.max())}, 中位 median {int(np.median(k))}"
            )
        return dataclasses.replace(result, run=run, notes=list(self.notes))
