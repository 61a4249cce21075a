"""``/tokens`` and ``/audit``: token management and the audit trail, for admins of the workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import Admin, StoreDep
from api.errors import ConflictError
from api.routes.common import ERR_403, ERR_404, ERR_409, ERR_422, errors
from api.schemas import AuditEntry, AuditList, TokenCreated, TokenIn, TokenList, TokenOut
from api.store.repo import AuditFilter
from geo.errors import InputError, NotFoundError

router = APIRouter(tags=["admin"])


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    summary="创建令牌 create a token in this workspace",
    responses=errors(ERR_403, ERR_422),
)
def create_token(body: TokenIn, who: Admin, store: StoreDep) -> TokenCreated:
    """Create a token for the admin's workspace; the secret is shown only in this answer."""
    row, secret = store.create_token(body.name, body.role, who.workspace)
    store.audit(who, "token.create", "token", row["id"])
    return TokenCreated(**row, token=secret)


@router.get("/tokens", response_model=TokenList, summary="列出令牌 list tokens", responses=errors(ERR_403))
def list_tokens(who: Admin, store: StoreDep) -> TokenList:
    """Return the workspace's tokens (names, roles, dates; never secrets or hashes)."""
    return TokenList(items=[TokenOut(**r) for r in store.list_tokens(who.workspace)])


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="吊销令牌 revoke a token",
    responses=errors(ERR_403, ERR_404, ERR_409),
)
def revoke_token(token_id: str, who: Admin, store: StoreDep) -> Response:
    """Revoke a token of the workspace; it answers 401 from then on (not the caller's own token)."""
    if token_id == who.token_id:
        raise ConflictError("不能吊销正在使用的令牌 — an admin cannot revoke the token of this request")
    if not store.revoke_token(who.workspace, token_id):
        raise NotFoundError("令牌不存在或已吊销 — no such active token in this workspace")
    store.audit(who, "token.revoke", "token", token_id)
    return Response(status_code=204)


_ACTION_PATTERN = r"^[a-z_]+(\.[a-z_]*)?$"


class AuditQuery(BaseModel):
    """The query of ``GET /audit``: a page size, a cursor and the filters (combined with AND)."""

    limit: Annotated[int, Field(ge=1, le=500, description="每页条数 entries per page (1–500)")] = 100
    cursor: Annotated[
        str | None,
        Field(
            pattern=r"^[0-9]{1,18}$",
            description="上一页答复中的 `next_cursor`；不给则从最新一条开始 — the previous page's "
            "`next_cursor`; omit for the newest entries",
        ),
    ] = None
    action: Annotated[
        str | None,
        Field(
            max_length=64,
            pattern=_ACTION_PATTERN,
            description="操作，如 `dataset.upload`；以 `.` 结尾则匹配一类（`dataset.`）— an action, "
            "or a family of actions when it ends with `.`",
            examples=["dataset.upload", "token."],
        ),
    ] = None
    actor: Annotated[
        str | None, Field(max_length=200, description="执行者（令牌名称）who acted: the token's name")
    ] = None
    object_type: Annotated[
        Literal["dataset", "scenario", "job", "token"] | None,
        Field(description="对象类型 the kind of object acted on"),
    ] = None
    object_id: Annotated[
        str | None, Field(max_length=64, description="对象编号 the id of the object acted on")
    ] = None
    since: Annotated[
        datetime | None,
        Field(
            description="起始时间（含），ISO 8601；无时区按 UTC — from this time on (inclusive; naive = UTC)"
        ),
    ] = None
    until: Annotated[
        datetime | None,
        Field(
            description="截止时间（不含），ISO 8601；无时区按 UTC — before this time (exclusive; naive = UTC)"
        ),
    ] = None


@router.get(
    "/audit",
    response_model=AuditList,
    summary="审计日志（分页、筛选）the audit trail, paged and filtered",
    responses=errors(ERR_403, ERR_422),
)
def audit(who: Admin, store: StoreDep, query: Annotated[AuditQuery, Query()]) -> AuditList:
    """List uploads, runs, exports, deletions and token changes: who, what, when (no attribute values).

    Newest first, ``limit`` entries a page; pass ``next_cursor`` back as ``cursor`` for the next
    page. Paging is by entry number, so entries written meanwhile never shift or repeat a page, and
    nothing can be pushed out of reach. Filters combine with AND.
    """
    since, until = query.since, query.until
    if since is not None and until is not None and _utc(since) >= _utc(until):
        raise InputError("since 应早于 until — `since` must be earlier than `until`")
    rows, next_id = store.list_audit(
        who.workspace,
        limit=query.limit,
        before_id=int(query.cursor) if query.cursor else None,
        where=AuditFilter(
            action=query.action,
            actor=query.actor,
            object_type=query.object_type,
            object_id=query.object_id,
            since=since,
            until=until,
        ),
    )
    return AuditList(
        items=[AuditEntry(**{k: r[k] for k in AuditEntry.model_fields}) for r in rows],
        next_cursor=str(next_id) if next_id is not None else None,
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
