"""亩均效益 grading ("亩均论英雄") — domain.md §5.

Firms on enterprise land (the scheme's land-use scope, supplied, with an enterprise name where the
layer has that column) are graded in two groups, 规上 (``above_scale`` true) and 规下. For each
indicator ``i`` of the group, with weight ``w_i`` and value ``x_i``:

- benchmark ratio (浙江黄岩): ``s_i = w_i × x_i / b_i``, ``b_i`` the preset's benchmark or the mean
  over the group's firms;
- min–max (安徽旌德): ``s_i = w_i × [20 + 80 × (x_i − min)/(max − min)] / 100`` over the group's firms
  (``s_i = w_i`` when all firms are equal).

A missing value scores the mean ``s_i`` of the group's firms that have one (preset ``missing:
average``, the 黄岩 rule for missing emission data) or zero; an indicator no firm has is left out.
A firm with no value for any indicator of its group is not graded (null score and class).
``mujun_score = Σ s_i``. Classes A/B/C/D by rank within the group: a firm at rank ``r`` (1 = best,
ties share the better rank) of ``n`` falls in the first class whose cumulative share exceeds
``(r − 1)/n``. Non-enterprise land has a null score and class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geo.rules.facts import Facts
from geo.rules.presets import MujunGroup, MujunScheme, RulesPreset
from geo.units import M2_PER_MU
from geo.vocab import UNSUPPLIED


def indicator_values(facts: Facts) -> pd.DataFrame:
    """Every gradable indicator per parcel (NaN where an input is missing or a divisor is 0)."""
    mu = facts.num("area_m2") / M2_PER_MU
    tax, revenue, va = facts.num("tax_wan"), facts.num("revenue_wan"), facts.num("value_added_wan")
    energy, employees, rd = facts.num("energy_tce"), facts.num("employees"), facts.num("rd_wan")

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / b, np.nan)

    return pd.DataFrame(
        {
            "tax_per_mu": ratio(tax, mu),
            "revenue_per_mu": ratio(revenue, mu),
            "value_added_per_mu": ratio(va, mu),
            "value_added_per_energy": ratio(va, energy),
            "revenue_per_energy": ratio(revenue, energy),
            "labour_productivity": ratio(va, employees),
            "rd_share": ratio(rd, revenue),
        }
    )


def _group_scores(values: pd.DataFrame, group: MujunGroup, scheme: MujunScheme) -> np.ndarray:
    """Scores of the firms of one group (rows of ``values``)."""
    total = np.zeros(len(values))
    for name, spec in group.indicators.items():
        x = values[name].to_numpy(dtype="float64")
        known = ~np.isnan(x)
        if not known.any():
            continue
        if scheme.normalisation == "benchmark":
            bench = float(np.mean(x[known])) if spec.benchmark == "mean" else float(spec.benchmark)
            item = spec.weight * x / bench if bench != 0 else np.full(len(x), np.nan)
        else:
            lo, hi = float(x[known].min()), float(x[known].max())
            if hi > lo:
                item = spec.weight * (20 + 80 * (x - lo) / (hi - lo)) / 100
            else:
                item = np.where(known, spec.weight, np.nan)
        fill = float(np.nanmean(item)) if scheme.missing == "average" and np.isfinite(item).any() else 0.0
        total += np.where(np.isnan(item), fill, item)
    return total


def _classes(scores: np.ndarray, shares: Mapping[Any, float]) -> np.ndarray:
    """Class letters by rank: first class whose cumulative share exceeds (rank − 1)/n."""
    n = len(scores)
    if n == 0:
        return np.array([], dtype=object)
    rank = pd.Series(scores).rank(method="min", ascending=False).to_numpy()
    position = (rank - 1) / n
    letters = list(shares)
    cumulative = np.cumsum([shares[k] for k in letters])
    index = np.searchsorted(cumulative, position, side="right")
    return np.array(letters, dtype=object)[np.minimum(index, len(letters) - 1)]


def grade_mujun(facts: Facts, scheme: MujunScheme, rules: RulesPreset) -> pd.DataFrame:
    """Grade every firm on enterprise land.

    Returns
    -------
    DataFrame
        ``mujun_score`` (float, NaN for non-enterprise land), ``mujun_class`` (A–D or None) and
        ``mujun_group`` (``above_scale``/``below_scale`` or None), on a 0..n-1 index.

    """
    n = facts.n
    prefixes = rules.scope_prefixes(scheme.scope)
    eligible = facts.starts_with("land_use", prefixes) & ~(facts.text("supply_type") == UNSUPPLIED).to_numpy(
        dtype=bool
    )
    if facts.has("enterprise"):
        eligible &= facts.text("enterprise").notna().to_numpy(dtype=bool)
    above, known = facts.flag("above_scale")
    groups = {
        "above_scale": eligible & above & known,
        "below_scale": eligible & ~above & (known | (scheme.scale_unknown == "below_scale")),
    }
    values = indicator_values(facts)
    score = np.full(n, np.nan)
    klass = np.full(n, None, dtype=object)
    group_col = np.full(n, None, dtype=object)
    for name, rows in groups.items():
        group: MujunGroup = getattr(scheme, name)
        # a firm without any value of its group's indicators has nothing to grade (no average for it)
        rows = rows & values[list(group.indicators)].notna().any(axis=1).to_numpy()
        if not rows.any():
            continue
        scores = _group_scores(values[rows].reset_index(drop=True), group, scheme)
        score[rows] = scores
        klass[rows] = _classes(scores, scheme.classes)
        group_col[rows] = name
    return pd.DataFrame({"mujun_score": score, "mujun_class": klass, "mujun_group": group_col})
