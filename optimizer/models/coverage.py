"""Coverage models: the MCLP (``max_coverage``) and the LSCP (``min_facilities``).

Both build only the (demand, site) pairs within the type's radius (a KD-tree's
``sparse_distance_matrix``), one variable per *point* (uncapacitated) or per *pair*
(capacitated), and each constraint from a prebuilt list of terms.
"""

from __future__ import annotations

import numpy as np
import pulp

from optimizer.models.base import FacilitySpec, LocationModel, safe_name
from optimizer.result import SolverRun

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ


def _groups(i: np.ndarray) -> list[tuple[int, slice]]:
    """(value, slice) runs of a sorted integer array."""
    if len(i) == 0:
        return []
    cut = np.flatnonzero(np.diff(i)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(i)]])
    return [(int(i[s]), slice(int(s), int(e))) for s, e in zip(starts, ends, strict=True)]


class _CoverageBase(LocationModel):
    """Pairs within radius and the capacitated allocation shared by MCLP and LSCP."""

    needs_radius = True
    _x: dict
    _d: dict

    def _pairs(self, f: FacilitySpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert f.radius_m is not None
        i, j, d = self.distances.within(f.radius_m, self.sites_for(f))
        w = self.weight_for(f)
        keep = w[i] > 0
        return i[keep], j[keep], d[keep]

    def _add_allocation(self, f: FacilitySpec, i: np.ndarray, j: np.ndarray, assign_sense: int) -> list:
        """Capacitated service: x_ijt ∈ [0, 1] for pairs within the radius.

        (A1) ``assign_{t}_d{i}``:      Σ_j x_ijt (≤ or =) 1
        (A2) ``link_{t}_d{i}_s{j}``:   x_ijt ≤ y_jt
        (A3) ``capacity_{t}_s{j}``:    Σ_i w_i x_ijt ≤ Q_t y_jt
        Returns the x variables aligned with the pair arrays.
        """
        t = safe_name(f.type)
        w = self.weight_for(f)
        x = [self._var(f"x_{t}_d{a}_s{b}", lowBound=0, upBound=1) for a, b in zip(i, j, strict=True)]
        for a, sl in _groups(i):
            self.add_row([(v, 1.0) for v in x[sl]], assign_sense, 1.0, f"assign_{t}_d{a}")
        for v, a, b in zip(x, i, j, strict=True):
            self.add_row([(v, 1.0), (self.y[(f.type, int(b))], -1.0)], LE, 0.0, f"link_{t}_d{a}_s{b}")
        order = np.argsort(j, kind="stable")
        js = j[order]
        for b, sl in _groups(js):
            members = order[sl]
            terms = [(x[k], float(w[i[k]])) for k in members]
            terms.append((self.y[(f.type, b)], -float(f.capacity or 0.0)))
            self.add_row(terms, LE, 0.0, f"capacity_{t}_s{b}")
        self._x[f.type] = (i, j, x)
        return x

    def _allocate(self, f: FacilitySpec, open_sites: np.ndarray, run: SolverRun):
        if f.capacity is None:
            return super()._allocate(f, open_sites, run)
        i, j, x = self._x[f.type]
        n = len(self.demand_xy)
        share = np.array([run.value(v.name) for v in x]) if x else np.empty(0)
        covered = np.clip(np.bincount(i, weights=share, minlength=n) if len(i) else np.zeros(n), 0.0, 1.0)
        assign = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.nan)
        if len(i):
            _, _, d = self._dist_of_pairs(f, i, j)
            order = np.lexsort((-share, i))
            first = np.concatenate([[True], i[order][1:] != i[order][:-1]])
            best = order[first]
            best = best[share[best] > 1e-9]
            assign[i[best]] = j[best]
            dist[i[best]] = d[best]
        return assign, covered, dist

    def _served(self, f, run, assign, covered, w):
        if f.capacity is None:
            return super()._served(f, run, assign, covered, w)
        i, j, x = self._x[f.type]
        share = np.array([run.value(v.name) for v in x]) if x else np.empty(0)
        return (
            np.bincount(j, weights=w[i] * share, minlength=len(self.site_ids))
            if len(j)
            else np.zeros(len(self.site_ids))
        )

    def _dist_of_pairs(self, f: FacilitySpec, i, j):
        return i, j, self._d[f.type]


class MaxCoverage(_CoverageBase):
    """Maximal covering location problem (MCLP), ``objective: max_coverage``.

    Maximise the demand weight within the service radius of an open site, with a fixed number
    (or a window) of new sites per type, capacities, existing sites and a budget.

    Formulation (symbols in :mod:`optimizer.models.base`)::

        max   Σ_t α_t Σ_i w_i z_it                                          (objective)
        s.t.  z_it ≤ Σ_{j ∈ N_it} y_jt          ∀ t, i: N_it ≠ ∅   (C1) cover_{t}_d{i}
              z_it ∈ [0, 1]                     (integral at the optimum: Σ y is an integer)
              (S1) one use per site, (S2) counts, (S3) budget

    With a capacity ``Q_t`` the point-level ``z`` is replaced by the allocation ``x_ijt`` of
    :meth:`_add_allocation` (A1 with ≤, A2, A3) and the objective becomes
    Σ_t α_t Σ_{(i,j)} w_i x_ijt; a point's weight may then be split between sites.

    With one type, a fixed ``count`` = p, no capacity and no budget this is exactly Church &
    ReVelle's (1974) MCLP: the objective is the covered demand weight.

    Examples
    --------
    Three points on a line, two candidate sites, one clinic of radius 20 m: the site at 0 covers
    the points at 0 and 10 m, the site at 100 m only its own point.

    >>> from optimizer.models import FacilitySpec, MaxCoverage
    >>> points, sites = [(0, 0), (10, 0), (100, 0)], [(0, 0), (100, 0)]
    >>> clinic = FacilitySpec("clinic", radius_m=20, count=1)
    >>> result = MaxCoverage.from_arrays(points, sites, [clinic]).solve()
    >>> result.status, result.run.objective, result.open_sites()
    ('optimal', 2.0, ['s0'])

    """

    model_name = "max_coverage"
    sense = pulp.LpMaximize
    TERMS: tuple[str, ...] = ("coverage", "cost", "facilities")
    _coverage_terms: list[tuple[pulp.LpVariable, float]]

    def _add_service(self) -> None:
        self._x: dict = {}
        self._d: dict = {}
        objective: list[tuple[pulp.LpVariable, float]] = []
        for f in self.facilities:
            t = safe_name(f.type)
            i, j, d = self._pairs(f)
            self._d[f.type] = d
            w = self.weight_for(f)
            scale = self.coverage_scale(f)
            if f.capacity is not None:
                x = self._add_allocation(f, i, j, LE)
                objective += [(v, scale * float(w[a])) for v, a in zip(x, i, strict=True)]
                continue
            for a, sl in _groups(i):
                z = self._var(f"cov_{t}_d{a}", lowBound=0, upBound=1)
                objective.append((z, scale * float(w[a])))
                terms = [(z, 1.0)] + [(self.y[(f.type, int(b))], -1.0) for b in j[sl]]
                self.add_row(terms, LE, 0.0, f"cover_{t}_d{a}")
        self._coverage_terms = objective
        self._set_objective()

    def coverage_scale(self, f: FacilitySpec) -> float:
        """Objective coefficient per unit of covered weight of type ``f`` (MCLP: its priority)."""
        return f.priority

    def term(self, name: str) -> tuple[list[tuple[pulp.LpVariable, float]], float]:
        """``coverage``: Σ_t α_t Σ_i w_i z_it (the objective); otherwise :meth:`LocationModel.term`."""
        if name == "coverage":
            return list(self._coverage_terms), 0.0
        return super().term(name)

    def _set_objective(self) -> None:
        assert self.prob is not None
        self.prob.setObjective(pulp.LpAffineExpression(self._coverage_terms))


class MinFacilities(_CoverageBase):
    """Location set covering problem (LSCP), ``objective: min_facilities``.

    Open the fewest new sites so that every demand point (weight > 0) lies within the radius of
    an open site of every type.

    Formulation::

        min   Σ_t Σ_{j new} y_jt                                            (objective)
        s.t.  Σ_{j ∈ N_it} y_jt ≥ 1              ∀ t, i: w_i > 0     (C1) cover_{t}_d{i}
              (S1), (S2) when a window is given, (S3) budget

    A point with no site within the radius makes (C1) read ``0 ≥ 1``: the model is infeasible
    and the diagnosis names the point. With a capacity, (C1) becomes the allocation of
    :meth:`_add_allocation` with (A1) as an equality: all of every point's weight is served.
    This is Toregas et al.'s (1971) LSCP; existing sites count as covering for free.

    Examples
    --------
    Covering every point of the line ``0, 10, 100 m`` within 20 m takes both sites:

    >>> from optimizer.models import FacilitySpec, MinFacilities
    >>> points, sites = [(0, 0), (10, 0), (100, 0)], [(0, 0), (100, 0)]
    >>> result = MinFacilities.from_arrays(points, sites, [FacilitySpec("clinic", radius_m=20)]).solve()
    >>> result.status, result.run.objective, result.open_sites()
    ('optimal', 2.0, ['s0', 's1'])

    """

    model_name = "min_facilities"
    sense = pulp.LpMinimize

    def _add_service(self) -> None:
        self._x: dict = {}
        self._d: dict = {}
        objective: list[tuple[pulp.LpVariable, float]] = []
        for f in self.facilities:
            t = safe_name(f.type)
            objective += [(v, 1.0) for _, v in self._new_y(f)]
            i, j, d = self._pairs(f)
            self._d[f.type] = d
            w = self.weight_for(f)
            need = [int(a) for a in np.flatnonzero(w > 0)]
            have: set[int] = {int(v) for v in np.unique(i)}
            if f.capacity is not None:
                self._add_allocation(f, i, j, EQ)
            else:
                for a, sl in _groups(i):
                    self.add_row([(self.y[(f.type, int(b))], 1.0) for b in j[sl]], GE, 1.0, f"cover_{t}_d{a}")
            for a in need:
                if a not in have:  # nothing within reach: an explicit, named impossibility
                    self.add_row([], GE, 1.0, f"cover_{t}_d{a}")
        assert self.prob is not None
        self.prob.setObjective(pulp.LpAffineExpression(objective))
