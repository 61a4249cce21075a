"""The project's words: status codes, supply types, truthy spellings and the indicators' Chinese labels.

The lowest floor of the house: this module imports nothing from the project, so every other module —
the rules, the Excel report, the optimizer, the maps and the doors — reads the same codes and the same
labels from here instead of keeping a copy.

* Idle status codes follow contract §3 (《闲置土地处置办法》, 国土资源部令第53号).
* Supply types follow contract §1 (``supply_type``); :data:`UNSUPPLIED` is land not yet supplied.
* Indicator labels follow 《开发区土地集约利用评价规程》 (TD/T 1029, 2014年度试行; domain.md §3), with
  the unit in the label where the indicator has one; ``kind`` says how a number is shown.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# --------------------------------------------------------------------------------------------
# idle land (contract §3)

#: every ``idle_status`` the idle rule can emit, in report order
IDLE_STATUSES: tuple[str, ...] = (
    "not_idle",
    "idle",
    "idle_recoverable",
    "idle_gov_caused",
    "idle_stalled",
    "not_applicable",
    "unknown",
)
#: the statuses that count as idle land (闲置土地)
IDLE_CLASSES: tuple[str, ...] = ("idle", "idle_recoverable", "idle_gov_caused", "idle_stalled")
#: the status of idle land recovered without compensation (《闲置土地处置办法》第十四条第二款)
IDLE_RECOVERABLE = "idle_recoverable"
#: ``idle_status`` → its Chinese label in the report, the CLI, the maps and the briefing
IDLE_STATUS_LABELS_ZH: dict[str, str] = {
    "not_idle": "非闲置",
    "idle": "闲置（满一年未满两年）",
    "idle_recoverable": "闲置满两年（可无偿收回）",
    "idle_gov_caused": "政府原因闲置（协商处置）",
    "idle_stalled": "中止开发闲置",
    "not_applicable": "未供地（不适用）",
    "unknown": "信息不足无法认定",
}

#: ``low_eff_reasons`` code → its Chinese label in the report, the CLI, the maps and the briefing
#: (contract §4; the criteria of domain.md §2)
LOW_EFF_REASON_LABELS_ZH: dict[str, str] = {
    "far_below_min": "容积率低于行业下限",
    "coef_below_min": "建筑系数低于下限",
    "admin_over_max": "行政办公及生活服务设施用地超比例",
    "green_over_max": "绿地率超上限",
    "invest_below_min": "投资强度低于下限",
    "tax_below_avg_share": "亩均税收低于平均水平的规定比例",
    "policy_eliminated": "属淘汰类或禁止类产业",
    "dangerous_building": "危房（C、D级）",
    "use_mismatch": "现状用途与规划用途不符",
    "rs_unbuilt": "遥感显示基本未建成",
    "idle": "闲置土地",
}

# --------------------------------------------------------------------------------------------
# plans (contract §6 ``status``)

#: a plan's solver status → its Chinese label in plan.json's ``status_zh``, the CLI, the maps and the
#: briefing
PLAN_STATUS_ZH: dict[str, str] = {
    "optimal": "已证明最优",
    "feasible": "可行解（未证明最优）",
    "infeasible": "无可行解",
    "no_solution": "未找到解",
}

# --------------------------------------------------------------------------------------------
# supply (contract §1 ``supply_type``)

#: the canonical ``supply_type`` values: allocated (划拨), leased by transfer (出让, whether by
#: 招标、拍卖、挂牌 or 协议), rented (租赁), and not (yet) supplied (未供: 储备、待供 — the idle rule
#: does not apply to it)
ALLOCATED = "划拨"
LEASED = "出让"
RENTED = "租赁"
UNSUPPLIED = "未供"
#: accepted spelling (lower-cased) → canonical ``supply_type``
SUPPLY_TYPES: dict[str, str] = {
    ALLOCATED: ALLOCATED,
    "allocated": ALLOCATED,
    LEASED: LEASED,
    "leased": LEASED,
    RENTED: RENTED,
    "rented": RENTED,
    UNSUPPLIED: UNSUPPLIED,
    "unsupplied": UNSUPPLIED,
}

# --------------------------------------------------------------------------------------------
# yes / no as ledgers write them

#: spellings read as true (compared stripped and lower-cased)
TRUE_WORDS: tuple[str, ...] = ("是", "y", "yes", "true", "t", "1", "1.0", "对")
#: spellings read as false (compared stripped and lower-cased)
FALSE_WORDS: tuple[str, ...] = ("否", "n", "no", "false", "f", "0", "0.0", "错")
#: how ledgers tick a box for yes: read, and reported as a reading
TRUE_TICKS: tuple[str, ...] = ("有", "√", "✓", "✔")
#: how ledgers tick a box for no
FALSE_TICKS: tuple[str, ...] = ("无", "×", "✗", "✘")
#: every spelling read as true
TRUTHY: frozenset[str] = frozenset((*TRUE_WORDS, *TRUE_TICKS))

# --------------------------------------------------------------------------------------------
# development-zone indicators (contract §5, TD/T 1029)

IndicatorKind = Literal["percent", "ratio", "number", "text"]


class Indicator(NamedTuple):
    """How an indicator is named and shown: its Chinese label (unit included) and its kind."""

    label: str
    kind: IndicatorKind


#: indicators.json key (and ``potential.<key>``) → label and kind, one table for report, maps and charts
INDICATORS: dict[str, Indicator] = {
    "zone_type": Indicator("开发区类型", "text"),
    "land_development_rate": Indicator("土地开发率", "percent"),
    "land_supply_rate": Indicator("土地供应率", "percent"),
    "land_built_rate": Indicator("土地建成率", "percent"),
    "industrial_land_rate": Indicator("工业用地率", "percent"),
    "high_tech_land_rate": Indicator("高新技术产业用地率", "percent"),
    "overall_far": Indicator("综合容积率", "ratio"),
    "building_density": Indicator("建筑密度", "percent"),
    "industrial_far": Indicator("工业用地综合容积率", "ratio"),
    "industrial_building_coef": Indicator("工业用地建筑系数", "percent"),
    "industrial_invest_intensity": Indicator("工业用地固定资产投入强度（万元/公顷）", "number"),
    "industrial_tax_intensity": Indicator("工业用地地均税收（万元/公顷）", "number"),
    "overall_tax_intensity": Indicator("综合地均税收（万元/公顷）", "number"),
    "idle_land_rate": Indicator("土地闲置率", "percent"),
    "idle_disposal_rate": Indicator("闲置土地处置率", "percent"),
    # 规程 §3.4: 集约度分值 = Σ w · S (0–100)
    "intensity_score": Indicator("土地利用集约度分值", "number"),
    "expansion_ha": Indicator("扩展潜力：尚可供应土地（公顷）", "number"),
    "intensity_floor_area_m2": Indicator("强度潜力：达到容积率下限可增建筑面积（m²）", "number"),
    "years_of_supply": Indicator("尚可供地年数（年）", "number"),
}
#: indicator key → Chinese label
INDICATOR_LABELS_ZH: dict[str, str] = {key: ind.label for key, ind in INDICATORS.items()}
#: the indicators that are shares (shown as percentages)
RATE_KEYS: frozenset[str] = frozenset(key for key, ind in INDICATORS.items() if ind.kind == "percent")
#: ``zone_type`` → Chinese label (规程 2014年度试行)
ZONE_TYPE_ZH: dict[str, str] = {"industry_led": "工业主导型", "industry_city": "产城融合型"}
