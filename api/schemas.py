"""Request and response bodies of the service, with the examples OpenAPI shows.

Request models forbid unknown keys (a client cannot set ``owner_id``, ``workspace``, ``status`` or
``result``: hardening B4) except the scenario, whose project-specific keys are allowed but never the
reserved ones. Names that end up near a file — preset names, raster names, layer names — are
restricted to plain identifiers, so a path, ``..`` or ``/vsicurl/…`` is a 422 before anything else
happens (A7).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from geo.errors import ConfigError
from geo.rules.presets import available_presets, load_preset
from optimizer.scenario import DemandConfig, FacilityConfig, LayerRef, Scenario

IDENT = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
OBJECT_ID = r"^[A-Za-z0-9_-]{1,64}$"


def _rules(value: Any) -> Any:
    """Accept a bundled preset name or a rules document validated as data — never a file (issue 9).

    Loaded with ``files=False``: a path, ``..``, ``/vsicurl/…`` or any name that is not a bundled
    preset is refused the same way whether or not such a file exists, and a document's ``extends``
    and ``mujun.scheme`` must be bundled names too. Nothing outside the bundled presets is opened.
    """
    if not isinstance(value, str | dict):
        raise ValueError("rules 应为预设名称或规则文档（JSON 对象）— a preset name or a rules document")
    try:
        load_preset(value, files=False)
    except ConfigError as error:
        raise ValueError(str(error)) from None
    return value


#: ``rules`` of an analysis or a scenario: a bundled preset's name or a rules document (JSON)
RulesSpec = Annotated[
    str | dict[str, Any],
    BeforeValidator(_rules),
    WithJsonSchema(
        {
            "description": "规则预设名称，或规则文档（与预设 YAML 同键，extends 默认 national）"
            " a bundled preset name, or a rules document with the keys of a preset YAML",
            "anyOf": [
                {"type": "string", "enum": available_presets()},
                {"type": "object", "examples": [{"extends": "national", "idle": {"fee_rate": 0.2}}]},
            ],
        }
    ),
]


class Strict(BaseModel):
    """A request body that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=1_000)


# ------------------------------------------------------------------------------------ datasets
class DatasetOut(BaseModel):
    """A dataset of the workspace."""

    id: str = Field(..., examples=["mB3k9Qx2VZ1aTn0cR7yL8w"])
    name: str = Field(..., examples=["yulin_parcels.zip"])
    format: Literal["shapefile_zip", "gpkg", "geojson", "parquet", "flatgeobuf", "geotiff"]
    kind: Literal["vector", "raster"]
    size_bytes: int = Field(..., examples=[482113])
    created_by: str = Field(..., examples=["规划科 张工"])
    created_at: datetime
    report: dict[str, Any] = Field(
        ...,
        description="入库检查报告 the ingest report (layers, features, CRS, encoding, fields; caps applied)",
        examples=[{"features": 120, "crs": "EPSG:4524", "encoding": "GB18030", "geometry_type": "Polygon"}],
    )


class DatasetCreated(BaseModel):
    """Answer of an upload."""

    id: str = Field(..., examples=["mB3k9Qx2VZ1aTn0cR7yL8w"])
    report: dict[str, Any]


class DatasetList(BaseModel):
    """The workspace's datasets."""

    items: list[DatasetOut]


# ------------------------------------------------------------------------------------ jobs
JobStatus = Literal["accepted", "running", "successful", "failed", "dismissed"]


class JobCreated(BaseModel):
    """Answer of a job submission (``202``)."""

    job_id: str = Field(..., examples=["q0Zt8mWc2s3n6BvX1yLk4A"])
    status: JobStatus = "accepted"


class JobOut(BaseModel):
    """A job, in the style of OGC API – Processes."""

    id: str = Field(..., examples=["q0Zt8mWc2s3n6BvX1yLk4A"])
    kind: Literal["analysis", "plan", "inspect"]
    status: JobStatus
    progress: int = Field(..., ge=0, le=100, examples=[40])
    message: str | None = Field(None, examples=["求解中 solving"])
    error_code: str | None = Field(None, examples=[None, "time_limit", "resource_limit", "interrupted"])
    dataset_id: str | None = None
    scenario_id: str | None = None
    scenario_version: int | None = None
    created_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    links: dict[str, str] = Field(
        default_factory=dict,
        examples=[
            {"self": "/jobs/q0Zt8mWc2s3n6BvX1yLk4A", "results": "/jobs/q0Zt8mWc2s3n6BvX1yLk4A/results"}
        ],
    )


class JobList(BaseModel):
    """The workspace's jobs."""

    items: list[JobOut]


# ------------------------------------------------------------------------------------ analyses
class AnalysisIn(Strict):
    """Start an analysis of an uploaded parcel layer (contract §3)."""

    dataset_id: str = Field(..., pattern=OBJECT_ID, examples=["mB3k9Qx2VZ1aTn0cR7yL8w"])
    as_of: date | None = Field(
        None, description="评估基准日 the as-of date (default: today)", examples=["2026-06-30"]
    )
    rules: RulesSpec | None = Field(None, examples=["national"])
    rasters: dict[str, str] | None = Field(
        None,
        description="栅格 name → raster dataset id, for zonal statistics (`rs_<name>_*` columns)",
        examples=[{"ndbi": "Xv3Qm8r2Lk0pZa9nT4bY1w"}],
    )
    layer: str | None = Field(
        None,
        max_length=200,
        description="图层名 the parcel layer of a multi-layer GeoPackage",
        examples=["parcels"],
    )
    crs: int | None = Field(
        None, ge=2000, le=999999, description="EPSG code when the layer has no CRS", examples=[4524]
    )
    columns: dict[str, Any] | None = Field(
        None,
        description="列映射 the column mapping of contract §2.1 (keys columns, values, land_use_scheme, "
        "industry_scheme); default: the one given at upload",
        examples=[{"columns": {"agreed_start_date": "约定开工时"}, "land_use_scheme": "gbt21010-2017"}],
    )

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from geo.columns import parse_columns
        from geo.errors import ConfigError

        if value is None:
            return None
        try:
            parse_columns(value, source="columns")
        except ConfigError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("rasters")
    @classmethod
    def _raster_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        import re

        if value is None:
            return None
        if len(value) > 8:
            raise ValueError("at most 8 rasters")
        for name, dataset_id in value.items():
            if not re.match(IDENT, name) or not re.match(OBJECT_ID, dataset_id):
                raise ValueError("raster names must be identifiers and values dataset ids")
        return value


# ------------------------------------------------------------------------------------ scenarios
class DatasetRef(LayerRef):
    """A layer of an uploaded dataset: ``path`` is the dataset id (the YAML has a file path there)."""

    path: str = Field(..., pattern=OBJECT_ID, description="数据集 id (the YAML's path)")
    layer: str | None = Field(None, max_length=200, description="图层名 layer inside a GeoPackage")
    crs: int | None = Field(None, ge=2000, le=999999, description="EPSG code overriding the layer's CRS")


class DemandRef(DemandConfig):
    """Demand points of an uploaded dataset (``path`` is the dataset id)."""

    path: str = Field(..., pattern=OBJECT_ID, description="需求点数据集 id")
    layer: str | None = Field(None, max_length=200)
    crs: int | None = Field(None, ge=2000, le=999999)


class FacilityIn(FacilityConfig):
    """One facility type; ``existing`` names a dataset (and layer) instead of a file."""

    existing: DatasetRef | None = None


_SCENARIO_EXAMPLE = {
    "name": "2027 公共服务设施布局",
    "parcels": {"path": "mB3k9Qx2VZ1aTn0cR7yL8w", "layer": "parcels"},
    "as_of": "2026-06-30",
    "candidates": "revitalisable",
    "demand": {"path": "mB3k9Qx2VZ1aTn0cR7yL8w", "layer": "demand", "weight": "weight"},
    "distance": "euclidean",
    "facilities": [
        {
            "type": "clinic",
            "label": "社区卫生服务站",
            "max_count": 2,
            "radius_m": 1000,
            "min_area_m2": 1000,
            "max_area_m2": 20000,
            "cost_wan": 800,
        }
    ],
    "objective": "max_coverage",
    "budget_wan": 8000,
    "solver": {"name": "cbc", "time_limit_s": 60, "mip_gap": 0.0},
}


class ScenarioIn(Scenario):
    """A scenario (contract §6, with the optimizer's own keys) as JSON, dataset ids in place of paths.

    Exactly the schema of :class:`optimizer.scenario.Scenario` (unknown keys are refused, so
    ``owner_id``, ``workspace``, ``status`` or ``result`` are a 422), except that every layer
    reference names an uploaded dataset of the caller's workspace.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [_SCENARIO_EXAMPLE]},  # type: ignore[list-item]
    )

    parcels: DatasetRef
    demand: DemandRef | None = None
    #: a cost-matrix file (``distance: {matrix: ...}``) is a CLI scenario's: the service has no
    #: dataset kind for tables, and a path here would name a server file
    distance: Literal["euclidean", "network"] = "euclidean"
    roads: DatasetRef | None = None
    exclusion: DatasetRef | None = None
    facilities: list[FacilityIn] = Field(default_factory=list, max_length=50)  # type: ignore[assignment]
    rules: RulesSpec = "national"

    @model_validator(mode="wrap")
    @classmethod
    def _type_errors_are_invalid_input(cls, data: Any, handler: Any) -> Any:
        # a validator of the optimizer's model meeting a value of the wrong JSON type (e.g.
        # ``allowed_planned_use: false``) raises TypeError, which pydantic does not catch:
        # it is the client's mistake, so a 422, not a 500
        try:
            return handler(data)
        except TypeError as error:
            raise ValueError(f"a value has the wrong type: {error}") from None

    def dataset_refs(self) -> dict[str, LayerRef]:
        """Return every layer reference of the scenario by its key path (``facilities[0].existing``)."""
        refs: dict[str, LayerRef | None] = {
            "parcels": self.parcels,
            "demand": self.demand,
            "roads": self.roads,
            "exclusion": self.exclusion,
        }
        refs |= {f"facilities[{i}].existing": f.existing for i, f in enumerate(self.facilities)}
        return {key: ref for key, ref in refs.items() if ref is not None}

    def dataset_ids(self) -> set[str]:
        """Return every dataset the scenario refers to."""
        return {r.path for r in self.dataset_refs().values()}


class ScenarioCreated(BaseModel):
    """Answer of a scenario save (``201``)."""

    id: str = Field(..., examples=["Zc1Vb2Nm3Qa4Ws5Ed6Rf7g"])
    version: int = Field(..., examples=[1])


class ScenarioVersionOut(BaseModel):
    """One stored version."""

    version: int
    created_by: str
    created_at: datetime


class ScenarioOut(BaseModel):
    """A scenario with its versions and the body of the version asked for (default: the latest)."""

    id: str
    name: str
    latest_version: int
    version: int
    body: dict[str, Any]
    versions: list[ScenarioVersionOut]
    created_by: str
    created_at: datetime
    updated_at: datetime


class ScenarioSummary(BaseModel):
    """A scenario in a list."""

    id: str
    name: str
    latest_version: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ScenarioList(BaseModel):
    """The workspace's scenarios."""

    items: list[ScenarioSummary]


class RunIn(Strict):
    """Run a scenario version (default: the latest), optionally with a trade-off frontier.

    ``frontier`` ``A:B`` (terms ``coverage``, ``net_return``, ``cost``; as ``panhuo plan
    --frontier``): besides the plan, the ε-constraint frontier optimising A with B bounded, in
    ``steps`` points — ``plan.json`` then carries ``frontier`` (the rows of the CLI's CSV) and the
    job writes ``frontier_<A>_<B>.csv``/``.png``.
    """

    version: int | None = Field(None, ge=1, le=1_000_000, examples=[2])
    frontier: str | None = Field(
        None,
        pattern=r"^(coverage|net_return|cost):(coverage|net_return|cost)$",
        description="权衡前沿 trade-off frontier A:B (optimise A, bound B)",
        examples=["coverage:cost"],
    )
    steps: int = Field(5, ge=2, le=12, description="前沿点数 frontier points")


# ------------------------------------------------------------------------------------ comparisons
class ComparisonIn(Strict):
    """Compare finished plan runs side by side."""

    job_ids: list[str] = Field(
        ..., min_length=2, max_length=10, examples=[["q0Zt8mWc2s3n6BvX1yLk4A", "p9Yr7…"]]
    )

    @field_validator("job_ids")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        import re

        if any(not re.match(OBJECT_ID, v) for v in value):
            raise ValueError("job ids are URL-safe identifiers")
        return value


class ComparisonRow(BaseModel):
    """One plan run in a comparison."""

    job_id: str
    scenario_id: str | None
    scenario_version: int | None
    name: str | None
    status: str | None
    objective: float | None
    coverage_ratio: float | None
    covered_demand: float | None
    total_cost_wan: float | None
    selected: int | None
    mip_gap: float | None


class ComparisonOut(BaseModel):
    """The side-by-side table (as `compare.json` of `panhuo compare`)."""

    rows: list[ComparisonRow]


# ------------------------------------------------------------------------------------ tokens, audit
class TokenIn(Strict):
    """Create a token in the admin's own workspace."""

    name: str = Field(..., min_length=1, max_length=200, examples=["规划科 张工"])
    role: Literal["viewer", "planner", "admin"] = Field(..., examples=["planner"])


class TokenOut(BaseModel):
    """A token's metadata (never its secret nor its hash)."""

    id: str
    name: str
    role: str
    workspace: str
    created_at: datetime
    revoked_at: datetime | None = None


class TokenCreated(TokenOut):
    """A new token: ``token`` is shown this once and stored only as a hash."""

    token: str


class TokenList(BaseModel):
    """The workspace's tokens."""

    items: list[TokenOut]


class AuditEntry(BaseModel):
    """One audit record: who did what, to which object, when."""

    id: int = Field(..., description="条目编号（只增不减）entry number, increasing")
    at: datetime
    actor: str
    token_id: str | None
    action: str = Field(..., examples=["dataset.upload", "job.run", "job.export", "dataset.delete"])
    object_type: str
    object_id: str | None
    outcome: str


class AuditList(BaseModel):
    """One page of the workspace's audit trail, newest first."""

    items: list[AuditEntry]
    next_cursor: str | None = Field(
        None,
        description="下一页的游标（传给 `cursor`）；最后一页为 null — pass as `cursor` for the next page; "
        "null on the last page",
    )


class Health(BaseModel):
    """Liveness and the store in use."""

    status: Literal["ok"] = "ok"
    store: Literal["sqlite", "postgresql"]
    version: str
