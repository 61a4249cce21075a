"""The typed contract between the service and its worker processes: what ``spec.json`` holds.

:mod:`api.tasks` (queued jobs) and :func:`api.routes.datasets.ingest_spec` (upload checks) build a
:class:`JobSpec`; :class:`api.jobs.WorkerRun` adds where the job runs (``job_dir``) and who watches it
(``parent_pid``) and writes it; :mod:`api.worker` reads it back with :meth:`JobSpec.read`. An
unknown key, a missing input or an input of another kind is refused on both sides, so the two
processes cannot drift apart silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["ingest", "inspect", "analysis", "plan", "briefing"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetInput(_Frozen):
    """A stored dataset, resolved to its file (``path``) when the job starts."""

    path: str
    kind: str
    format: str | None = None
    id: str | None = None
    #: where an ingest writes the dataset's GeoJSON/GeoPackage exports (ingest only)
    export_dir: str | None = None


class AnalysisInputs(_Frozen):
    """An analysis: the parcel dataset and the rasters by name (paths)."""

    parcels: DatasetInput
    rasters: dict[str, str] = Field(default_factory=dict)


class PlanJobInputs(_Frozen):
    """A plan: the scenario body with dataset ids already replaced by their paths."""

    scenario: dict[str, Any]


class BriefingInputs(_Frozen):
    """A briefing of chosen parcels of a finished analysis (the workbench's ``POST /jobs/{id}/briefings``)."""

    analysis_dir: str
    out: str


class JobSpec(_Frozen):
    """One worker job.

    Attributes
    ----------
    kind : str
        ``ingest``/``inspect`` (check a dataset), ``analysis``, ``plan`` or ``briefing``.
    inputs : DatasetInput, AnalysisInputs, PlanJobInputs or BriefingInputs
        What the job reads; which one follows from ``kind``.
    params : dict
        The request's own parameters (``crs``, ``as_of``, ``rules``, ``layer``, ``rasters`` ids …).
    limits : dict
        The service's upload caps (:class:`api.settings.UploadLimits` as a mapping).
    scrub : list of str
        Server paths removed from any message before it reaches a client.

    """

    kind: Kind
    inputs: DatasetInput | AnalysisInputs | PlanJobInputs | BriefingInputs
    params: dict[str, Any] = Field(default_factory=dict)
    limits: dict[str, Any] = Field(default_factory=dict)
    scrub: list[str] = Field(default_factory=list)
    job_id: str | None = None
    postgis_url: str | None = None
    out_dir: str | None = None
    job_dir: str | None = None
    parent_pid: int | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Check that the inputs are those of the kind."""
        wanted = {
            "ingest": DatasetInput,
            "inspect": DatasetInput,
            "analysis": AnalysisInputs,
            "plan": PlanJobInputs,
            "briefing": BriefingInputs,
        }
        if not isinstance(self.inputs, wanted[self.kind]):
            raise ValueError(f"job kind {self.kind!r} needs {wanted[self.kind].__name__} inputs")

    def write(self, path: Path) -> Path:
        """Write the spec as JSON (what ``python -m api.worker SPEC.json`` reads)."""
        path.write_text(self.model_dump_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> JobSpec:
        """Read a spec written by :meth:`write`."""
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
