"""``POST /comparisons``: finished plan runs side by side (the table of ``panhuo compare``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Caller, StoreDep
from api.errors import ConflictError
from api.routes.common import ERR_404, ERR_409, ERR_422, errors
from api.schemas import ComparisonIn, ComparisonOut, ComparisonRow
from geo.errors import NotFoundError

router = APIRouter(tags=["comparisons"])


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@router.post(
    "/comparisons",
    response_model=ComparisonOut,
    summary="比较方案 compare plan runs",
    responses=errors(ERR_404, ERR_409, ERR_422),
)
def compare(body: ComparisonIn, who: Caller, store: StoreDep) -> ComparisonOut:
    """Objective, coverage, cost and sites of each successful plan run, in the order given."""
    rows = []
    for job_id in dict.fromkeys(body.job_ids):
        job = store.get_job(who.workspace, job_id)
        if job is None:
            raise NotFoundError(f"作业 {job_id} 不存在 — no such job in this workspace")
        if job["kind"] != "plan" or job["status"] != "successful":
            raise ConflictError(f"作业 {job_id} 不是已成功的规划作业 — not a successful plan run")
        plan = dict(job.get("result") or {})
        selected = plan.get("selected")
        rows.append(
            ComparisonRow(
                job_id=job_id,
                scenario_id=job.get("scenario_id"),
                scenario_version=job.get("scenario_version"),
                name=(job.get("params") or {}).get("name"),
                status=plan.get("status"),
                objective=_number(plan.get("objective")),
                coverage_ratio=_number(plan.get("coverage_ratio")),
                covered_demand=_number(plan.get("covered_demand")),
                total_cost_wan=_number(plan.get("total_cost_wan")),
                selected=len(selected) if isinstance(selected, list) else None,
                mip_gap=_number(plan.get("mip_gap")),
            )
        )
    return ComparisonOut(rows=rows)
