"""The canonical parcel schema of the contract (contract.md §2).

Each :class:`Field` names a canonical column, its Chinese (and legacy) aliases, and its kind.
Ingest maps input columns to these names (case and surrounding spaces ignored) and coerces
values to the kind's pandas dtype:

========  ==========================================================
kind      pandas dtype after ingest
========  ==========================================================
text      ``object`` holding ``str`` or ``None``
code      ``object`` holding ``str`` or ``None`` (digits kept as text, leading zeros kept)
date      ``datetime64[ns]`` (day precision, ``NaT`` when empty)
bool      pandas nullable ``boolean``
number    ``float64`` (``NaN`` when empty)
int       ``Int64`` (nullable)
enum      ``object`` holding one of the canonical values in :attr:`Field.values` or ``None``
========  ==========================================================

Only ``parcel_id`` and the geometry are required; every rule that needs a missing column
reports "not evaluated: missing <col>" for that parcel instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from geo.vocab import SUPPLY_TYPES

Kind = Literal["text", "code", "date", "bool", "number", "int", "enum"]


@dataclass(frozen=True)
class Field:
    """One canonical column of the parcel layer."""

    name: str
    aliases: tuple[str, ...]
    kind: Kind
    label_zh: str
    unit: str = ""
    #: for ``enum`` fields: accepted spelling (lower-cased) -> canonical value
    values: dict[str, str] = field(default_factory=dict)


POLICY_CLASSES = {
    "鼓励": "鼓励",
    "encouraged": "鼓励",
    "允许": "允许",
    "allowed": "允许",
    "限制": "限制",
    "restricted": "限制",
    "淘汰": "淘汰",
    "eliminated": "淘汰",
    "禁止": "禁止",
    "prohibited": "禁止",
}

BUILDING_GRADES = {"a": "A", "b": "B", "c": "C", "d": "D"}

DISPOSAL_STATUSES = {
    "已处置": "已处置",
    "处置完毕": "已处置",
    "disposed": "已处置",
    "处置中": "处置中",
    "in_progress": "处置中",
    "未处置": "未处置",
    "pending": "未处置",
}

PARCEL_FIELDS: tuple[Field, ...] = (
    Field("parcel_id", ("地块编号", "宗地编号", "宗地代码", "DKBH"), "text", "地块编号"),
    Field("name", ("地块名称", "项目名称"), "text", "地块名称"),
    Field("enterprise", ("企业名称", "用地单位", "权利人"), "text", "企业名称"),
    Field("land_use", ("现状用途", "用地分类", "地类编码", "DLBM"), "code", "现状用途"),
    Field("planned_use", ("规划用途", "规划地类"), "code", "规划用途"),
    Field("supply_type", ("供地方式",), "enum", "供地方式", values=SUPPLY_TYPES),
    Field("supply_date", ("供地日期", "合同签订日期"), "date", "供地日期"),
    Field("lease_end_date", ("土地使用权到期日期", "到期日期"), "date", "土地使用权到期日期"),
    Field("agreed_start_date", ("约定动工日期",), "date", "约定动工日期"),
    Field("agreed_completion_date", ("约定竣工日期",), "date", "约定竣工日期"),
    Field("actual_start_date", ("实际动工日期",), "date", "实际动工日期"),
    Field("suspended_since", ("停工日期", "中止开发日期"), "date", "停工日期"),
    Field("gov_cause", ("政府原因",), "bool", "政府原因"),
    Field("developed_area_m2", ("已开发面积",), "number", "已开发面积", "m²"),
    Field("total_investment_wan", ("总投资", "计划总投资"), "number", "总投资", "万元"),
    Field("invested_wan", ("已投资额", "已完成投资"), "number", "已投资额", "万元"),
    Field("land_price_wan", ("出让价款", "划拨价款", "土地价款"), "number", "土地价款", "万元"),
    # 计容建筑面积 (floor area counted for plot ratio; storeys over 8 m count double) — not 总建筑面积
    Field("floor_area_m2", ("计容建筑面积",), "number", "计容建筑面积", "m²"),
    # buildings + structures + open storage yards: the numerator of 建筑系数 (2008 控制指标)
    Field(
        "footprint_m2",
        (
            "建构筑物及堆场占地面积",
            "建(构)筑物及堆场占地面积",
            "建（构）筑物及堆场占地面积",
            "建筑系数计算面积",
        ),
        "number",
        "建构筑物及堆场占地面积",
        "m²",
    ),
    Field(
        "admin_area_m2",
        ("行政办公及生活服务设施用地面积",),
        "number",
        "行政办公及生活服务设施用地面积",
        "m²",
    ),
    Field("green_area_m2", ("绿地面积",), "number", "绿地面积", "m²"),
    Field("industry_code", ("行业代码",), "code", "行业代码"),
    Field("fixed_assets_wan", ("固定资产投资", "固定资产投资额"), "number", "固定资产投资", "万元"),
    Field("tax_wan", ("税收", "实缴税金", "年税收"), "number", "税收", "万元/年"),
    Field("revenue_wan", ("营业收入", "主营业务收入"), "number", "营业收入", "万元/年"),
    Field("value_added_wan", ("工业增加值", "增加值"), "number", "工业增加值", "万元/年"),
    Field("energy_tce", ("综合能耗",), "number", "综合能耗", "吨标准煤/年"),
    Field("employees", ("从业人员", "职工人数"), "number", "从业人员", "人"),
    Field("rd_wan", ("研发经费", "R&D经费"), "number", "研发经费", "万元/年"),
    Field("production_year", ("投产年份",), "int", "投产年份", "年"),
    Field("above_scale", ("规上企业", "规模以上"), "bool", "规上企业"),
    Field("high_tech", ("高新技术企业", "高企"), "bool", "高新技术企业"),
    Field("policy_class", ("产业政策类别",), "enum", "产业政策类别", values=POLICY_CLASSES),
    Field("building_grade", ("房屋安全等级", "危房等级"), "enum", "房屋安全等级", values=BUILDING_GRADES),
    # buildings only: the numerator of 建筑密度 (TD/T 1029); 建筑基底面积 is this narrower quantity
    Field(
        "building_footprint_m2",
        ("建筑基底面积", "建筑物基底面积", "建筑占地面积"),
        "number",
        "建筑基底面积",
        "m²",
    ),
    # all floor area built (总建筑面积), as against the 计容 floor area of floor_area_m2
    Field("gross_floor_area_m2", ("总建筑面积",), "number", "总建筑面积", "m²"),
    # planned total floor area (规划/设计), the 应动工开发建设总面积 of stalled_area_basis: floor
    Field("planned_floor_area_m2", ("规划总建筑面积", "设计建筑面积"), "number", "规划总建筑面积", "m²"),
    # 城市房地产管理法 第二十六条: a delay caused by 动工开发必需的前期工作 — no fee, no free recovery
    Field("preparatory_delay", ("前期工作原因", "前期工作迟延"), "bool", "前期工作原因"),
    # idle-land disposal ledger: status and date of disposal (闲置土地处置率)
    Field("disposal_status", ("处置状态", "处置情况"), "enum", "处置状态", values=DISPOSAL_STATUSES),
    Field("disposal_date", ("处置日期", "处置完成日期"), "date", "处置日期"),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in PARCEL_FIELDS}
CANONICAL_COLUMNS: tuple[str, ...] = tuple(f.name for f in PARCEL_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = ("parcel_id",)


def _norm(label: str) -> str:
    return label.strip().casefold()


#: normalised spelling (canonical name or alias) -> canonical name
ALIAS_TO_CANONICAL: dict[str, str] = {
    _norm(spelling): f.name for f in PARCEL_FIELDS for spelling in (f.name, *f.aliases)
}


def canonical_name(label: str) -> str | None:
    """Return the canonical column for an input column label, or ``None`` when it is not in the schema.

    Matching ignores case and surrounding white space (contract.md §2).
    """
    return ALIAS_TO_CANONICAL.get(_norm(label))


#: Chinese headers for the canonical columns (CSV and report exports)
LABELS_ZH: dict[str, str] = {f.name: f.label_zh for f in PARCEL_FIELDS}
