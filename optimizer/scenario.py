"""The scenario file of ``panhuo plan`` (contract §6), validated with pydantic.

Every model forbids unknown keys, so a misspelt key is named with the allowed ones. Paths are
relative to the scenario file. The contract's core keys keep their meaning; panhuo's own keys
(marked *project*) have the defaults documented here and in ``docs/optimizer.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.errors import ConfigError, NotFoundError

TERMS = ("coverage", "net_return", "cost")

# Sanity bounds of the scenario's numbers and texts (docs/optimizer.md "Bounds"): far beyond any
# real development zone, and small enough that no model coefficient overflows. ``inf``, ``NaN``
# and ``1e999`` are refused in every number of every model (``allow_inf_nan=False``), every text
# is at most ``MAX_TEXT`` characters (``str_max_length``).
MAX_METRES = 1_000_000.0  # 1 000 km: a distance or radius
MAX_AREA_M2 = 1e10  # 10 000 km²
MAX_WAN = 1e10  # 万元 (10¹⁴ 元): any amount of money
MAX_SECONDS = 86_400.0  # a solver time limit of one day
MAX_COUNT = 100_000  # facilities of one type
MAX_QUANTITY = 1e12  # a capacity, a priority or an objective weight
MAX_TEXT = 1_000  # any text (column names, codes, ids …)
MAX_NAME = 200  # a name or label shown in reports

Metres = Annotated[float, Field(le=MAX_METRES)]
AreaM2 = Annotated[float, Field(le=MAX_AREA_M2)]
Wan = Annotated[float, Field(le=MAX_WAN)]
Seconds = Annotated[float, Field(le=MAX_SECONDS)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Quantity = Annotated[float, Field(le=MAX_QUANTITY)]
Name = Annotated[str, Field(max_length=MAX_NAME)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=MAX_TEXT)


class LayerRef(_Strict):
    """A layer in a file: ``path`` (relative to the scenario), optional ``layer``, ``crs``, ``where``.

    ``where`` (*project*) keeps only the features whose column equals the value (or is in the list),
    e.g. ``where: {type: clinic}`` on a facilities layer.
    """

    path: str
    layer: str | None = None
    crs: str | int | None = None
    where: dict[str, str | int | list[str | int]] | None = None


def _layer(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class CostMatrixRef(_Strict):
    """``distance: {matrix: costs.csv}`` (*project*): a precomputed cost or distance matrix.

    ``matrix`` is a CSV (UTF-8, with or without BOM) or Parquet file, relative to the scenario.
    Long form: one row per (demand point, site) pair, columns ``origin``, ``destination``, ``cost``
    (names configurable). Wide form: the ``origin`` column (or the first column) holds the demand
    ids and every other column is a site id. ``form`` is detected when not given (long when the
    three long-form columns are there). Demand ids are the values of the demand layer's
    ``demand_id`` column; site ids are parcel ids, and an existing facility's own id (or
    ``<type>:<id>``). The radii (``radius_m``) are compared with the matrix's values, so they must be
    in the same unit (metres, or minutes for a travel-time matrix).
    """

    matrix: str
    form: Literal["long", "wide"] | None = None
    demand_id: str = "demand_id"
    origin: str = "origin"
    destination: str = "destination"
    cost: str = "cost"


class DemandConfig(LayerRef):
    """Demand points (polygons stand for their centroids).

    ``weight``: a column, default 1 per feature. ``kind_column`` (*project*, default ``kind``): the
    column a facility's ``serves`` filters on (e.g. workers / residents).
    """

    weight: str | None = None
    kind_column: str = "kind"


class FacilityConfig(_Strict):
    """One facility type (contract §6), with panhuo's own keys.

    Project keys: ``label`` (Chinese name for reports), ``serves`` (demand kinds served, default
    all), ``priority`` (weight of this type's coverage in the objective, default 1),
    ``living`` (counts as admin/living land for the land-share limit, default false),
    ``rezoning_allowed`` (a parcel whose planned use does not fit may still be chosen, flagged
    for rezoning at the scenario's rezoning cost; default true).
    """

    type: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)
    label: Name | None = None
    count: Count | None = None
    min_count: Count | None = None
    max_count: Count | None = None
    radius_m: Metres | None = None
    min_area_m2: AreaM2 = Field(default=0.0, ge=0)
    max_area_m2: AreaM2 | None = Field(default=None, gt=0)
    capacity: Quantity | None = Field(default=None, gt=0)
    cost_wan: Wan | None = Field(default=None, ge=0)
    cost_per_m2_wan: Wan | None = Field(default=None, ge=0)
    allowed_planned_use: list[str] | None = None
    existing: LayerRef | None = None
    serves: list[str] | None = None
    priority: Quantity = Field(default=1.0, ge=0)
    living: bool = False
    rezoning_allowed: bool = True

    _layer_existing = field_validator("existing", mode="before")(_layer)

    @field_validator("radius_m")
    @classmethod
    def _radius(cls, v: float | None) -> float | None:
        if v is not None and not v > 0:
            raise ValueError(f"服务半径必须大于 0 米 radius_m must be > 0 metres, got {v}")
        return v

    @field_validator("allowed_planned_use", mode="before")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
            return [str(v)]
        if not isinstance(v, list | tuple):
            raise ValueError(
                "allowed_planned_use 应为用地用海代码前缀列表，如 ['0806', '08'] "
                f"(a list of planned-use code prefixes), got {v!r}"
            )
        return [str(c) for c in v]

    @model_validator(mode="after")
    def _counts(self) -> FacilityConfig:
        if self.count is not None and (self.min_count is not None or self.max_count is not None):
            raise ValueError("give count, or min_count / max_count, not both")
        if self.min_count is not None and self.max_count is not None and self.min_count > self.max_count:
            raise ValueError(f"min_count {self.min_count} > max_count {self.max_count}")
        if self.max_area_m2 is not None and self.max_area_m2 < self.min_area_m2:
            raise ValueError(f"max_area_m2 {self.max_area_m2} < min_area_m2 {self.min_area_m2}")
        if self.cost_wan is not None and self.cost_per_m2_wan is not None:
            raise ValueError("give cost_wan or cost_per_m2_wan, not both")
        return self


class SolverConfig(_Strict):
    """``solver: {name: cbc, time_limit_s: 60, mip_gap: 0.0}`` (project key ``threads``, default 1)."""

    name: Literal["cbc", "highs"] = "cbc"
    time_limit_s: Seconds = Field(default=60.0, gt=0)
    mip_gap: float = Field(default=0.0, ge=0, lt=1)
    threads: int = Field(default=1, ge=1, le=64)


class Separation(_Strict):
    """*project*: facility types ``a`` and ``b`` (or ``b: existing:<type>``) at least ``min_m`` apart."""

    a: str
    b: str
    min_m: Metres = Field(gt=0)
    source: Name | None = None


class LandShares(_Strict):
    """*project*: park-level land-share limits (domain.md §4.3, §3.3).

    ``living_max`` (default 0.15): area of admin/living facilities (types with ``living: true``)
    at most this share of the industrial land after the plan (国办发〔2021〕22号: 7 % → 15 %).
    ``industrial_min`` (default none): industrial land rate (工业用地率, industrial land ÷ all parcel
    land, codes ``industrial_codes``) after the plan at least this share.
    """

    living_max: float | None = Field(default=0.15, gt=0, le=1)
    industrial_min: float | None = Field(default=None, gt=0, le=1)
    industrial_codes: list[str] = ["10", "11"]


class Economics(_Strict):
    """*project*: money of the ``revitalise`` model, 万元 (defaults in docs/optimizer.md).

    ``compensation_wan_per_mu``: paid to recover land that is not ``idle_recoverable`` (Art. 14 ¶2
    recovers that without compensation; unsupplied land costs nothing). ``rezoning_wan_per_mu``:
    cost of changing a parcel's planned use. ``release_price_wan_per_mu``: land price received when
    recovered land is re-supplied to industry. ``tax_target_wan_per_mu``: 亩均税收 an upgraded or
    re-supplied parcel reaches. ``upgrade_cost_wan_per_mu``: public incentive paid per 亩 upgraded.
    ``green_cost_wan_per_m2``: building a green space. ``horizon_years``: years of tax counted.
    """

    compensation_wan_per_mu: Wan = Field(default=30.0, ge=0)
    rezoning_wan_per_mu: Wan = Field(default=2.0, ge=0)
    release_price_wan_per_mu: Wan = Field(default=18.0, ge=0)
    tax_target_wan_per_mu: Wan = Field(default=15.0, ge=0)
    upgrade_cost_wan_per_mu: Wan = Field(default=1.0, ge=0)
    green_cost_wan_per_m2: Wan = Field(default=0.02, ge=0)
    horizon_years: float = Field(default=5.0, gt=0, le=100)


class Scenario(_Strict):
    """The whole scenario (contract §6 core keys plus the project's own)."""

    name: Name = Field(min_length=1)
    parcels: LayerRef
    candidates: Literal["all", "revitalisable"] | list[str] = "revitalisable"
    demand: DemandConfig | None = None
    distance: Literal["euclidean", "network"] | CostMatrixRef = "euclidean"
    roads: LayerRef | None = None
    facilities: list[FacilityConfig] = Field(default_factory=list)
    objective: Literal["max_coverage", "min_facilities", "min_distance", "min_max_distance", "revitalise"] = (
        "max_coverage"
    )
    budget_wan: Wan | None = None
    solver: SolverConfig = SolverConfig()
    # project keys
    as_of: dt.date | None = None
    rules: str | dict[str, Any] = "national"
    exclusion: LayerRef | None = None
    separations: list[Separation] = Field(default_factory=list)
    land_shares: LandShares = LandShares()
    economics: Economics = Economics()
    weights: dict[str, float] = Field(default_factory=lambda: {"coverage": 1.0, "net_return": 0.001})
    priorities: list[str] | None = None
    actions: list[Literal["upgrade", "release", "facility", "green"]] = [
        "upgrade",
        "release",
        "facility",
        "green",
    ]

    _layers = field_validator("parcels", "roads", "exclusion", "demand", mode="before")(_layer)

    @field_validator("budget_wan")
    @classmethod
    def _budget(cls, v: float | None) -> float | None:
        if v is not None and not v > 0:
            raise ValueError(f"预算必须大于 0 万元 budget_wan must be > 0, got {v}")
        return v

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            raise ValueError(f"weights must be a mapping of {', '.join(TERMS)} to numbers, got {v!r}")
        out = {}
        for key, value in v.items():
            if key not in TERMS:
                raise ValueError(f"unknown objective term {key!r}; allowed: {', '.join(TERMS)}")
            try:
                out[key] = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"weights.{key}: {value!r} is not a number") from None
            if not abs(out[key]) <= MAX_QUANTITY:  # also NaN
                raise ValueError(f"weights.{key}: {value!r} is not a finite number ≤ {MAX_QUANTITY:g}")
        return out

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        for key in v:
            if key not in TERMS:
                raise ValueError(f"unknown objective term {key!r}; allowed: {', '.join(TERMS)}")
        if len(set(v)) != len(v):
            raise ValueError("priorities lists a term twice")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        types = [f.type for f in self.facilities]
        if len(set(types)) != len(types):
            raise ValueError(f"facilities: duplicate type in {types}")
        if self.objective != "revitalise" and not self.facilities:
            raise ValueError(f"objective {self.objective} needs at least one entry in facilities")
        if self.objective in ("max_coverage", "min_facilities"):
            for f in self.facilities:
                if f.radius_m is None:
                    raise ValueError(
                        f"facilities[{f.type}].radius_m is required by objective {self.objective}"
                    )
        if self.distance == "network" and self.roads is None:
            raise ValueError("distance: network needs roads: <layer of road lines>")
        if isinstance(self.distance, CostMatrixRef) and self.demand is None:
            raise ValueError("distance: {matrix: ...} needs demand: <layer of demand points with ids>")
        if self.facilities and self.demand is None:
            raise ValueError("facilities need demand: <layer of demand points>")
        for s in self.separations:
            for side in (s.a, s.b.removeprefix("existing:")):
                if side not in types:
                    raise ValueError(f"separations: {side!r} is not a facility type; types: {types}")
        return self


def load_scenario(path: str | Path) -> tuple[Scenario, Path]:
    """Read and validate a scenario YAML; return it with the folder its paths are relative to.

    Raises
    ------
    NotFoundError
        The file does not exist.
    ConfigError
        The YAML does not parse, or a key is unknown or has a bad value (the message names the
        key path and the allowed values).

    """
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"情景文件不存在 scenario file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{p}: YAML 格式错误 does not parse: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: 情景文件应为键值映射 must be a mapping of keys (name, parcels, …)")
    return parse_scenario(raw, source=str(p)), p.resolve().parent


def parse_scenario(raw: dict, source: str = "scenario") -> Scenario:
    """Validate a scenario mapping (the YAML, or the service's JSON); errors become :class:`ConfigError`."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{source}: " + "; ".join(_explain(e) for e in error.errors())) from None


def _explain(e: Any) -> str:
    loc = ".".join(str(x) for x in e["loc"])
    kind = e["type"]
    if kind == "extra_forbidden":
        model = _model_at(e["loc"])
        allowed = ", ".join(model.model_fields) if model else ""
        return f"未知键 unknown key {loc!r}" + (f"; 允许 allowed: {allowed}" if allowed else "")
    if kind in ("literal_error", "enum"):
        return f"{loc}: {e['msg']} (got {e.get('input')!r})"
    if kind == "missing":
        return f"缺少必填键 missing key {loc!r}"
    msg = str(e["msg"]).removeprefix("Value error, ")
    return f"{loc or 'scenario'}: {msg}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """Return the pydantic model that holds the key at ``loc`` (for listing the allowed keys)."""
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        nxt = _first_model(ann)
        if nxt is None:
            return None
        model = nxt
    return model


def _first_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def resolve(base: Path, ref: LayerRef | str) -> Path:
    """Absolute path of a layer reference (or a file name) relative to the scenario's folder; must exist."""
    p = Path(ref if isinstance(ref, str) else ref.path)
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise NotFoundError(
            f"情景引用的文件不存在 file named in the scenario not found: "
            f"{ref if isinstance(ref, str) else ref.path} (looked in {p})"
        )
    return p
