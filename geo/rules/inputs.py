"""Which canonical columns each rule reads, so a run can say what it left out for want of a column.

The table follows what :mod:`geo.rules.idle` and :mod:`geo.rules.low_efficiency` read (their
``need``/``state`` calls): a rule is *left out* when one of the columns it cannot do without is
absent from the whole layer. ``any_of`` lists alternatives of which one suffices (the stalled-land
test needs the developed area *or* the investment pair). ``panhuo analyze`` prints the result in its
console summary and ``summary.json`` keeps it under ``columns.rules_left_out`` (contract §2.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from geo.rules.presets import Preset


@dataclass(frozen=True)
class RuleInput:
    """One rule, the columns it needs, and how the report names it."""

    rule: str
    label_zh: str
    needs: tuple[str, ...]
    any_of: tuple[tuple[str, ...], ...] = ()


#: the idle-land tests of 国土资源部令第53号
IDLE_INPUTS: tuple[RuleInput, ...] = (
    RuleInput(
        "idle", "闲置土地认定（第二条第一款）", ("supply_type", "agreed_start_date", "actual_start_date")
    ),
    RuleInput("idle_gov_caused", "政府原因核实（第八条）", ("gov_cause",)),
    RuleInput(
        "idle_stalled",
        "中止开发闲置（第二条第二款）",
        ("suspended_since", "actual_start_date"),
        (("developed_area_m2",), ("invested_wan", "total_investment_wan")),
    ),
    RuleInput("idle_fee_wan", "土地闲置费（第十四条）", ("land_price_wan",)),
)

#: the low-efficiency reason codes of contract §4 (rs_unbuilt needs a raster, not a column)
LOW_EFF_INPUTS: tuple[RuleInput, ...] = (
    RuleInput("far_below_min", "容积率低于下限", ("floor_area_m2", "industry_code")),
    RuleInput("coef_below_min", "建筑系数低于下限", ("footprint_m2",)),
    RuleInput("admin_over_max", "行政办公及生活服务设施用地比例超限", ("admin_area_m2",)),
    RuleInput("green_over_max", "绿地率超限", ("green_area_m2",)),
    RuleInput("invest_below_min", "投资强度低于下限", ("fixed_assets_wan",)),
    RuleInput("tax_below_avg_share", "亩均税收低于平均水平", ("tax_wan",)),
    RuleInput("policy_eliminated", "产业政策淘汰或禁止类", ("policy_class",)),
    RuleInput("dangerous_building", "危房", ("building_grade",)),
    RuleInput("use_mismatch", "现状用途与规划不符", ("land_use", "planned_use")),
)


@dataclass(frozen=True)
class LeftOut:
    """A rule left out of a run and the columns whose absence left it out."""

    rule: str
    label_zh: str
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Plain data for summary.json."""
        return {"rule": self.rule, "label_zh": self.label_zh, "missing": list(self.missing)}


def rules_left_out(columns: Iterable[str], preset: Preset) -> tuple[LeftOut, ...]:
    """Return the rules (idle tests, enabled low-efficiency rules) that lack a column entirely."""
    present = set(columns)
    rules = preset.rules.low_efficiency.rules
    enabled = [r for r in LOW_EFF_INPUTS if getattr(rules, r.rule).enabled]
    out = []
    for item in (*IDLE_INPUTS, *enabled):
        missing = [c for c in item.needs if c not in present]
        if item.any_of and not any(all(c in present for c in group) for group in item.any_of):
            missing += [c for group in item.any_of for c in group if c not in present]
        if missing:
            out.append(LeftOut(item.rule, item.label_zh, tuple(dict.fromkeys(missing))))
    return tuple(out)
