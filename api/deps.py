"""Request dependencies: the store, the job runner, and who is calling (bearer token → principal).

Every route but ``/health`` depends on :func:`principal`; routes that change things depend on
:func:`planner` or :func:`admin`. The principal's workspace is then passed to every store query, so a
user never sees another workspace's objects — not in lists, not by id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import AuthenticationError, ForbiddenError
from api.jobs import JobRunner
from api.settings import Settings
from api.store import Principal, Store

_bearer = HTTPBearer(
    auto_error=False, description="`panhuo token create` 生成的令牌 — a token from `panhuo token create`"
)


def get_store(request: Request) -> Store:
    """Return the application's metadata store."""
    store: Store = request.app.state.store
    return store


def get_runner(request: Request) -> JobRunner:
    """Return the application's job runner."""
    runner: JobRunner = request.app.state.runner
    return runner


def get_settings(request: Request) -> Settings:
    """Return the application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    store: Annotated[Store, Depends(get_store)],
) -> Principal:
    """Return the caller, from ``Authorization: Bearer <token>``; 401 when missing, unknown or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError("需要令牌 — missing bearer token (Authorization: Bearer <token>)")
    token = credentials.credentials
    if len(token) > 200:
        raise AuthenticationError("令牌无效 — invalid or revoked token")
    who = store.principal_for(token)
    if who is None:
        raise AuthenticationError("令牌无效 — invalid or revoked token")
    request.state.principal = who
    return who


def planner(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """Return a caller who may upload, run and delete (role planner or admin)."""
    if not who.may("planner"):
        raise ForbiddenError("只读角色不能执行此操作 — a viewer may read but not upload, run or delete")
    return who


def expensive(request: Request, who: Annotated[Principal, Depends(planner)]) -> Principal:
    """Require a planner and count the request against the per-user limit (uploads, runs)."""
    request.app.state.rate_limiter.check(who.token_id)
    return who


def admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """Return a caller who may manage tokens and read the audit log (role admin)."""
    if not who.may("admin"):
        raise ForbiddenError("只有管理员可以执行此操作 — only an admin may do this")
    return who


Caller = Annotated[Principal, Depends(principal)]
Planner = Annotated[Principal, Depends(planner)]
Expensive = Annotated[Principal, Depends(expensive)]
Admin = Annotated[Principal, Depends(admin)]
StoreDep = Annotated[Store, Depends(get_store)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
