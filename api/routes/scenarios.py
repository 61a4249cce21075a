"""``/scenarios``: versioned scenarios (an edit is a new version) and their runs."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from api.deps import Caller, Expensive, Planner, RunnerDep, StoreDep
from api.routes.common import ERR_403, ERR_404, ERR_422, ERR_429, check_layer, errors
from api.routes.jobs import job_out
from api.schemas import (
    JobCreated,
    JobList,
    RunIn,
    ScenarioCreated,
    ScenarioIn,
    ScenarioList,
    ScenarioOut,
    ScenarioSummary,
)
from api.store import Principal, Store, new_id
from geo.errors import InputError, NotFoundError

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


def _check_datasets(store: Store, who: Principal, body: ScenarioIn) -> None:
    """Every layer reference names a vector dataset of the workspace, and a layer it has."""
    for key, ref in body.dataset_refs().items():
        row = store.get_dataset(who.workspace, ref.path)
        if row is None or row["kind"] != "vector":
            raise InputError(
                f"{key}: 场景引用的数据集 {ref.path} 不是本工作空间的矢量数据集 — "
                "the scenario names a dataset that is not a vector dataset of this workspace"
            )
        check_layer(row, ref.layer, f"{key}.layer")


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="可选：客户端为本次保存生成的唯一键（如 UUID）。带同一键重发（网络中断、超时后）"
        "返回第一次保存的 id 与版本，不会多出一个版本 — optional client-chosen key; repeating the request "
        "with the same key returns the version the first attempt stored instead of adding another",
    ),
]


def _request_key(who: Principal, operation: str, client_key: str | None) -> str:
    """Return the key stored with the version: the client's key scoped to its token and operation.

    Without a client key every request gets a random one, so the server's own retries after a lost
    database connection stay idempotent (hardening D7).
    """
    raw = "\x1f".join((who.workspace, who.token_id, operation, client_key or "auto:" + new_id()))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _created(saved: dict[str, Any]) -> ScenarioCreated:
    return ScenarioCreated(id=saved["id"], version=saved["version"])


def _body(body: ScenarioIn) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_none=True, exclude_defaults=True) | {"name": body.name}


@router.post(
    "",
    status_code=201,
    response_model=ScenarioCreated,
    summary="保存场景 save a scenario (version 1)",
    responses=errors(ERR_403, ERR_422),
)
def create_scenario(
    body: ScenarioIn, who: Planner, store: StoreDep, idempotency_key: IdempotencyKey = None
) -> ScenarioCreated:
    """Store a scenario and its first version, in one transaction (whole or not at all)."""
    _check_datasets(store, who, body)
    key = _request_key(who, "POST /scenarios", idempotency_key)
    created = store.create_scenario(who.workspace, body.name, _body(body), who.name, request_key=key)
    if not created["replayed"]:
        store.audit(who, "scenario.create", "scenario", created["id"])
    return _created(created)


@router.get("", response_model=ScenarioList, summary="列出场景 list scenarios", responses=errors())
def list_scenarios(who: Caller, store: StoreDep) -> ScenarioList:
    """Return the workspace's scenarios, most recently edited first."""
    return ScenarioList(items=[ScenarioSummary(**r) for r in store.list_scenarios(who.workspace)])


def _scenario(store: Store, who: Principal, scenario_id: str, version: int | None) -> ScenarioOut:
    row = store.get_scenario(who.workspace, scenario_id)
    if row is None:
        raise NotFoundError("场景不存在 — no such scenario in this workspace")
    wanted = version or row["latest_version"]
    stored = store.get_scenario_version(who.workspace, scenario_id, wanted)
    if stored is None:
        raise NotFoundError(f"场景没有版本 {wanted} — the scenario has no version {wanted}")
    return ScenarioOut(
        id=row["id"],
        name=row["name"],
        latest_version=row["latest_version"],
        version=wanted,
        body=stored["body"],
        versions=row["versions"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@router.get(
    "/{scenario_id}",
    response_model=ScenarioOut,
    summary="场景（最新版本）a scenario",
    responses=errors(ERR_404),
)
def get_scenario(scenario_id: str, who: Caller, store: StoreDep) -> ScenarioOut:
    """Return a scenario with its latest version's body and the list of versions."""
    return _scenario(store, who, scenario_id, None)


@router.get(
    "/{scenario_id}/versions/{version}",
    response_model=ScenarioOut,
    summary="场景的某一版本 one version",
    responses=errors(ERR_404),
)
def get_scenario_version(scenario_id: str, version: int, who: Caller, store: StoreDep) -> ScenarioOut:
    """Return a scenario with the body of the version asked for."""
    return _scenario(store, who, scenario_id, version)


@router.put(
    "/{scenario_id}",
    status_code=201,
    response_model=ScenarioCreated,
    summary="修改场景（新版本）edit: store a new version",
    responses=errors(ERR_403, ERR_404, ERR_422),
)
def edit_scenario(
    scenario_id: str, body: ScenarioIn, who: Planner, store: StoreDep, idempotency_key: IdempotencyKey = None
) -> ScenarioCreated:
    """Store the edit as a new version; earlier versions and their runs are kept unchanged."""
    if store.get_scenario(who.workspace, scenario_id) is None:
        raise NotFoundError("场景不存在 — no such scenario in this workspace")
    _check_datasets(store, who, body)
    key = _request_key(who, f"PUT /scenarios/{scenario_id}", idempotency_key)
    created = store.add_scenario_version(
        who.workspace, scenario_id, body.name, _body(body), who.name, request_key=key
    )
    if created is None:
        raise NotFoundError("场景不存在 — no such scenario in this workspace")
    if not created["replayed"]:
        store.audit(who, "scenario.edit", "scenario", scenario_id)
    return _created(created)


@router.delete(
    "/{scenario_id}",
    status_code=204,
    summary="删除场景 delete a scenario and its versions",
    responses=errors(ERR_403, ERR_404),
)
def delete_scenario(scenario_id: str, who: Planner, store: StoreDep) -> Response:
    """Delete a scenario with all its versions (its runs' results stay until dismissed)."""
    if not store.delete_scenario(who.workspace, scenario_id):
        raise NotFoundError("场景不存在 — no such scenario in this workspace")
    store.audit(who, "scenario.delete", "scenario", scenario_id)
    return Response(status_code=204)


@router.post(
    "/{scenario_id}/runs",
    status_code=202,
    response_model=JobCreated,
    summary="运行场景 run a scenario (plan job)",
    responses=errors(ERR_403, ERR_404, ERR_422, ERR_429),
)
def run_scenario(
    scenario_id: str, who: Expensive, store: StoreDep, runner: RunnerDep, body: RunIn | None = None
) -> JobCreated:
    """Queue a plan job for a version of the scenario (default: the latest)."""
    scenario = _scenario(store, who, scenario_id, body.version if body else None)
    job = runner.submit(
        {
            "workspace": who.workspace,
            "kind": "plan",
            "dataset_id": (scenario.body.get("parcels") or {}).get("path"),
            "scenario_id": scenario.id,
            "scenario_version": scenario.version,
            "params": {"name": scenario.name}
            | ({"frontier": body.frontier, "steps": body.steps} if body and body.frontier else {}),
            "created_by": who.name,
        },
        owner=who.token_id,
    )
    store.audit(who, "job.run", "job", job["id"])
    return JobCreated(job_id=job["id"])


@router.get(
    "/{scenario_id}/runs",
    response_model=JobList,
    summary="场景的运行记录 runs of a scenario",
    responses=errors(ERR_404),
)
def list_runs(scenario_id: str, who: Caller, store: StoreDep) -> JobList:
    """Return the plan jobs of a scenario, newest first."""
    if store.get_scenario(who.workspace, scenario_id) is None:
        raise NotFoundError("场景不存在 — no such scenario in this workspace")
    return JobList(items=[job_out(j) for j in store.list_jobs(who.workspace, scenario_id=scenario_id)])
