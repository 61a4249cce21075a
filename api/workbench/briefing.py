"""``POST /jobs/{id}/briefings``: a briefing of the parcels a planner selected in an analysis.

The job's own ``briefing.pdf`` briefs its idle and low-efficiency land; the workbench lets a planner
pick parcels in the table and brief exactly those (``panhuo brief --analysis DIR --parcels ID …``).
Building a briefing reads result files and draws maps, so it runs in an isolated worker like an
upload check (:meth:`api.jobs.JobRunner.run_now`, worker kind ``briefing``); the PDF is answered
and then removed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import Field, field_validator
from starlette.background import BackgroundTask

from api.deps import Caller, RunnerDep, StoreDep
from api.errors import ConflictError
from api.jobspec import BriefingInputs, JobSpec
from api.routes.common import ERR_404, ERR_409, ERR_422, ERR_429, error_from_outcome, errors
from api.schemas import Strict
from api.store import new_id
from geo.errors import NotFoundError

router = APIRouter(tags=["jobs"])


class BriefingIn(Strict):
    """The parcels to brief (ids of the analysed layer)."""

    parcels: list[str] = Field(..., min_length=1, max_length=200, examples=[["YL-GX-0127", "YL-GX-0200"]])

    @field_validator("parcels")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        if any(not v.strip() or len(v) > 100 for v in value):
            raise ValueError("parcel ids are non-empty and at most 100 characters")
        return list(dict.fromkeys(value))


@router.post(
    "/jobs/{job_id}/briefings",
    summary="所选地块的简报 a briefing of selected parcels of an analysis",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "briefing.pdf of the parcels asked for"},
        **errors(ERR_404, ERR_409, ERR_422, ERR_429),
    },
)
async def brief_parcels(
    job_id: str, body: BriefingIn, who: Caller, store: StoreDep, runner: RunnerDep
) -> Response:
    """Build the briefing of the given parcels of a successful analysis (any role: it only reads)."""
    job = store.get_job(who.workspace, job_id)
    if job is None:
        raise NotFoundError("作业不存在 — no such job in this workspace")
    if job["kind"] != "analysis" or job["status"] != "successful":
        raise ConflictError("不是已成功的分析作业 — not a successful analysis job")
    job_dir = Path(runner.job_dir(job_id))
    work = job_dir / "briefings" / new_id()
    spec = JobSpec(
        kind="briefing",
        inputs=BriefingInputs(analysis_dir=str(job_dir / "out"), out=str(work / "briefing.pdf")),
        params={"parcels": body.parcels},
        scrub=[str(job_dir)],
    )
    try:
        outcome = await run_in_threadpool(runner.run_now, spec, work)
        if outcome["status"] != "successful":
            raise error_from_outcome(outcome.get("error") or {})
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    store.audit(who, "job.export", "job", job_id)
    return FileResponse(
        work / "briefing.pdf",
        media_type="application/pdf",
        filename=f"{job_id}-parcels-briefing.pdf",
        content_disposition_type="attachment",
        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True),
    )
