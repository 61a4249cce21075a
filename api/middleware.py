"""HTTP conventions applied to every answer, as one pure ASGI middleware.

* a correlation id per request (``X-Correlation-ID``; a client's well-formed ``X-Request-ID`` is
  reused), echoed in every error body and every log line;
* request-size limits: the upload route may carry ``uploads.max_upload_mb``, every other route
  ``uploads.max_body_kb``; a larger ``Content-Length`` is refused before the body is read, and a
  chunked body is counted as it streams (``413`` either way, hardening B5);
* security headers on every answer, 2xx to 5xx (B8): ``nosniff``, ``frame-ancestors``/
  ``X-Frame-Options``, ``Referrer-Policy``, a CSP (routes serving HTML set their own), ``no-store``,
  and HSTS;
* any exception that escapes the app becomes the contract's JSON ``internal_error`` (no stack
  trace), and each request is logged as one JSON line.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

log = logging.getLogger("panhuo.api.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")
_UPLOAD_ROUTES = (("POST", "/datasets"),)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "geolocation=(), camera=(), microphone=()",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
#: the OpenAPI page needs its own scripts and styles
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)


class _TooLarge(Exception):
    pass


class ConventionsMiddleware:
    """Correlation ids, body limits, security headers, JSON 500s and access logs."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, scope: Scope) -> int:
        method, path = scope.get("method", ""), scope.get("path", "")
        if (method, path.rstrip("/") or "/") in _UPLOAD_ROUTES:
            return self.settings.uploads.max_upload_bytes
        return self.settings.uploads.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (other scopes pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        supplied = headers.get("x-request-id", "")
        cid = supplied if _REQUEST_ID.match(supplied) else secrets.token_hex(8)
        scope.setdefault("state", {})["correlation_id"] = cid
        started = time.perf_counter()
        limit = self._limit(scope)
        state: dict[str, Any] = {"status": 500, "started": False, "exceeded": False, "swallow": False}
        path = scope.get("path", "")
        csp = DOCS_CSP if path in ("/docs", "/redoc") else API_CSP

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                if state["exceeded"]:
                    state["swallow"] = True
                    await self._send_error(
                        send, 413, "payload_too_large", self._too_large_msg(limit), cid, csp
                    )
                    state["started"] = True
                    state["status"] = 413
                    return
                state["started"] = True
                state["status"] = message["status"]
                raw = list(message.get("headers", []))
                present = {k.decode("latin-1").lower() for k, _ in raw}
                raw.append((b"x-correlation-id", cid.encode()))
                for key, value in self._security_headers(csp).items():
                    if key not in present:
                        raw.append((key.encode(), value.encode()))
                message = {**message, "headers": raw}
            elif message["type"] == "http.response.body" and state["swallow"]:
                return
            await send(message)

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._send_error(send, 413, "payload_too_large", self._too_large_msg(limit), cid, csp)
            self._log(scope, 413, started, cid)
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["exceeded"] = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, receive_counted, send_wrapped)
        except Exception as error:
            if not state["started"]:
                if state["exceeded"] or isinstance(error, _TooLarge):
                    await self._send_error(
                        send, 413, "payload_too_large", self._too_large_msg(limit), cid, csp
                    )
                    state["status"] = 413
                else:
                    log.exception("unhandled error", extra={"correlation_id": cid})
                    await self._send_error(send, 500, "internal_error", "内部错误 internal error", cid, csp)
                    state["status"] = 500
            else:
                log.exception("error after the answer started", extra={"correlation_id": cid})
        self._log(scope, state["status"], started, cid)

    @staticmethod
    def _too_large_msg(limit: int) -> str:
        return f"请求体超过上限 {limit} 字节 — request body larger than {limit} bytes"

    def _security_headers(self, csp: str) -> dict[str, str]:
        out = dict(SECURITY_HEADERS)
        out["content-security-policy"] = csp
        out["cache-control"] = "no-store"
        if self.settings.http.hsts:
            out["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        return out

    async def _send_error(self, send: Send, status: int, code: str, message: str, cid: str, csp: str) -> None:
        body = json.dumps(
            {"error": {"code": code, "message": message, "correlation_id": cid}}, ensure_ascii=False
        ).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-correlation-id", cid.encode()),
            (b"connection", b"close"),
        ]
        headers += [(k.encode(), v.encode()) for k, v in self._security_headers(csp).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, status: int, started: float, cid: str) -> None:
        who = scope.get("state", {}).get("principal")
        log.info(
            "request",
            extra={
                "correlation_id": cid,
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "actor": getattr(who, "name", None),
                "workspace": getattr(who, "workspace", None),
            },
        )
