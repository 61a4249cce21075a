"""Turn a stored job into the spec its worker runs (paths resolved, limits attached).

A job row only holds ids; the files behind them are looked up here, in the job's workspace, when
the job starts — a dataset deleted meanwhile fails the job with ``not_found`` instead of reading
something else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.jobspec import AnalysisInputs, DatasetInput, JobSpec, PlanJobInputs
from api.settings import Settings
from api.store import Store
from api.uploads import labelled_links
from geo.errors import NotFoundError


class TaskBuilder:
    """The ``kind → spec`` functions the :class:`api.jobs.JobRunner` calls."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def handlers(self) -> dict[str, Any]:
        """Return the builders by job kind."""
        return {"inspect": self.inspect, "analysis": self.analysis, "plan": self.plan}

    def _dataset(self, scrub: list[str], job_dir: Path, workspace: str, dataset_id: str) -> DatasetInput:
        """Look a dataset up and give the job its files under the user's own name (issue 9 item 9).

        The stored files are ``data.<ext>``; the worker reads links named after the uploaded file
        (``inputs/<id>/yulin_parcels.gpkg``), and that folder is added to ``scrub`` (removed from
        every message), so a user reads their own file's name and never the service's layout.
        """
        row = self.store.get_dataset(workspace, dataset_id)
        if row is None:
            raise NotFoundError(
                f"作业所需的数据集 {dataset_id} 已不存在 — a dataset this job needs was deleted"
            )
        folder = job_dir / "inputs" / row["id"]
        path = labelled_links(self.settings.store.data_dir / row["path"], row["name"], folder)
        scrub.append(str(folder))
        return DatasetInput(id=row["id"], path=str(path), kind=row["kind"], format=row["format"])

    def _scrub(self) -> list[str]:
        return [str(self.settings.store.data_dir.resolve()), str(self.settings.store.data_dir)]

    def _spec(self, job: dict[str, Any], job_dir: Path, kind: str, inputs: Any, scrub: list[str]) -> JobSpec:
        return JobSpec(
            kind=kind,  # type: ignore[arg-type]
            inputs=inputs,
            job_id=job["id"],
            limits=self.settings.uploads.model_dump(),
            params=dict(job.get("params") or {}),
            scrub=scrub,
            postgis_url=self.settings.store.sqlalchemy_url() if self.settings.store.is_postgres else None,
            out_dir=str(job_dir / "out"),
        )

    def inspect(self, job: dict[str, Any], job_dir: Path) -> JobSpec:
        """Re-validate a dataset in a worker (a full read of its metadata)."""
        scrub = self._scrub()
        inputs = self._dataset(scrub, job_dir, job["workspace"], job["dataset_id"])
        return self._spec(job, job_dir, "inspect", inputs, scrub)

    def analysis(self, job: dict[str, Any], job_dir: Path) -> JobSpec:
        """Analyse a parcel dataset (contract §3), with optional rasters."""
        scrub = self._scrub()
        rasters = {
            name: self._dataset(scrub, job_dir, job["workspace"], rid).path
            for name, rid in ((job.get("params") or {}).get("rasters") or {}).items()
        }
        parcels = self._dataset(scrub, job_dir, job["workspace"], job["dataset_id"])
        return self._spec(job, job_dir, "analysis", AnalysisInputs(parcels=parcels, rasters=rasters), scrub)

    def plan(self, job: dict[str, Any], job_dir: Path) -> JobSpec:
        """Run one scenario version (contract §6): dataset ids become the YAML's paths."""
        scrub = self._scrub()
        version = self.store.get_scenario_version(
            job["workspace"], job["scenario_id"], job["scenario_version"]
        )
        if version is None:
            raise NotFoundError("场景版本已不存在 — the scenario version was deleted")
        body = dict(version["body"])
        ws = job["workspace"]

        def ref(value: Any) -> Any:
            if value is None:
                return None
            value = {"path": value} if isinstance(value, str) else dict(value)
            value["path"] = self._dataset(scrub, job_dir, ws, value["path"]).path
            return value

        for key in ("parcels", "demand", "roads", "exclusion"):
            if body.get(key) is not None:
                body[key] = ref(body[key])
        body["facilities"] = [
            {**f, "existing": ref(f["existing"])} if f.get("existing") else f
            for f in body.get("facilities", [])
        ]
        return self._spec(job, job_dir, "plan", PlanJobInputs(scenario=body), scrub)
