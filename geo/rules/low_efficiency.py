"""Low-efficiency land (城镇低效用地) — the reason codes of contract §4, domain.md §2 and §4.

Every rule is column arithmetic over all parcels and ends in one of four states per parcel:
*not applicable* (outside the rule's land-use scope, or unsupplied land), *clear*, *fired*, or
*not evaluated* — a fact it needs is missing or was set aside by a data check. Thresholds come from
the preset (:mod:`geo.rules.presets`); none is written here.

=====================  ===========================================================================
code                   fires when (thresholds from the preset)
=====================  ===========================================================================
far_below_min          far = floor_area_m2 / area_m2 < max(absolute_min, control_share × table[industry_code])
coef_below_min         building_coef = footprint_m2 / area_m2 < min
admin_over_max         admin_ratio = admin_area_m2 / area_m2 > max
green_over_max         green_ratio = green_area_m2 / area_m2 > max
invest_below_min       invest_intensity = (fixed_assets_wan [+ land_price_wan]) / area_ha < min (万元/公顷)
tax_below_avg_share    tax_per_mu = tax_wan / area_mu < share × average (park, or sector by industry_code)
policy_eliminated      policy_class in classes (淘汰, 禁止)
dangerous_building     building_grade in grades (C, D; JGJ 125)
use_mismatch           land_use not among the prefixes the compatibility table allows under planned_use
rs_unbuilt             recorded as built, but built-up index ≤ builtup_max (NDVI only: NDVI ≥ ndvi_min)
idle                   idle_status is idle, idle_recoverable, idle_gov_caused or idle_stalled
=====================  ===========================================================================

Exemptions (preset ``low_efficiency.exemptions``) waive listed reasons where their condition holds on
a parcel inside the exemption's scope; a waived reason that had fired is named ``exempt:<name>`` in
``low_eff_reasons``. ``far_with_tax_over`` holds where the industry's plot-ratio requirement in the
far_below_min table is below ``control_below`` and 亩均税收 > ``tax_per_mu_min`` (both strict).

Investment intensity follows the control-indicator definition (投资强度 = 项目固定资产总投资 ÷ 项目总用地
面积, 固定资产总投资包括厂房、设备和地价款): with ``invest_below_min.land_price: add`` the land price is
added to ``fixed_assets_wan``; where it is missing the intensity is not computed and the rule is not
evaluated unless fixed assets alone already reach the minimum.

A rule whose input is absent from the whole analysis (no raster given, no tax column in the layer)
is *out of scope* (:func:`out_of_scope`, contract §3): it is listed once and takes no part.
``low_efficiency`` is true if any rule in scope fires; false if every applicable rule in scope
was evaluated and none fired; null otherwise — a parcel with a rule in scope not evaluated is *not*
counted as efficient, and the rules not evaluated are listed in ``low_eff_not_evaluated`` as
``not_evaluated:<code>(<why>)`` with ``<why>`` one of ``missing <col>``, ``invalid <col>``,
``unknown industry_code``, ``no raster`` (with ``when_no_raster: not_evaluated``), ``raster coverage <
<share>``, ``idle_status unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo.codes import control_bounds
from geo.rules.facts import INVALID, MISSING_COLUMN, OK, Facts
from geo.rules.presets import REASON_CODES, Preset
from geo.schema import LABELS_ZH
from geo.units import M2_PER_HA, M2_PER_MU
from geo.vocab import IDLE_CLASSES, UNSUPPLIED


class _Why:
    """Why a rule could not be evaluated, per parcel, as a small code into a message table."""

    def __init__(self, n: int):
        self.messages: list[str] = [""]
        self.code = np.zeros(n, dtype=np.int16)
        #: rows whose land-use scope is unknown: the rule may not fire there (that would be a guess)
        self.blocked = np.zeros(n, dtype=bool)

    def mark(self, mask: np.ndarray, message: str) -> None:
        if not mask.any():
            return
        if message not in self.messages:
            self.messages.append(message)
        idx = self.messages.index(message)
        self.code[mask & (self.code == 0)] = idx

    def need(self, facts: Facts, rows: np.ndarray, *columns: str) -> None:
        """Mark rows whose value of any of ``columns`` is absent, empty or invalid."""
        for column in columns:
            state = facts.state(column)
            self.mark(
                rows & ((state == MISSING_COLUMN) | ((state != OK) & (state != INVALID))), f"missing {column}"
            )
            self.mark(rows & (state == INVALID), f"invalid {column}")


@dataclass
class RuleOutcome:
    """The verdict of one rule on every parcel."""

    code: str
    applies: np.ndarray
    fired: np.ndarray
    why: _Why

    @property
    def not_evaluated(self) -> np.ndarray:
        """Applicable, not fired, and a fact was lacking."""
        return self.applies & ~self.fired & (self.why.code > 0)


@dataclass(frozen=True)
class LowEffResult:
    """Per-parcel columns, the plot-ratio floor of each parcel, unknown-industry issues, and outcomes.

    ``out_of_scope`` lists, once, the rules whose input is absent from the whole analysis
    (contract §3): ``{"rule", "why", "why_zh"}``.
    """

    frame: pd.DataFrame
    far_min: np.ndarray
    issues: pd.DataFrame
    outcomes: dict[str, RuleOutcome] = field(repr=False)
    #: the 亩均税收 averages the tax rule compared with: ``park`` and ``sector`` (industry_code → 万元/亩)
    tax_averages: dict[str, Any] = field(default_factory=dict)
    out_of_scope: tuple[dict[str, str], ...] = ()


#: the layer columns each rule reads; a rule none of whose parcels can have them is out of scope
RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "far_below_min": ("floor_area_m2", "industry_code"),
    "coef_below_min": ("footprint_m2",),
    "admin_over_max": ("admin_area_m2",),
    "green_over_max": ("green_area_m2",),
    "invest_below_min": ("fixed_assets_wan",),
    "tax_below_avg_share": ("tax_wan",),
    "policy_eliminated": ("policy_class",),
    "dangerous_building": ("building_grade",),
    "use_mismatch": ("land_use", "planned_use"),
    "rs_unbuilt": (),
    "idle": ("supply_type", "actual_start_date"),
}


def out_of_scope(facts: Facts, preset: Preset) -> dict[str, tuple[str, str]]:
    """Rules whose input is absent from the whole analysis: code → (why, why in Chinese).

    A rule is out of scope when a column it reads is not in the layer at all (``industry_code`` is
    not needed by ``far_below_min`` with ``unknown_industry: fallback``), when its land-use scope
    cannot be decided because ``land_use`` is absent, or — ``rs_unbuilt`` — when no raster was
    given and the preset says ``when_no_raster: skip`` (the default).
    """
    rules = preset.rules.low_efficiency.rules
    out: dict[str, tuple[str, str]] = {}
    for code in REASON_CODES:
        cfg = getattr(rules, code)
        if not cfg.enabled:
            continue
        needed = list(RULE_INPUTS[code])
        if code == "far_below_min" and rules.far_below_min.unknown_industry == "fallback":
            needed.remove("industry_code")
        if code == "invest_below_min" and rules.invest_below_min.land_price == "add":
            needed.append("land_price_wan")  # 固定资产总投资包括厂房、设备和地价款
        if cfg.scope != "all" and not facts.has("land_use"):
            needed.insert(0, "land_use")
        absent = [c for c in needed if not facts.has(c)]
        if absent:
            out[code] = (
                "missing " + ", ".join(absent),
                "图层无" + "、".join(f"{LABELS_ZH.get(c, c)}（{c}）" for c in absent) + "字段",
            )
        elif code == "rs_unbuilt" and rules.rs_unbuilt.when_no_raster == "skip":
            names = (rules.rs_unbuilt.ndvi_raster, rules.rs_unbuilt.builtup_raster)
            if not any(facts.has(f"rs_{name}_mean") for name in names):
                out[code] = ("no raster", f"未提供遥感栅格 --raster {names[0]}=… 或 {names[1]}=…")
    return out


def invest_total(facts: Facts, land_price: str) -> np.ndarray:
    """项目固定资产总投资 per the preset's definition: fixed_assets_wan (+ land_price_wan for ``add``)."""
    fixed = facts.num("fixed_assets_wan")
    return fixed + facts.num("land_price_wan") if land_price == "add" else fixed


def derived_metrics(facts: Facts, preset: Preset | None = None) -> pd.DataFrame:
    """Compute the contract's ratio columns (far, building_coef, … invest_intensity, tax_per_mu).

    far = floor_area_m2 (计容) / area_m2; building_coef = footprint_m2 (buildings + structures + yards) /
    area_m2; admin_ratio and green_ratio likewise; invest_intensity = 项目固定资产总投资 / (area_m2 / 10 000)
    万元/公顷, the total being fixed_assets_wan plus land_price_wan under the control-indicator definition
    (preset ``invest_below_min.land_price: add``, the default without a preset); tax_per_mu = tax_wan /
    (area_m2 / 666.67) 万元/亩. NaN where an input is missing or area is 0.
    """
    area = facts.num("area_m2")
    area = np.where(area > 0, area, np.nan)
    land_price = (
        preset.rules.low_efficiency.rules.invest_below_min.land_price if preset is not None else "add"
    )
    return pd.DataFrame(
        {
            "far": facts.num("floor_area_m2") / area,
            "building_coef": facts.num("footprint_m2") / area,
            "admin_ratio": facts.num("admin_area_m2") / area,
            "green_ratio": facts.num("green_area_m2") / area,
            "invest_intensity": invest_total(facts, land_price) / (area / M2_PER_HA),
            "tax_per_mu": facts.num("tax_wan") / (area / M2_PER_MU),
        }
    )


def _scope(facts: Facts, preset: Preset, scope: str, why: _Why, supplied_ok: np.ndarray) -> np.ndarray:
    """Rows a rule applies to; rows whose land use is unknown are applicable but not evaluated."""
    prefixes = preset.rules.scope_prefixes(scope)
    if prefixes is None:
        return supplied_ok.copy()
    inside = facts.starts_with("land_use", prefixes)
    state = facts.state("land_use")
    unknown = supplied_ok & (state != OK)
    why.need(facts, unknown, "land_use")
    why.blocked |= unknown
    return supplied_ok & (inside | unknown)


def _far(facts: Facts, preset: Preset, metrics: pd.DataFrame, applies: np.ndarray, why: _Why):
    """Plot ratio against the control table, looked up in the edition the table is written in.

    ``industry_code`` is a GB/T 4754-2017 division; the 2008 table uses 2002 codes, so the division
    is traced back (:func:`geo.codes.control_bounds`). Where it came from divisions with different
    floors (2017 29 ← 2002 29 橡胶 0.8 and 30 塑料 1.0) the rule fires below the lower floor, is clear
    at or above the higher one, and is not evaluated in between.
    """
    cfg = preset.rules.low_efficiency.rules.far_below_min
    industry = facts.text("industry_code")
    low, high, origin = control_bounds(industry, cfg.table, cfg.table_industry_scheme)
    ind_state = facts.state("industry_code")
    unknown_code = (ind_state == OK) & np.isnan(low)
    if cfg.unknown_industry == "fallback":
        fallback = cfg.fallback_min if cfg.fallback_min is not None else np.nan
        low = np.where(unknown_code, fallback, low)
        high = np.where(unknown_code, fallback, high)

    def floor_of(control: np.ndarray) -> np.ndarray:
        floor = cfg.control_share * control
        return np.fmax(floor, cfg.absolute_min) if cfg.absolute_min is not None else floor

    floor_low, floor_high = floor_of(low), floor_of(high)
    far = metrics["far"].to_numpy()
    fired = applies & (far < floor_low)
    open_range = applies & ~fired & (far < floor_high) & (floor_low < floor_high)
    why.need(facts, applies & ~fired, "floor_area_m2")
    lacking_min = applies & ~fired & np.isnan(cfg.control_share * low)
    why.need(facts, lacking_min & (ind_state != OK), "industry_code")
    why.mark(lacking_min & unknown_code, "unknown industry_code")
    for source in pd.unique(origin[open_range]):
        rows = open_range & (origin == source).to_numpy()
        first = int(np.flatnonzero(rows)[0])  # rows of one source share their floors
        why.mark(
            rows,
            f"industry_code → {cfg.table_industry_scheme} {source}: "
            f"floor {floor_low[first]:g}–{floor_high[first]:g}",
        )
    far_min = np.where(floor_low == floor_high, floor_low, np.nan)
    return fired, np.where(applies, far_min, np.nan), unknown_code


def _tax_reference(
    facts: Facts, preset: Preset, metrics: pd.DataFrame, applies: np.ndarray, averages: dict[str, Any]
) -> np.ndarray:
    """Return the average 亩均税收 each parcel is compared with (park or sector; area-weighted or mean).

    The park average and the sector averages used are put into ``averages``.
    """
    cfg = preset.rules.low_efficiency.rules.tax_below_avg_share
    tax = facts.num("tax_wan")
    mu = facts.num("area_mu")
    # parcels of unknown land use are in ``applies`` (as not evaluated) but not in the average
    base = applies & ~np.isnan(tax) & (mu > 0) & (facts.state("land_use") == OK)
    frame = pd.DataFrame({"tax": tax[base], "mu": mu[base], "per_mu": metrics["tax_per_mu"].to_numpy()[base]})

    def average(df: pd.DataFrame) -> float:
        if df.empty:
            return float("nan")
        return (
            float(df["tax"].sum() / df["mu"].sum())
            if cfg.average == "area_weighted"
            else float(df["per_mu"].mean())
        )

    park = average(frame)
    averages["park"] = None if np.isnan(park) else park
    reference = np.full(facts.n, park)
    if cfg.reference == "sector":
        industry = facts.text("industry_code")
        frame["sector"] = industry[base].to_numpy()
        grouped = frame.dropna(subset=["sector"]).groupby("sector")
        counts = grouped.size()
        if cfg.average == "area_weighted":
            sums = grouped[["tax", "mu"]].sum()
            means = sums["tax"] / sums["mu"]
        else:
            means = grouped["per_mu"].mean()
        means = means[counts >= cfg.sector_min_count]
        averages["sector"] = {str(k): float(v) for k, v in means.items()}
        sector_ref = industry.map(means).to_numpy(dtype="float64", na_value=np.nan)
        reference = np.where(np.isnan(sector_ref), park, sector_ref)
    return reference


def evaluate_low_efficiency(
    facts: Facts, preset: Preset, metrics: pd.DataFrame, idle_status: pd.Series
) -> LowEffResult:
    """Apply every low-efficiency rule and exemption of the preset.

    Parameters
    ----------
    facts
        Parcel facts after the data checks, with ``area_m2``/``area_mu`` and any ``rs_*`` columns.
    preset
        The loaded rules preset.
    metrics
        :func:`derived_metrics` of the same facts.
    idle_status
        The idle statuses (for the ``idle`` reason).

    Returns
    -------
    LowEffResult
        ``low_efficiency`` (nullable boolean), ``low_eff_reasons``, ``low_eff_not_evaluated``; the
        plot-ratio floor per parcel (NaN where unknown or out of scope); issues for unknown industry codes.

    """
    n = facts.n
    low = preset.rules.low_efficiency
    supply = facts.text("supply_type")
    # land supplied after the as-of date was not yet supplied on that day (contract §2.1)
    unsupplied = (supply == UNSUPPLIED).to_numpy(dtype=bool) | (facts.date("supply_date") > facts.as_of)
    supplied_ok = ~unsupplied if low.supplied_only else np.ones(n, dtype=bool)
    run = _Run(facts, preset, metrics, idle_status, supplied_ok, far_min=np.full(n, np.nan))
    outcomes: dict[str, RuleOutcome] = {}

    scope_out = out_of_scope(facts, preset)
    for code in REASON_CODES:
        cfg = getattr(low.rules, code)
        if not cfg.enabled or code in scope_out:
            continue
        outcome = _RULES[code](run)
        if outcome is not None:
            outcomes[code] = outcome

    for outcome in outcomes.values():
        outcome.fired = outcome.fired & ~outcome.why.blocked
    exempt_bits = _apply_exemptions(facts, preset, metrics, outcomes, supplied_ok)
    frame = _combine(outcomes, exempt_bits, list(low.exemptions), n)
    listed = tuple({"rule": code, "why": why, "why_zh": zh} for code, (why, zh) in scope_out.items())
    return LowEffResult(
        frame=frame,
        far_min=run.far_min,
        issues=run.issues,
        outcomes=outcomes,
        out_of_scope=listed,
        tax_averages=run.tax_averages,
    )


@dataclass
class _Run:
    """What every rule of one :func:`evaluate_low_efficiency` run reads, and what the rules leave behind.

    ``far_min`` (the plot-ratio floor per parcel) and ``issues`` (unknown industry codes) are set by
    the plot-ratio rule, ``tax_averages`` by the tax rule.
    """

    facts: Facts
    preset: Preset
    metrics: pd.DataFrame
    idle_status: pd.Series
    supplied_ok: np.ndarray
    far_min: np.ndarray
    issues: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("parcel_id", "column", "value", "problem")}
        )
    )
    tax_averages: dict[str, Any] = field(default_factory=dict)

    def scope(self, code: str) -> tuple[_Why, np.ndarray]:
        """Start rule ``code``: its reasons for lacking a value, and the parcels it applies to."""
        why = _Why(self.facts.n)
        cfg = getattr(self.preset.rules.low_efficiency.rules, code)
        return why, _scope(self.facts, self.preset, cfg.scope, why, self.supplied_ok)


def _ratio_rule(
    run: _Run, code: str, column: str, metric: str, threshold: float, *, below: bool
) -> RuleOutcome:
    why, applies = run.scope(code)
    values = run.metrics[metric].to_numpy()
    fired = applies & ((values < threshold) if below else (values > threshold))
    why.need(run.facts, applies & ~fired, column)
    return RuleOutcome(code, applies, fired, why)


def _far_rule(run: _Run) -> RuleOutcome:
    """容积率低于控制下限; sets the run's plot-ratio floors and lists industry codes not in the table."""
    facts, far = run.facts, run.preset.rules.low_efficiency.rules.far_below_min
    why, applies = run.scope("far_below_min")
    fired, run.far_min, unknown_code = _far(facts, run.preset, run.metrics, applies, why)
    flagged = applies & unknown_code
    if flagged.any():
        action = (
            f"按预设下限{far.fallback_min:g}处理"
            if far.unknown_industry == "fallback"
            else "容积率规则未评价"
        )
        run.issues = pd.DataFrame(
            {
                "parcel_id": facts.frame["parcel_id"].astype(str).to_numpy()[flagged],
                "column": "industry_code",
                "value": facts.text("industry_code").to_numpy()[flagged],
                "problem": f"行业代码不在容积率控制指标表中（{far.table_source}），{action} "
                "(unknown industry code)",
            }
        )
    return RuleOutcome("far_below_min", applies, fired, why)


def _coef_rule(run: _Run) -> RuleOutcome:
    coef = run.preset.rules.low_efficiency.rules.coef_below_min
    coef_min = float(coef.min if coef.min is not None else np.nan)
    return _ratio_rule(run, "coef_below_min", "footprint_m2", "building_coef", coef_min, below=True)


def _admin_rule(run: _Run) -> RuleOutcome:
    maximum = run.preset.rules.low_efficiency.rules.admin_over_max.max
    return _ratio_rule(run, "admin_over_max", "admin_area_m2", "admin_ratio", maximum, below=False)


def _green_rule(run: _Run) -> RuleOutcome:
    maximum = run.preset.rules.low_efficiency.rules.green_over_max.max
    return _ratio_rule(run, "green_over_max", "green_area_m2", "green_ratio", maximum, below=False)


def _invest_rule(run: _Run) -> RuleOutcome:
    facts, inv = run.facts, run.preset.rules.low_efficiency.rules.invest_below_min
    why, applies = run.scope("invest_below_min")
    minimum = float(inv.min if inv.min is not None else np.nan)
    area_ha = facts.num("area_m2") / M2_PER_HA
    with np.errstate(divide="ignore", invalid="ignore"):
        intensity = invest_total(facts, inv.land_price) / np.where(area_ha > 0, area_ha, np.nan)
        fixed_only = facts.num("fixed_assets_wan") / np.where(area_ha > 0, area_ha, np.nan)
    fired = applies & (intensity < minimum)
    why.need(facts, applies & ~fired, "fixed_assets_wan")
    if inv.land_price == "add":
        # without the land price the intensity is only known to be ≥ fixed assets alone
        cleared_anyway = fixed_only >= minimum
        why.need(facts, applies & ~fired & ~cleared_anyway, "land_price_wan")
        why.code[applies & cleared_anyway & (facts.state("fixed_assets_wan") == OK)] = 0
    return RuleOutcome("invest_below_min", applies, fired, why)


def _tax_rule(run: _Run) -> RuleOutcome:
    """亩均税收低于平均水平的规定比例; records the park and sector averages in the run."""
    why, applies = run.scope("tax_below_avg_share")
    reference = _tax_reference(run.facts, run.preset, run.metrics, applies, run.tax_averages)
    per_mu = run.metrics["tax_per_mu"].to_numpy()
    fired = applies & (per_mu < run.preset.rules.low_efficiency.rules.tax_below_avg_share.share * reference)
    why.need(run.facts, applies & ~fired, "tax_wan")
    why.mark(applies & ~fired & np.isnan(reference), "no tax average")
    return RuleOutcome("tax_below_avg_share", applies, fired, why)


def _listed_rule(run: _Run, code: str, column: str, listed: Sequence[str]) -> RuleOutcome:
    """Fire where a text column holds one of the preset's listed values (missing: not evaluated)."""
    why, applies = run.scope(code)
    fired = applies & run.facts.text(column).isin(listed).to_numpy(dtype=bool)
    why.need(run.facts, applies & ~fired, column)
    return RuleOutcome(code, applies, fired, why)


def _policy_rule(run: _Run) -> RuleOutcome:
    """属淘汰类或禁止类产业: the parcel's policy class is one the preset lists."""
    classes = run.preset.rules.low_efficiency.rules.policy_eliminated.classes
    return _listed_rule(run, "policy_eliminated", "policy_class", classes)


def _dangerous_rule(run: _Run) -> RuleOutcome:
    """危房（C、D级）: the building's safety grade is one the preset lists."""
    grades = run.preset.rules.low_efficiency.rules.dangerous_building.grades
    return _listed_rule(run, "dangerous_building", "building_grade", grades)


def _mismatch_rule(run: _Run) -> RuleOutcome:
    why, applies = run.scope("use_mismatch")
    fired = applies & _use_mismatch(run.facts, run.preset.rules.low_efficiency.rules.use_mismatch.compat)
    why.need(run.facts, applies & ~fired, "land_use", "planned_use")
    return RuleOutcome("use_mismatch", applies, fired, why)


def _idle_rule(run: _Run) -> RuleOutcome:
    why, applies = run.scope("idle")
    status = run.idle_status.to_numpy()
    applies &= status != "not_applicable"
    fired = applies & np.isin(status, IDLE_CLASSES)
    why.mark(applies & (status == "unknown"), "idle_status unknown")
    return RuleOutcome("idle", applies, fired, why)


#: reason code → its rule (contract §4); ``rs_unbuilt`` gives no outcome without a raster summary
_RULES: dict[str, Callable[[_Run], RuleOutcome | None]] = {
    "far_below_min": _far_rule,
    "coef_below_min": _coef_rule,
    "admin_over_max": _admin_rule,
    "green_over_max": _green_rule,
    "invest_below_min": _invest_rule,
    "tax_below_avg_share": _tax_rule,
    "policy_eliminated": _policy_rule,
    "dangerous_building": _dangerous_rule,
    "use_mismatch": _mismatch_rule,
    "rs_unbuilt": lambda run: _rs_unbuilt(run.facts, run.preset, run.supplied_ok),
    "idle": _idle_rule,
}


def threshold_texts(preset: Preset) -> dict[str, str]:
    """Return the test of each enabled rule as officials read it, with the preset's numbers.

    E.g. ``coef_below_min`` → ``建筑系数 < 30%``; the plot-ratio floor is per parcel (``far_min``) and the
    tax average per park or sector (:attr:`LowEffResult.tax_averages`), so those texts name the rule.
    """
    rules = preset.rules.low_efficiency.rules
    far = rules.far_below_min
    parts = []
    if far.absolute_min is not None:
        parts.append(f"{far.absolute_min:g}")
    share = "" if far.control_share == 1 else f"{far.control_share:.0%} × "
    parts.append(f"{share}行业控制值（{far.table_source or '控制指标表'}）")
    tax = rules.tax_below_avg_share
    reference = "园区平均" if tax.reference == "park" else "同行业平均（不足样本时用园区平均）"
    invest = rules.invest_below_min
    land = {"add": "含地价款", "included": "台账已含地价款", "excluded": "不含地价款"}[invest.land_price]
    texts = {
        "far_below_min": "容积率 < " + ("、".join(parts) if len(parts) == 1 else f"max({'，'.join(parts)})"),
        "coef_below_min": f"建筑系数 < {(rules.coef_below_min.min or 0):.0%}",
        "admin_over_max": f"行政办公及生活服务设施用地比重 > {rules.admin_over_max.max:.0%}"
        f"（{rules.admin_over_max.edition}）",
        "green_over_max": f"绿地率 > {rules.green_over_max.max:.0%}",
        "invest_below_min": f"投资强度（{land}） < {(invest.min or 0):,.0f} 万元/公顷",
        "tax_below_avg_share": f"亩均税收 < {tax.share:.0%} × {reference}",
        "policy_eliminated": f"产业政策类别为{'、'.join(rules.policy_eliminated.classes)}类",
        "dangerous_building": f"房屋安全等级为{'、'.join(rules.dangerous_building.grades)}级（JGJ 125）",
        "use_mismatch": "现状用途不在规划用途允许的用途内",
        "rs_unbuilt": f"登记已建，遥感建成指数 ≤ {rules.rs_unbuilt.builtup_max:g}"
        f"（无建成指数时 NDVI ≥ {rules.rs_unbuilt.ndvi_min:g}）",
        "idle": "依《闲置土地处置办法》认定为闲置土地",
    }
    return {code: texts[code] for code in REASON_CODES if getattr(rules, code).enabled}


def _use_mismatch(facts: Facts, compat: dict[str, list[str]]) -> np.ndarray:
    """Mark where the current use is not allowed under the planned use (decided per distinct pair)."""
    pairs = pd.DataFrame({"land": facts.text("land_use"), "planned": facts.text("planned_use")})
    known = pairs["land"].notna() & pairs["planned"].notna()
    keys = sorted(compat, key=len, reverse=True)
    verdict: dict[tuple[str, str], bool] = {}
    for land, planned in pairs[known].drop_duplicates().itertuples(index=False):
        key = next((k for k in keys if planned.startswith(k)), None)
        if key is None:
            allowed = land.startswith(planned) or planned.startswith(land)
        else:
            allowed = land.startswith(tuple(compat[key]))
        verdict[(land, planned)] = not allowed
    if not verdict:
        return np.zeros(facts.n, dtype=bool)
    index = pd.MultiIndex.from_frame(pairs[known])
    result = np.zeros(facts.n, dtype=bool)
    lookup = pd.Series(verdict)
    result[known.to_numpy()] = lookup.reindex(index).to_numpy(dtype=bool)
    return result


def _rs_unbuilt(facts: Facts, preset: Preset, supplied_ok: np.ndarray) -> RuleOutcome | None:
    """Flag parcels recorded as built (floor area or footprint > 0, started) that look unbuilt."""
    cfg = preset.rules.low_efficiency.rules.rs_unbuilt
    n = facts.n
    why = _Why(n)
    applies = _scope(facts, preset, cfg.scope, why, supplied_ok)
    recorded = [
        facts.num(c)
        for c in ("floor_area_m2", "gross_floor_area_m2", "footprint_m2", "building_footprint_m2")
    ]
    has_building = np.logical_or.reduce([v > 0 for v in recorded])
    building_unknown = np.logical_and.reduce([np.isnan(v) for v in recorded])
    # a start dated after the as-of date has not happened on that day (contract §3)
    started_on_day = (facts.state("actual_start_date") == OK) & ~(
        facts.date("actual_start_date") > facts.as_of
    )
    not_started = facts.has("actual_start_date") & ~started_on_day
    recorded_built = has_building & ~not_started
    applies &= recorded_built | (building_unknown & ~not_started)
    why.mark(applies & building_unknown, "missing floor_area_m2")

    def raster(name: str) -> tuple[np.ndarray, np.ndarray] | None:
        mean_col, cov_col = f"rs_{name}_mean", f"rs_{name}_coverage"
        if not (facts.has(mean_col) and facts.has(cov_col)):
            return None
        mean, cover = facts.num(mean_col), facts.num(cov_col)
        return mean, ~np.isnan(mean) & (cover >= cfg.min_coverage)

    ndvi, builtup = raster(cfg.ndvi_raster), raster(cfg.builtup_raster)
    if ndvi is None and builtup is None:  # when_no_raster: not_evaluated (skip is out of scope)
        why.mark(applies, "no raster")
        return RuleOutcome("rs_unbuilt", applies, np.zeros(n, dtype=bool), why)
    fired = np.zeros(n, dtype=bool)
    usable = np.zeros(n, dtype=bool)
    if builtup is not None:
        mean, ok = builtup
        fired |= ok & (mean <= cfg.builtup_max)
        usable |= ok
    if ndvi is not None:
        mean, ok = ndvi
        # NDVI decides only without usable built-up evidence (a built plant may well have lawns)
        only_ndvi = ok & ~usable
        fired |= only_ndvi & (mean >= cfg.ndvi_min)
        usable |= ok
    fired &= applies & ~building_unknown
    why.mark(applies & ~usable, f"raster coverage < {cfg.min_coverage:g}")
    return RuleOutcome("rs_unbuilt", applies, fired, why)


def _apply_exemptions(
    facts: Facts,
    preset: Preset,
    metrics: pd.DataFrame,
    outcomes: dict[str, RuleOutcome],
    supplied_ok: np.ndarray,
) -> np.ndarray:
    """Waive reasons where an exemption holds; return a bit per exemption that waived a fired reason."""
    n = facts.n
    bits = np.zeros(n, dtype=np.int64)
    as_of_year = int(str(facts.as_of)[:4])
    far_rule = preset.rules.low_efficiency.rules.far_below_min
    for position, exemption in enumerate(preset.rules.low_efficiency.exemptions.values()):
        if not exemption.enabled:
            continue
        prefixes = preset.rules.scope_prefixes(exemption.scope)
        in_scope = (
            supplied_ok.copy() if prefixes is None else supplied_ok & facts.starts_with("land_use", prefixes)
        )
        if exemption.kind == "in_production_lt":
            year = facts.num("production_year")
            # a production year after the as-of year: not yet in production on that day
            holds = ~np.isnan(year) & (year <= as_of_year) & (as_of_year - year < (exemption.years or 0))
        elif exemption.kind == "above_scale":
            value, known = facts.flag("above_scale")
            holds = value & known
        elif exemption.kind == "high_tech":
            value, known = facts.flag("high_tech")
            holds = value & known
        else:
            # Jinhua: the industry's 标准地 plot-ratio requirement < control_below AND 亩均税收 above the bar
            per_mu = metrics["tax_per_mu"].to_numpy()
            # (looked up in the table's own GB/T 4754 edition; below the bar under every reading)
            _, control, _ = control_bounds(
                facts.text("industry_code"), far_rule.table, far_rule.table_industry_scheme
            )
            holds = (control < (exemption.control_below or 0.0)) & (
                per_mu > (exemption.tax_per_mu_min or 0.0)
            )
        holds = holds & in_scope
        for code in exemption.waives:
            outcome = outcomes.get(code)
            if outcome is None:
                continue
            waived_fired = holds & outcome.fired
            bits[waived_fired] |= 1 << position
            outcome.fired = outcome.fired & ~holds
            outcome.why.code = np.where(holds, 0, outcome.why.code).astype(np.int16)
    return bits


def _combine(outcomes: dict[str, RuleOutcome], exempt_bits: np.ndarray, exempt_names: list[str], n: int):
    """Join fired codes, exemptions and not-evaluated notes into text, once per distinct combination."""
    codes = [c for c in REASON_CODES if c in outcomes]
    fired_key = np.zeros(n, dtype=np.int64)
    for i, code in enumerate(codes):
        fired_key |= outcomes[code].fired.astype(np.int64) << i
    reason_key = fired_key | (exempt_bits << len(codes))
    reason_text = _texts(
        reason_key,
        lambda k: ";".join(
            [c for i, c in enumerate(codes) if k >> i & 1]
            + [f"exempt:{name}" for j, name in enumerate(exempt_names) if k >> (len(codes) + j) & 1]
        ),
    )
    # 4 bits per rule for its not-evaluated message (message tables hold < 16 entries)
    noteval_key = np.zeros(n, dtype=np.int64)
    tables = []
    for i, code in enumerate(codes):
        outcome = outcomes[code]
        codes_i = np.where(outcome.not_evaluated, outcome.why.code, 0).astype(np.int64)
        noteval_key |= np.minimum(codes_i, 15) << (4 * i)
        tables.append(outcome.why.messages)
    noteval_text = _texts(
        noteval_key,
        lambda k: ";".join(
            f"not_evaluated:{code}({tables[i][k >> (4 * i) & 15]})"
            for i, code in enumerate(codes)
            if k >> (4 * i) & 15
        ),
    )
    any_fired = fired_key > 0
    any_noteval = noteval_key > 0
    any_applies = np.zeros(n, dtype=bool)
    for code in codes:
        any_applies |= outcomes[code].applies
    low = pd.array(np.where(any_fired, True, False), dtype="boolean")
    low[~any_fired & (any_noteval | ~any_applies)] = pd.NA
    return pd.DataFrame(
        {"low_efficiency": low, "low_eff_reasons": reason_text, "low_eff_not_evaluated": noteval_text}
    )


def _texts(key: np.ndarray, render) -> np.ndarray:
    uniques, inverse = np.unique(key, return_inverse=True)
    table = np.array([render(int(k)) for k in uniques], dtype=object)
    return table[inverse.reshape(-1)]
