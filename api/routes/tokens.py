"""``/tokens`` and ``/audit``: token management and the audit trail, for admins of the workspace."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import Admin, StoreDep
from api.errors import ConflictError
from api.routes.common import ERR_403, ERR_404, ERR_409, ERR_422, errors
from api.schemas import AuditEntry, AuditList, TokenCreated, TokenIn, TokenList, TokenOut
from geo.errors import NotFoundError

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


@router.get("/audit", response_model=AuditList, summary="审计日志 the audit trail", responses=errors(ERR_403))
def audit(who: Admin, store: StoreDep) -> AuditList:
    """List uploads, runs, exports, deletions and token changes: who, what, when (no attribute values)."""
    return AuditList(
        items=[
            AuditEntry(**{k: r[k] for k in AuditEntry.model_fields}) for r in store.list_audit(who.workspace)
        ]
    )
