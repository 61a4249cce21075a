"""Errors of the service and the one table that maps error classes to HTTP status codes.

Every answer that is not a success is ``{"error": {"code", "message", "correlation_id"}}``
(contract §8). No stack trace, path, SQL or file byte ever reaches a client: domain errors carry a
message written for the user, anything else becomes ``internal_error`` with only the correlation id
(the details go to the server log under the same id). The table follows stac-fastapi's
``api/errors.py``: the most specific class listed wins.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    ConfigError,
    InputError,
    NotFoundError,
    PanhuoError,
    SolverError,
    UnsupportedFormatError,
)

log = logging.getLogger("panhuo.api")


class ServiceError(PanhuoError):
    """Root of the errors the service itself raises."""

    code = "service_error"


class AuthenticationError(ServiceError, PermissionError):
    """No bearer token, or one that is unknown or revoked."""

    code = "unauthenticated"


class ForbiddenError(ServiceError, PermissionError):
    """The token's role may not do this (a viewer uploading, a planner managing tokens)."""

    code = "forbidden"


class ConflictError(ServiceError, ValueError):
    """The request does not fit the object's state (results of an unfinished job, …)."""

    code = "conflict"


class PayloadTooLargeError(InputError):
    """An upload or request body over its size cap, or a zip expanding past its budget."""

    code = "payload_too_large"


class QueueFullError(ServiceError, RuntimeError):
    """The job queue is full; the client should retry after ``retry_after`` seconds."""

    code = "queue_full"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DiskFullError(ServiceError, OSError):
    """The server's disk (or the database's) is full: nothing was stored; retry once space is freed."""

    code = "disk_full"


class StoreUnavailableError(ServiceError, ConnectionError):
    """The database cannot be reached (a PostgreSQL restart or failover) even after retrying."""

    code = "store_unavailable"


DISK_FULL_MESSAGE = (
    "服务器磁盘空间已满，本次操作未保存任何内容；请联系管理员释放空间后重试 — "
    "the server's disk is full: nothing was stored, retry once space has been freed"
)

#: errno values that mean "no space" (ENOSPC; EDQUOT: a quota, the same thing for the user)
_NO_SPACE_ERRNO = {28, 122}
#: what SQLite (SQLITE_FULL) and PostgreSQL (SQLSTATE 53100 disk_full, 53200 out of memory is not) say
_NO_SPACE_TEXT = ("database or disk is full", "no space left on device", "could not extend file")


def is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) means the disk is full.

    An :class:`OSError` with ``ENOSPC``/``EDQUOT``; SQLite's ``SQLITE_FULL`` ("database or disk is
    full"); PostgreSQL's SQLSTATE ``53100`` (``disk_full``) — also when wrapped by SQLAlchemy.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DiskFullError):
            return True
        if isinstance(error, OSError) and error.errno in _NO_SPACE_ERRNO:
            return True
        if getattr(error, "sqlstate", None) == "53100":
            return True
        if getattr(error, "sqlite_errorcode", None) == 13:  # SQLITE_FULL
            return True
        if type(error).__module__.startswith(("sqlite3", "psycopg")) and any(
            text in str(error).lower() for text in _NO_SPACE_TEXT
        ):
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


#: error class → HTTP status; the first class in the MRO found here decides
STATUS_BY_ERROR: dict[type[BaseException], int] = {
    AuthenticationError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    PayloadTooLargeError: 413,
    UnsupportedFormatError: 415,
    InputError: 422,
    ConfigError: 422,
    QueueFullError: 429,
    StoreUnavailableError: 503,
    DiskFullError: 507,
    SolverError: 500,
    PanhuoError: 400,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_format",
    422: "validation_error",
    429: "queue_full",
    503: "store_unavailable",
    507: "disk_full",
}


def status_for(error: BaseException) -> int:
    """Return the HTTP status of ``error``: its nearest class in :data:`STATUS_BY_ERROR`, else 500."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


class ErrorBody(BaseModel):
    """The inside of an error answer."""

    code: str = Field(..., examples=["not_found"])
    message: str = Field(..., examples=["数据集不存在 dataset not found"])
    correlation_id: str = Field(..., examples=["5f0c2b1e9d8a4c3b"])


class ErrorResponse(BaseModel):
    """Every error answer of the service."""

    error: ErrorBody


def _correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "-")


def error_response(
    status: int, code: str, message: str, correlation_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build the JSON error answer of the contract."""
    body = {"error": {"code": code, "message": message, "correlation_id": correlation_id}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(errors: list[Any]) -> str:
    # field locations and pydantic's wording only: never the offending input values
    parts = []
    for err in errors[:10]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc or 'body'}: {str(err.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "请求无效 invalid request — " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the contract's JSON error."""

    @app.exception_handler(PanhuoError)
    async def _domain(request: Request, exc: PanhuoError) -> JSONResponse:
        status = status_for(exc)
        cid = _correlation_id(request)
        headers = None
        if isinstance(exc, QueueFullError):
            headers = {"Retry-After": str(exc.retry_after)}
        elif isinstance(exc, AuthenticationError):
            headers = {"WWW-Authenticate": "Bearer"}
        if isinstance(exc, StoreUnavailableError | DiskFullError):
            headers = {"Retry-After": "30"}
            log.error("store error", extra={"correlation_id": cid, "error_code": exc.code})
            return error_response(status, exc.code, str(exc), cid, headers)
        if status >= 500:
            log.error("domain error", extra={"correlation_id": cid, "error_code": exc.code})
            return error_response(status, exc.code, "求解或内部处理失败 processing failed", cid, headers)
        return error_response(status, exc.code, str(exc), cid, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", _validation_message(list(exc.errors())), _correlation_id(request)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_BY_STATUS.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404 and message == "Not Found":
            message = "不存在 not found"
        return error_response(
            exc.status_code, code, message, _correlation_id(request), dict(exc.headers or {})
        )

    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        # a full disk (file write or database commit) is the operator's to fix, not a bug: 507
        if is_disk_full(exc):
            cid = _correlation_id(request)
            log.error("disk full", extra={"correlation_id": cid, "error_code": "disk_full"})
            return error_response(507, "disk_full", DISK_FULL_MESSAGE, cid, {"Retry-After": "30"})
        return await _unexpected(request, exc)

    # handled inside the middleware stack (security headers, correlation id), unlike Exception
    app.add_exception_handler(OSError, _storage)
    app.add_exception_handler(DBAPIError, _storage)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        cid = _correlation_id(request)
        log.exception("unhandled error", extra={"correlation_id": cid})
        return error_response(500, "internal_error", "内部错误 internal error", cid)
