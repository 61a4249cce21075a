"""The p-center (``min_max_distance``): see :class:`PCenter` for the formulation."""

from __future__ import annotations

import numpy as np
import pulp

from optimizer.models.base import FacilitySpec
from optimizer.models.median import PMedian, safe_name
from optimizer.result import LocationResult

GE = pulp.LpConstraintGE


class PCenter(PMedian):
    """The p-center (``min_max_distance``): minimise the largest distance to the nearest open site.

    It reuses the p-median's truncated radius levels (:mod:`optimizer.models.median`): the distance
    from point ``i`` to its nearest open site of type ``t`` is ``D_i^1 + Σ_l (D_i^{l+1} − D_i^l) u_it^l``
    under the reach constraints (R1)–(R2), so::

        min   Σ_t α_t ρ_t                                                          (objective)
        s.t.  ρ_t ≥ D_i^1 + Σ_l (D_i^{l+1} − D_i^l) u_it^l      ∀ t, i: w_i > 0   (P1) radius_{t}_d{i}
              (R1), (R2) reach, (S1) one use per site, (S2) counts, (S3) budget

    The truncated levels under-estimate a distance, so the model is a relaxation; when the chosen
    sites' true largest distance equals the optimum ``ρ``, the answer is proven optimal, otherwise
    ``k`` is doubled and the model solved again (as for the p-median). Weights only decide which
    points count (``w_i > 0``); the classic p-center is unweighted. With a capacity, each point is
    assigned whole to one site (binary ``x_ijt``) and (P1) reads ``ρ_t ≥ Σ_j d_ij x_ijt``.

    Examples
    --------
    Points at 0, 10 and 100 m and one site at 0 or 100 m: either leaves a point 100 m away.

    >>> from optimizer.models import FacilitySpec, PCenter
    >>> points, sites = [(0, 0), (10, 0), (100, 0)], [(0, 0), (100, 0)]
    >>> result = PCenter.from_arrays(points, sites, [FacilitySpec("clinic", count=1)]).solve()
    >>> result.status, result.run.objective
    ('optimal', 100.0)

    """

    model_name = "min_max_distance"
    binary_allocation = True

    def _start_type(self, f: FacilitySpec) -> None:
        rho = self._var(f"rho_{safe_name(f.type)}", lowBound=0)
        self._rho = getattr(self, "_rho", {})
        self._rho[f.type] = rho
        self._objective.append((rho, f.priority))

    def _use_distance(self, f, i, w, d1, terms) -> None:
        rho = self._rho[f.type]
        self.add_row([(rho, 1.0)] + [(u, -c) for u, c in terms], GE, d1, f"radius_{safe_name(f.type)}_d{i}")

    def _true_objective(self, result: LocationResult) -> float:
        """Largest distance from a counted point to its nearest open site (or its assigned site)."""
        total = 0.0
        for f in self.facilities:
            w = self.weight_for(f)
            d = result.distance[f.type]
            if f.capacity is not None:
                d = np.array([np.nan] * len(w))
                for i, _, dd, x in self._x[f.type]:
                    if result.run.value(x.name) > 0.5:
                        d[i] = dd
            vals = d[w > 0]
            total += f.priority * (float(np.nanmax(vals)) if len(vals) else 0.0)
        return total
