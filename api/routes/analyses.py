"""``POST /analyses``: analyse an uploaded parcel layer in a worker (``202`` + job id)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Expensive, RunnerDep, StoreDep
from api.routes.common import ERR_403, ERR_422, ERR_429, check_layer, errors, upload_columns
from api.schemas import AnalysisIn, JobCreated
from geo.errors import InputError

router = APIRouter(tags=["analyses"])


@router.post(
    "/analyses",
    status_code=202,
    response_model=JobCreated,
    summary="启动用地分析 start an analysis",
    responses=errors(ERR_403, ERR_422, ERR_429),
)
def start_analysis(body: AnalysisIn, who: Expensive, store: StoreDep, runner: RunnerDep) -> JobCreated:
    """Queue an analysis (idle land, low efficiency, indicators) of a parcel dataset."""
    parcels = store.get_dataset(who.workspace, body.dataset_id)
    if parcels is None or parcels["kind"] != "vector":
        raise InputError("dataset_id 不是本工作空间的矢量地块数据集 — not a vector dataset of this workspace")
    check_layer(parcels, body.layer, "layer")
    for name, raster_id in (body.rasters or {}).items():
        raster = store.get_dataset(who.workspace, raster_id)
        if raster is None or raster["kind"] != "raster":
            raise InputError(
                f"栅格 {name} 不是本工作空间的栅格数据集 — rasters.{name} is not a raster dataset here"
            )
    params = body.model_dump(mode="json", exclude_none=True)
    if body.columns is None and upload_columns(parcels) is not None:
        params["columns"] = upload_columns(parcels)  # the mapping given at upload
    job = runner.submit(
        {
            "workspace": who.workspace,
            "kind": "analysis",
            "dataset_id": body.dataset_id,
            "params": params,
            "created_by": who.name,
        },
        owner=who.token_id,
    )
    store.audit(who, "job.run", "job", job["id"])
    return JobCreated(job_id=job["id"])
