"""``/jobs``: status, results, files and cancellation (OGC API – Processes style)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from api.deps import Caller, Planner, RunnerDep, StoreDep
from api.errors import ConflictError
from api.routes.common import ERR_403, ERR_404, ERR_409, ERR_422, errors
from api.schemas import JobList, JobOut
from api.store import FINISHED, Principal, Store
from api.store.repo import now
from geo.errors import NotFoundError

router = APIRouter(prefix="/jobs", tags=["jobs"])

#: sandboxed: a map page holds data from uploads, so it runs without the API's origin
MAP_CSP = (
    "sandbox allow-scripts allow-popups allow-downloads; default-src 'self' 'unsafe-inline' 'unsafe-eval' "
    "data: blob: https:; frame-ancestors 'self'"
)


def job_out(row: dict[str, Any]) -> JobOut:
    """Serialise a job row with its links."""
    links = {"self": f"/jobs/{row['id']}"}
    if row["status"] == "successful":
        links["results"] = f"/jobs/{row['id']}/results"
        links["map"] = f"/jobs/{row['id']}/map.html"
        links["briefing"] = f"/jobs/{row['id']}/briefing.pdf"
    fields: dict[str, Any] = {k: row.get(k) for k in JobOut.model_fields if k != "links"}
    return JobOut.model_validate({**fields, "links": links})


def _job(store: Store, who: Principal, job_id: str) -> dict[str, Any]:
    row = store.get_job(who.workspace, job_id)
    if row is None:
        raise NotFoundError("作业不存在 — no such job in this workspace")
    return row


def _finished(row: dict[str, Any]) -> None:
    if row["status"] != "successful":
        raise ConflictError(
            f"作业尚未成功完成（状态 {row['status']}）— the job has no results (status {row['status']})"
        )


@router.get("", response_model=JobList, summary="列出作业 list jobs", responses=errors())
def list_jobs(who: Caller, store: StoreDep) -> JobList:
    """Return the workspace's jobs, newest first."""
    return JobList(items=[job_out(j) for j in store.list_jobs(who.workspace)])


@router.get("/{job_id}", response_model=JobOut, summary="作业状态 job status", responses=errors(ERR_404))
def get_job(job_id: str, who: Caller, store: StoreDep) -> JobOut:
    """Status (accepted, running, successful, failed, dismissed), progress and message."""
    return job_out(_job(store, who, job_id))


@router.delete(
    "/{job_id}",
    response_model=JobOut,
    summary="取消作业 / 删除结果 cancel a job, or dismiss a finished one",
    responses=errors(ERR_403, ERR_404),
)
def cancel_job(job_id: str, who: Planner, store: StoreDep, runner: RunnerDep) -> JobOut:
    """Cancel a waiting or running job (its process group is killed); a finished job's results are removed."""
    row = _job(store, who, job_id)
    if row["status"] in FINISHED:
        shutil.rmtree(runner.job_dir(job_id) / "out", ignore_errors=True)
        store.update_job(
            job_id, status="dismissed", result=None, message="结果已删除 results removed", finished_at=now()
        )
    else:
        runner.cancel(job_id)
    store.audit(who, "job.cancel", "job", job_id)
    return job_out(_job(store, who, job_id))


@router.get(
    "/{job_id}/results",
    summary="作业结果 results (plan.json for a plan; summary and indicators for an analysis)",
    responses={
        200: {
            "description": "plan: plan.json; analysis: {summary, indicators}; inspect: the report",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "example": {
                        "status": "optimal",
                        "objective": 18250.0,
                        "coverage_ratio": 0.91,
                        "total_cost_wan": 2400.0,
                        "selected": [{"parcel_id": "YL-017", "type": "clinic", "action": "build"}],
                    },
                }
            },
        },
        **errors(ERR_404, ERR_409),
    },
)
def job_results(job_id: str, who: Caller, store: StoreDep) -> dict[str, Any]:
    """Return the result of a successful job."""
    row = _job(store, who, job_id)
    _finished(row)
    store.audit(who, "job.export", "job", job_id)
    return dict(row.get("result") or {})


def _file(
    store: Store, runner: Any, who: Principal, job_id: str, name: str, media: str, disposition: str
) -> Response:
    row = _job(store, who, job_id)
    _finished(row)
    path = Path(runner.job_dir(job_id)) / "out" / name
    if not path.is_file():
        raise NotFoundError(f"此作业没有 {name} — this job produced no {name}")
    store.audit(who, "job.export", "job", job_id)
    headers = {"Content-Security-Policy": MAP_CSP} if media.startswith("text/html") else None
    return FileResponse(
        path,
        media_type=media,
        filename=f"{job_id}-{name}",
        content_disposition_type=disposition,
        headers=headers,
    )


@router.get(
    "/{job_id}/map.html",
    summary="网页地图 the web map",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "map.html"}, **errors(ERR_404, ERR_409)},
)
def job_map(job_id: str, who: Caller, store: StoreDep, runner: RunnerDep) -> Response:
    """Return the job's web map (served sandboxed)."""
    return _file(store, runner, who, job_id, "map.html", "text/html; charset=utf-8", "inline")


@router.get(
    "/{job_id}/briefing.pdf",
    summary="一事一议简报 the briefing PDF",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "briefing.pdf"},
        **errors(ERR_404, ERR_409),
    },
)
def job_briefing(job_id: str, who: Caller, store: StoreDep, runner: RunnerDep) -> Response:
    """Return the job's briefing."""
    return _file(store, runner, who, job_id, "briefing.pdf", "application/pdf", "attachment")


@router.get(
    "/{job_id}/report.xlsx",
    summary="分析报表 the analysis workbook",
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
            "description": "report.xlsx",
        },
        **errors(ERR_404, ERR_409),
    },
)
def job_report(job_id: str, who: Caller, store: StoreDep, runner: RunnerDep) -> Response:
    """Return an analysis job's Excel report."""
    return _file(
        store,
        runner,
        who,
        job_id,
        "report.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "attachment",
    )


_LAYER_FILES = {
    ("parcels", "gpkg"): ("parcels.gpkg", "application/geopackage+sqlite3"),
    ("parcels", "geojson"): ("parcels.geojson", "application/geo+json"),
    ("parcels", "csv"): ("parcels.csv", "text/csv; charset=utf-8"),
    ("plan", "gpkg"): ("plan.gpkg", "application/geopackage+sqlite3"),
    ("plan", "geojson"): ("plan.geojson", "application/geo+json"),
    ("sites", "geojson"): ("plan_sites.geojson", "application/geo+json"),
    ("demand", "geojson"): ("plan_demand.geojson", "application/geo+json"),
    ("context", "geojson"): ("plan_context.geojson", "application/geo+json"),
}


@router.get(
    "/{job_id}/layers/{layer}",
    summary="结果图层 a result layer (GeoPackage, GeoJSON or CSV)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/geopackage+sqlite3": {}, "application/geo+json": {}, "text/csv": {}},
            "description": "analysis: layer `parcels`; plan: layer `plan`, and as GeoJSON `sites`, "
            "`demand` (covered or not), `context` (the park's other parcels)",
        },
        **errors(ERR_404, ERR_409, ERR_422),
    },
)
def job_layer(
    job_id: str,
    layer: Literal["parcels", "plan", "sites", "demand", "context"],
    who: Caller,
    store: StoreDep,
    runner: RunnerDep,
    format: Literal["gpkg", "geojson", "csv"] = "gpkg",
) -> Response:
    """Return a result layer of a successful job."""
    entry = _LAYER_FILES.get((layer, format))
    if entry is None:
        raise NotFoundError(f"没有 {layer}.{format} — no such layer/format")
    name, media = entry
    return _file(store, runner, who, job_id, name, media, "attachment")


__all__ = ["ERR_422", "job_out", "router"]
