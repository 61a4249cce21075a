"""Typed results of a solver run and of a location model.

Status semantics (contract §6, hardening.md C3) are exact:

``optimal``
    the solver *proved* optimality within the requested relative gap (``mip_gap``; 0 means a
    proof of the exact optimum up to the solver's tolerances).
``feasible``
    the run stopped (time limit, watchdog) with an incumbent; ``mip_gap`` is the proven relative
    gap between the incumbent and the best bound, or ``None`` when no bound is known.
``infeasible``
    the solver proved that no plan satisfies every rule.
``no_solution``
    the run stopped without any incumbent (or the solver failed); no plan is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from geo.vocab import PLAN_STATUS_ZH

Status = Literal["optimal", "feasible", "infeasible", "no_solution"]

#: Chinese labels of the statuses, for reports (the one table in :mod:`geo.vocab`)
STATUS_ZH: dict[str, str] = PLAN_STATUS_ZH


@dataclass(frozen=True)
class SolverRun:
    """What one solver run returned, with its timings and provenance.

    Attributes
    ----------
    status : Status
        See the module docstring.
    objective : float or None
        Objective value of the incumbent in the model's own sense (a maximisation reports the
        maximised value), ``None`` without an incumbent.
    bound : float or None
        The best proven bound on the optimum (upper bound for maximisation, lower bound for
        minimisation), when the solver reports one.
    mip_gap : float or None
        Relative gap ``|objective - bound| / max(|objective|, 1e-9)``; 0.0 when proven optimal.
    values : dict
        Variable name -> value of the incumbent (empty without one).
    build_seconds, solve_seconds : float
        Model building (including writing the MPS file) and solver wall time.
    solver, solver_version : str
        ``cbc`` or ``highs`` and the version string the solver printed.
    stopped_by : str or None
        ``time_limit`` when the solver stopped itself at the limit, ``watchdog`` when the
        watchdog had to kill its process group, ``gap`` when it stopped at the requested gap.
    message : str
        A one-line explanation in Chinese and English for reports.

    """

    status: Status
    objective: float | None
    bound: float | None
    mip_gap: float | None
    values: dict[str, float]
    build_seconds: float
    solve_seconds: float
    solver: str
    solver_version: str
    time_limit_s: float | None
    requested_gap: float
    stopped_by: str | None = None
    message: str = ""

    @property
    def has_solution(self) -> bool:
        """True when an incumbent is available (``optimal`` or ``feasible``)."""
        return self.status in ("optimal", "feasible")

    def value(self, name: str) -> float:
        """Value of a variable by its PuLP name (0 when the solver did not list it)."""
        return float(self.values.get(name, 0.0))


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Return ``|objective - bound| / max(|objective|, 1e-9)``, or ``None`` when either is unknown."""
    if objective is None or bound is None or not np.isfinite(bound) or not np.isfinite(objective):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class OpenSite:
    """One open facility site of a solved location model."""

    site_id: str
    type: str
    existing: bool
    x: float
    y: float
    radius_m: float | None
    served_demand: float


@dataclass(frozen=True)
class LocationResult:
    """The typed answer of a location model (MCLP, LSCP, p-median, p-center).

    Attributes
    ----------
    model : str
        ``max_coverage``, ``min_facilities``, ``min_distance`` or ``min_max_distance``.
    run : SolverRun
        Status, objective, gap, timings, solver.
    sites : list of OpenSite
        Every open site (existing ones included) of every type.
    assignment : dict
        Facility type -> integer array (n_demand,) giving the index into ``site_ids`` of the site
        serving each demand point (largest share where a point is split), ``-1`` when unserved.
    covered : dict
        Facility type -> float array (n_demand,) of the share (0..1) of each point's weight
        counted as served within the radius (and capacity) of an open site of that type.
    distance : dict
        Facility type -> float array (n_demand,) of the distance to the assigned site
        (``nan`` when unserved).
    total_cost_wan : float
        Cost of the newly opened sites (existing sites cost nothing).
    notes : list of str
        Remarks worth reporting (for example how far the p-median's nearest-site restriction was
        enlarged before the optimum was proven).

    """

    model: str
    run: SolverRun
    site_ids: tuple[str, ...]
    sites: list[OpenSite]
    assignment: dict[str, np.ndarray]
    covered: dict[str, np.ndarray]
    distance: dict[str, np.ndarray]
    total_cost_wan: float
    objective_terms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: revitalise model: candidate parcel id -> action (keep, upgrade, release, facility:<type>, green)
    actions: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        """Shortcut to ``run.status``."""
        return self.run.status

    @property
    def objective(self) -> float | None:
        """Shortcut to ``run.objective``."""
        return self.run.objective

    def open_sites(self, type_name: str | None = None) -> list[str]:
        """Ids of the open sites (of one type, or of all), existing ones included."""
        return [s.site_id for s in self.sites if type_name is None or s.type == type_name]


@dataclass(frozen=True)
class Finding:
    """One diagnosis entry: the scenario rule, a message in Chinese and English, how far off."""

    rule: str
    message: str
    blocking: bool = False
    amount: float | None = None
    kind: str = "precheck"

    def as_dict(self) -> dict[str, Any]:
        """Return the plan.json form."""
        return {
            "rule": self.rule,
            "message": self.message,
            "blocking": self.blocking,
            "amount": self.amount,
            "kind": self.kind,
        }
