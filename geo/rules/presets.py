"""Rule presets: loading, ``extends`` merging and strict validation.

A preset is a YAML data file (``geo/rules/presets/<name>.yaml``) holding every threshold the
analysis uses: the idle-land rules (国土资源部令第53号), the low-efficiency rules and exemptions
(domain.md §2, §4), the 亩均效益 scheme (domain.md §5, its own files ``mujun-<name>.yaml``) and the
zone-indicator ideal values and weights (domain.md §3). Nothing of that lives in code.

A user file names its parent with ``extends`` (default ``national``) and overrides any value:
mappings merge key by key, lists and scalars replace. The merged document is validated by pydantic
models with ``extra='forbid'``, so a misspelled key is refused before anything runs, with a
:class:`~geo.errors.ConfigError` naming the key, its path and the keys allowed there.
"""

from __future__ import annotations

import copy
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.errors import ConfigError
from geo.vocab import ALLOCATED, LEASED, RENTED

PRESET_DIR = Path(__file__).parent / "presets"

ReasonCode = Literal[
    "far_below_min",
    "coef_below_min",
    "admin_over_max",
    "green_over_max",
    "invest_below_min",
    "tax_below_avg_share",
    "policy_eliminated",
    "dangerous_building",
    "use_mismatch",
    "rs_unbuilt",
    "idle",
]
#: the low-efficiency reason codes of contract §4, in report order
REASON_CODES: tuple[str, ...] = typing.get_args(ReasonCode)

#: 亩均效益 indicators panhuo can derive from the parcel schema (domain.md §5.1 formulas)
MujunIndicatorName = Literal[
    "tax_per_mu",  # 亩均税收 = tax_wan / area_mu
    "revenue_per_mu",  # 亩均营业收入 = revenue_wan / area_mu
    "value_added_per_mu",  # 亩均增加值 = value_added_wan / area_mu
    "value_added_per_energy",  # 单位能耗增加值 = value_added_wan / energy_tce
    "revenue_per_energy",  # 单位能耗营业收入 = revenue_wan / energy_tce
    "labour_productivity",  # 全员劳动生产率 = value_added_wan / employees
    "rd_share",  # R&D 经费支出占营业收入比 = rd_wan / revenue_wan
]

ZoneIndicatorName = Literal[
    "land_development_rate",
    "land_supply_rate",
    "land_built_rate",
    "industrial_land_rate",
    "high_tech_land_rate",
    "overall_far",
    "building_density",
    "industrial_far",
    "industrial_building_coef",
    "industrial_invest_intensity",
    "industrial_tax_intensity",
    "overall_tax_intensity",
    "idle_land_rate",
]


class _Strict(BaseModel):
    # no inf/NaN in any threshold; texts capped (a rules document may come from a request)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=5_000)


#: what kind of source a preset value has: a national text, a local (provincial/city) text, or an assumption
SourceKind = Literal["national", "local", "assumption"]
SOURCE_KIND_ZH: dict[str, str] = {"national": "国家", "local": "地方", "assumption": "假定"}


class Provenance(_Strict):
    """Where a preset value comes from: its kind (national / local / assumption) and the source cited."""

    kind: SourceKind
    source: str = Field(min_length=1)


# --------------------------------------------------------------------------- idle land


class IdleRules(_Strict):
    """Thresholds of 《闲置土地处置办法》 (国土资源部令第53号); see domain.md §1."""

    supplied_types: list[str] = Field(default_factory=lambda: [ALLOCATED, LEASED, RENTED])
    fee_rate: float = Field(default=0.20, ge=0, le=1)
    stalled_developed_share: float = Field(default=1 / 3, gt=0, le=1)
    stalled_invest_share: float = Field(default=0.25, gt=0, le=1)
    #: ``land``: developed_area_m2 / area_m2 (国土资厅函〔2002〕101号); ``floor``: gross_floor_area_m2
    #: (built) /
    #: planned_floor_area_m2, the local reading "应动工开发建设总面积 = 规划建筑面积" (domain.md §1.3); the
    #: floor mode is refused on a layer without planned_floor_area_m2
    stalled_area_basis: Literal["land", "floor"] = "land"
    #: a missing gov_cause means no verified government cause (Art. 8 needs verification) or unknown
    missing_gov_cause: Literal["no_cause", "unknown"] = "no_cause"


# --------------------------------------------------------------------------- low efficiency


class _Rule(_Strict):
    enabled: bool = True
    scope: str = "industrial"


class FarRule(_Rule):
    """far_below_min: FAR < max(absolute_min, control_share × table[industry_code])."""

    table: dict[str, float]
    table_source: str = ""
    #: the GB/T 4754 edition the table's codes are written in (the 2008 control indicators use
    #: 2002); ``industry_code`` holds 2017 divisions and is looked up in this edition (geo.codes)
    table_industry_scheme: Literal["gbt4754-2017", "gbt4754-2011", "gbt4754-2002"] = "gbt4754-2002"
    absolute_min: float | None = Field(default=None, ge=0)
    control_share: float = Field(default=1.0, gt=0, le=2)
    unknown_industry: Literal["not_evaluated", "fallback"] = "not_evaluated"
    fallback_min: float | None = Field(default=None, ge=0)

    @field_validator("table", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k).zfill(2) if str(k).isdigit() else str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _fallback_given(self) -> FarRule:
        if self.unknown_industry == "fallback" and self.fallback_min is None:
            raise ValueError("unknown_industry: fallback needs fallback_min (需要给出 fallback_min)")
        return self


class MinRule(_Rule):
    """A ratio that must reach a minimum (``min`` may be empty only while the rule is disabled)."""

    min: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _min_given(self) -> MinRule:
        if self.enabled and self.min is None:
            raise ValueError("an enabled rule needs min (启用的规则需要给出 min)")
        return self


class MaxRule(_Rule):
    """A ratio that must not exceed a maximum."""

    max: float = Field(ge=0)


class AdminRule(MaxRule):
    """admin_over_max: 行政办公及生活服务设施用地 / 项目用地 > max; ``edition`` names the source text.

    The 2008 《工业项目建设用地控制指标》 sets 7 %; later notices let industrial parks raise it (e.g. to
    15 % for dormitory-type 保障性租赁住房, with approval), so the cap and its edition are preset values.
    """

    edition: str = Field(min_length=1)


class InvestRule(MinRule):
    """invest_below_min: 投资强度 = 项目固定资产总投资 ÷ 项目用地面积 < min (万元/公顷).

    ``land_price``: ``add`` — the control-indicator definition (固定资产总投资包括厂房、设备和地价款), so
    ``land_price_wan`` is added to ``fixed_assets_wan``; ``included`` — the ledger's fixed_assets_wan already
    holds the land price; ``excluded`` — buildings and equipment only (not the control-indicator figure).
    """

    land_price: Literal["add", "included", "excluded"] = "add"


class TaxRule(_Rule):
    """tax_below_avg_share: 亩均税收 < share × (park or sector) average 亩均税收."""

    share: float = Field(default=0.40, gt=0, le=1)
    reference: Literal["park", "sector"] = "park"
    #: how the average is formed: Σ tax / Σ 亩 (area_weighted) or the mean of firms' 亩均税收
    average: Literal["area_weighted", "mean"] = "area_weighted"
    #: a sector with fewer taxed parcels than this falls back to the park average
    sector_min_count: int = Field(default=3, ge=1)


class PolicyRule(_Rule):
    """policy_eliminated: policy_class in the listed classes."""

    classes: list[str] = Field(default_factory=lambda: ["淘汰", "禁止"])


class BuildingRule(_Rule):
    """dangerous_building: building_grade in the listed JGJ 125 grades."""

    grades: list[str] = Field(default_factory=lambda: ["C", "D"])


class UseMismatchRule(_Rule):
    """use_mismatch: the current use is not among the prefixes allowed under the planned use.

    ``compat`` maps a planned-use code prefix to the current-use prefixes allowed under it; the longest
    matching planned prefix wins. A planned code matched by no key allows a current code that shares
    its prefix (one is a prefix of the other).
    """

    scope: str = "all"
    compat: dict[str, list[str]] = Field(default_factory=dict)


class RsUnbuiltRule(_Rule):
    """rs_unbuilt: recorded as built, but the rasters show mostly vegetation or bare ground."""

    scope: str = "all"
    ndvi_raster: str = "ndvi"
    builtup_raster: str = "builtup"
    #: mean NDVI at or above this ⇒ vegetated
    ndvi_min: float = 0.35
    #: mean built-up index at or below this ⇒ not built up
    builtup_max: float = 0.30
    #: share of the parcel covered by valid pixels needed to trust the means
    min_coverage: float = Field(default=0.5, ge=0, le=1)
    #: with no raster given the rule is out of scope, listed once (``skip``, contract §3), or — a
    #: stricter local choice — ``not_evaluated`` on every parcel it applies to (low_efficiency null)
    when_no_raster: Literal["not_evaluated", "skip"] = "skip"


class IdleReasonRule(_Rule):
    """idle: the parcel's idle_status is one of the idle classes."""

    scope: str = "all"


class LowEffRules(_Strict):
    """Every rule of contract §4, keyed by its reason code."""

    far_below_min: FarRule
    coef_below_min: MinRule
    admin_over_max: AdminRule
    green_over_max: MaxRule
    invest_below_min: InvestRule
    tax_below_avg_share: TaxRule
    policy_eliminated: PolicyRule
    dangerous_building: BuildingRule
    use_mismatch: UseMismatchRule
    rs_unbuilt: RsUnbuiltRule
    idle: IdleReasonRule


class Exemption(_Strict):
    """An exemption: when its condition holds for a parcel, the listed reasons are waived.

    kinds: ``in_production_lt`` (as-of year − production_year < years), ``above_scale`` (规上),
    ``high_tech`` (高新技术/战略性新兴), ``far_with_tax_over`` (the industry's plot-ratio requirement in the
    far_below_min table < ``control_below`` **and** 亩均税收 > ``tax_per_mu_min``; Jinhua draft:
    "对应行业工业项目'标准地'要求容积率低于1.0，且用地亩均税收大于8万元/亩").

    ``scope`` limits the exemption to a land-use scope of the preset (``all`` by default);
    ``discretionary`` marks a "可以不予认定" exemption: the report says the waiver is the authority's choice.
    """

    enabled: bool = True
    kind: Literal["in_production_lt", "above_scale", "high_tech", "far_with_tax_over"]
    label_zh: str = ""
    scope: str = "all"
    discretionary: bool = False
    years: int | None = Field(default=None, ge=0)
    tax_per_mu_min: float | None = Field(default=None, ge=0)
    control_below: float | None = Field(default=None, gt=0)
    waives: list[ReasonCode]

    @model_validator(mode="after")
    def _parameters(self) -> Exemption:
        if self.kind == "in_production_lt" and self.years is None:
            raise ValueError("kind in_production_lt needs years (需要给出 years)")
        if self.kind == "far_with_tax_over" and (self.tax_per_mu_min is None or self.control_below is None):
            raise ValueError(
                "kind far_with_tax_over needs tax_per_mu_min and control_below "
                "(需要给出 tax_per_mu_min 与 control_below：行业“标准地”容积率要求低于该值)"
            )
        return self


class LowEfficiency(_Strict):
    """Low-efficiency rules and exemptions."""

    #: land-use scope of the rules applies only to supplied land (未供 land is not existing construction land)
    supplied_only: bool = True
    rules: LowEffRules
    exemptions: dict[str, Exemption] = Field(default_factory=dict)


# --------------------------------------------------------------------------- 亩均效益


class MujunIndicator(_Strict):
    """One graded indicator: its weight and, for benchmark normalisation, the benchmark value."""

    weight: float = Field(gt=0)
    #: a number (e.g. the county average of last year) or ``mean`` (the mean over graded firms)
    benchmark: float | Literal["mean"] = "mean"
    label_zh: str = ""


class MujunGroup(_Strict):
    """The indicators of one firm group (规上 or 规下)."""

    indicators: dict[MujunIndicatorName, MujunIndicator]


class MujunScheme(_Strict):
    """A 亩均效益 grading scheme (domain.md §5)."""

    name: str
    title: str
    provisional: bool = False
    #: the kind of source the scheme's values have (national / local / assumption), for the report
    source_kind: SourceKind = "assumption"
    provenance: dict[str, str] = Field(default_factory=dict)
    #: ``benchmark``: w × x / b; ``minmax``: w × [20 + 80 × (x − min)/(max − min)] / 100
    normalisation: Literal["benchmark", "minmax"]
    scope: str = "industrial"
    above_scale: MujunGroup
    below_scale: MujunGroup
    #: firms whose above_scale flag is missing are graded as 规下, or not graded
    scale_unknown: Literal["below_scale", "not_graded"] = "below_scale"
    #: a missing value scores the mean item score of the group's firms that have it, or zero
    missing: Literal["average", "zero"] = "average"
    #: class shares by rank, best first; they must sum to 1
    classes: dict[Literal["A", "B", "C", "D"], float]

    @field_validator("classes")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if list(value) != sorted(value):
            raise ValueError("classes must be listed A, B, C, D in order (按 A、B、C、D 顺序)")
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6 or any(v < 0 for v in value.values()):
            raise ValueError(f"class shares must be ≥ 0 and sum to 1, got {total:g} (各档比例之和应为1)")
        return value


class MujunSelection(_Strict):
    """In a rules preset: which 亩均 scheme to use, and optional overrides of its values."""

    scheme: str = "guangxi-provisional"
    overrides: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- zone indicators


class ScoreItem(_Strict):
    """One indicator of the intensity score: composite weight, ideal value and direction."""

    weight: float = Field(gt=0)
    ideal: float = Field(gt=0)
    direction: Literal["positive", "negative"] = "positive"


class Indicators(_Strict):
    """Mapping parcels to the 2014 规程 categories, zone type, scoring and potential (domain.md §3)."""

    #: current-use code prefixes of each built-up category (A1, A2, A31, A32, A4, A51, A52; rest A6)
    built_categories: dict[str, list[str]]
    #: current uses that count as built without floor area or footprint (roads, utilities, green)
    built_without_buildings: list[str]
    #: planned (or current) uses of land that cannot be built on (C)
    non_buildable: list[str]
    #: unsupplied buildable land counts as ready for supply (B21) rather than not ready (B22)
    unsupplied_ready: bool = True
    #: planned uses of unsupplied land counted as E21 (industrial/warehouse) and E1 (allocation)
    supply_industrial: list[str] = Field(default_factory=lambda: ["10", "11"])
    supply_allocation: list[str] = Field(default_factory=lambda: ["08", "12", "13", "14"])
    zone_type: Literal["auto", "industry_led", "industry_city"] = "auto"
    industry_led_a2_share: float = Field(default=0.30, ge=0, le=1)
    industry_city_a1_share: float = Field(default=0.25, ge=0, le=1)
    #: years of supply history averaged for years_of_supply
    supply_history_years: int = Field(default=3, ge=1)
    scores: dict[Literal["industry_led", "industry_city"], dict[ZoneIndicatorName, ScoreItem]]


class DataChecks(_Strict):
    """Tolerances of the data-quality checks."""

    #: a recorded area may exceed the geometry's area by this share before it is called impossible
    area_tolerance: float = Field(default=0.01, ge=0)
    #: dates before this are implausible
    earliest_date: str = "1949-10-01"


# --------------------------------------------------------------------------- the preset


class RulesPreset(_Strict):
    """A complete, validated rules preset."""

    name: str
    title: str
    provisional: bool = False
    extends: str | None = None
    #: where each value comes from (shown in the report's 规则参数 sheet): a dotted key of the document (the
    #: longest key matching a value's path wins) → {kind: national | local | assumption, source}; a plain text
    #: is a source of unstated kind and is shown as an assumption
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    #: named lists of current-use code prefixes the rules are scoped to
    scopes: dict[str, list[str]]
    idle: IdleRules = IdleRules()
    low_efficiency: LowEfficiency
    mujun: MujunSelection = MujunSelection()
    indicators: Indicators
    data_checks: DataChecks = DataChecks()

    @field_validator("provenance", mode="before")
    @classmethod
    def _plain_text_is_an_assumption(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: {"kind": "assumption", "source": v} if isinstance(v, str) else v for k, v in value.items()
            }
        return value

    @model_validator(mode="after")
    def _scopes_exist(self) -> RulesPreset:
        known = {*self.scopes, "all"}
        for code in REASON_CODES:
            rule = getattr(self.low_efficiency.rules, code)
            if rule.scope not in known:
                raise ValueError(
                    f"low_efficiency.rules.{code}.scope: unknown scope {rule.scope!r}; "
                    f"allowed: {sorted(known)} (未定义的适用范围)"
                )
        for name, exemption in self.low_efficiency.exemptions.items():
            if exemption.scope not in known:
                raise ValueError(
                    f"low_efficiency.exemptions.{name}.scope: unknown scope {exemption.scope!r}; "
                    f"allowed: {sorted(known)} (未定义的适用范围)"
                )
        return self

    def provenance_of(self, key: str) -> Provenance | None:
        """Return the provenance of a dotted value path: the longest provenance key that is a run of it."""
        matches = [p for p in self.provenance if p and f".{p}." in f".{key}."]
        return self.provenance[max(matches, key=len)] if matches else None

    def scope_prefixes(self, scope: str) -> list[str] | None:
        """Land-use prefixes of a scope; ``None`` for ``all``."""
        return None if scope == "all" else list(self.scopes[scope])


@dataclass(frozen=True)
class Preset:
    """A rules preset together with the resolved 亩均 scheme and the merged source document."""

    rules: RulesPreset
    mujun: MujunScheme
    document: dict[str, Any] = field(repr=False)
    source: str

    @property
    def name(self) -> str:
        """The preset's name."""
        return self.rules.name


# --------------------------------------------------------------------------- loading


def available_presets() -> list[str]:
    """Names of the bundled rules presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml") if not p.stem.startswith(("_", "mujun-")))


def available_mujun_schemes() -> list[str]:
    """Names of the bundled 亩均效益 schemes."""
    return sorted(p.stem.removeprefix("mujun-") for p in PRESET_DIR.glob("mujun-*.yaml"))


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict[str, Any]:
    """Parse a preset YAML into a fresh mapping the caller may change.

    A bundled preset is parsed once per process (package data does not change while it runs; the
    service validates a scenario's ``rules`` on every save, and parsing is most of a load's time).
    """
    if path.parent.resolve() == PRESET_DIR.resolve():
        return copy.deepcopy(_read_bundled_yaml(path.resolve()))
    return _parse_yaml(path)


@functools.lru_cache(maxsize=32)
def _read_bundled_yaml(path: Path) -> dict[str, Any]:
    return _parse_yaml(path)


def _parse_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: 规则文件不是 UTF-8 编码 (preset file is not UTF-8): {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: 无法读取规则文件 (cannot read preset file): {error.strerror}") from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (libyaml where built)
    except yaml.YAMLError as error:
        # name the place and the problem, never echo the file's lines
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise ConfigError(f"{path}: YAML 格式错误 (invalid YAML){where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 规则文件顶层应为键值映射 (top level must be a mapping of keys)")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key; lists and scalars replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _is_file_reference(spec: str) -> bool:
    return spec.endswith((".yaml", ".yml")) or "/" in spec or "\\" in spec or Path(spec).is_file()


def _bundled_preset(spec: str, *, files: bool) -> Path:
    """Return the file of a bundled preset; anything but an exact bundled name is an unknown preset."""
    if spec not in available_presets():
        hint = (
            "，或给出 YAML 文件路径 (or a YAML file path)"
            if files
            else "（服务只接受预设名称或 JSON 规则文档）"
        )
        raise ConfigError(
            f"rules {_shown(spec)}: 未知的规则预设 (unknown preset); "
            f"可用 available: {', '.join(available_presets())}{hint}"
        )
    return PRESET_DIR / f"{spec}.yaml"


def _resolve_document(
    spec: str, chain: tuple[str, ...] = (), *, files: bool = True
) -> tuple[dict[str, Any], str]:
    """Read a preset by name (or, with ``files``, by path) and merge it over its ``extends`` parents."""
    if files and _is_file_reference(spec):
        path = Path(spec)
        if not path.is_file():
            raise ConfigError(f"{spec}: 规则文件不存在 (preset file not found)")
        return _merge_parents(_read_yaml(path), str(path), path.stem, "national", path.parent, chain, files)
    path = _bundled_preset(spec, files=files)
    return _merge_parents(_read_yaml(path), spec, spec, None, None, chain, files)


def _merge_parents(
    data: dict[str, Any],
    source: str,
    label: str,
    default_parent: str | None,
    base_dir: Path | None,
    chain: tuple[str, ...],
    files: bool,
) -> tuple[dict[str, Any], str]:
    """Merge a preset document over its ``extends`` parent (relative paths from ``base_dir``)."""
    if source in chain:
        raise ConfigError(f"{source}: extends 形成循环 (extends cycle): {' → '.join((*chain, source))}")
    parent = data.get("extends", default_parent)
    if parent is None:
        return data, source
    if not isinstance(parent, str):
        raise ConfigError(f"{source}: extends 应为预设名称或文件路径 (extends must be a preset name or path)")
    if files and base_dir is not None and _is_file_reference(parent) and not Path(parent).is_absolute():
        parent = str(base_dir / parent)
    base, _ = _resolve_document(parent, (*chain, source), files=files)
    merged = deep_merge(base, data)
    if "name" not in data:
        merged["name"] = f"{base.get('name', parent)}+{label}"
    return merged, source


def _unwrap(annotation: Any) -> list[Any]:
    """Return the model classes or containers an annotation may hold (Optional/Union/Annotated removed)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """Walk ``loc`` (all but its last element) through the model; the keys allowed at its end."""
    current: list[Any] = [model]
    for part in loc[:-1]:
        nxt: list[Any] = []
        for candidate in current:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                fld = candidate.model_fields.get(str(part))
                if fld is not None:
                    nxt.extend(_unwrap(fld.annotation))
            elif typing.get_origin(candidate) is dict:
                nxt.extend(_unwrap(typing.get_args(candidate)[1]))
        current = nxt
    for candidate in current:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return list(candidate.model_fields)
    return None


def _format_validation(error: ValidationError, model: type[BaseModel], source: str, prefix: str = "") -> str:
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = prefix + ".".join(str(p) for p in loc)
        if item["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            hint = f"；允许的键 allowed keys: {', '.join(allowed)}" if allowed else ""
            lines.append(f"未知的键 unknown key {loc[-1]!r} at {path}{hint}")
        elif item["type"] == "missing":
            lines.append(f"缺少必需的键 missing key {path}")
        else:
            lines.append(f"{path}: {item['msg']} (got {_shown(item.get('input'))})")
    return f"{source}: 规则预设无效 (invalid preset): " + "; ".join(lines)


def load_mujun_scheme(
    name: str, overrides: dict[str, Any] | None = None, *, files: bool = True
) -> MujunScheme:
    """Load a 亩均效益 scheme (a bundled name or, with ``files``, a YAML path), apply overrides, validate."""
    if files and _is_file_reference(name):
        path = Path(name)
    elif name in available_mujun_schemes():
        path = PRESET_DIR / f"mujun-{name}.yaml"
    else:
        path = None
    if path is None or not path.is_file():
        raise ConfigError(
            f"mujun.scheme {_shown(name)}: 未知的亩均效益评价方案 (unknown scheme); "
            f"可用 available: {', '.join(available_mujun_schemes())}"
        )
    data = deep_merge(_read_yaml(path), overrides or {})
    try:
        return MujunScheme.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            _format_validation(
                error, MujunScheme, f"mujun-{path.stem.removeprefix('mujun-')}", "mujun.overrides."
            )
        ) from None


def load_preset(spec: str | Path | Preset | Mapping[str, Any] = "national", *, files: bool = True) -> Preset:
    """Load, merge and validate a rules preset by name, YAML path or document.

    Parameters
    ----------
    spec
        A bundled preset name (``national``, ``zhejiang-jinhua``, ``guangxi-provisional``), the path of
        a user YAML (``extends`` defaults to ``national``), a rules document as a mapping (the same
        keys as a user YAML; ``extends`` defaults to ``national``), or an already loaded :class:`Preset`.
    files
        With ``False`` nothing but the bundled presets is ever opened: a name must be a bundled preset,
        and so must a document's ``extends`` and its ``mujun.scheme``; a path is an unknown preset,
        whether or not such a file exists (the service's mode: a request may not name a file).

    Raises
    ------
    ConfigError
        The name or file is unknown, the YAML is malformed, a key is misspelled or a value is invalid.
        The message names the key, its path and the keys allowed there.

    """
    if isinstance(spec, Preset):
        return spec
    if isinstance(spec, Mapping):
        document, source = _merge_parents(dict(spec), "rules", "custom", "national", None, (), files)
    else:
        document, source = _resolve_document(str(spec), files=files)
    try:
        rules = RulesPreset.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_format_validation(error, RulesPreset, source)) from None
    mujun = load_mujun_scheme(rules.mujun.scheme, rules.mujun.overrides, files=files)
    if mujun.scope not in {*rules.scopes, "all"}:
        raise ConfigError(
            f"{source}: mujun scheme {mujun.name!r} scope {mujun.scope!r} is not a scope of the preset; "
            f"allowed: {sorted({*rules.scopes, 'all'})}"
        )
    return Preset(rules, mujun, document, source)


def _shown(value: Any, limit: int = 80) -> str:
    """``repr`` of a value for an error message, a long text or value cut to ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[: limit - 1] + "…")
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
