"""HTTP conventions: JSON errors, security headers, CORS, body limits, OpenAPI, logs, audit, CLI."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from api.logs import JsonFormatter
from api.settings import HttpSettings
from tests.api.conftest import Api, make_settings, parcels_geojson, run_panhuo, start_api

HEADERS = (
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
    "cache-control",
    "strict-transport-security",
    "x-correlation-id",
)


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "correlation_id"}
    assert body["error"]["correlation_id"] == r.headers["x-correlation-id"]
    if code:
        assert body["error"]["code"] == code
    for word in ("Traceback", 'File "', "/tmp/", "SELECT", "sqlalchemy", "site-packages"):
        assert word not in r.text
    return body


def test_errors_are_json_without_internals(sqlite_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    c, h = sqlite_api.client, sqlite_api.h("planner")
    _error(c.get("/nowhere", headers=h), 404, "not_found")
    _error(c.put("/datasets", headers=h), 405, "method_not_allowed")
    body = _error(c.post("/analyses", headers=h, json={"dataset_id": "x", "as_of": "secret-value-42"}), 422)
    assert "secret-value-42" not in body["error"]["message"]  # never echo the input
    _error(c.post("/analyses", headers={**h, "content-type": "application/json"}, content=b"{not json"), 422)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("SELECT password FROM users WHERE path='/tmp/secret'")

    monkeypatch.setattr(c.app.state.store, "list_datasets", boom)  # type: ignore[attr-defined]
    body = _error(c.get("/datasets", headers=h), 500, "internal_error")
    assert "password" not in body["error"]["message"]


def test_security_headers_on_every_kind_of_answer(sqlite_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    c, h = sqlite_api.client, sqlite_api.h("planner")
    answers = [
        c.get("/health"),
        c.get("/datasets", headers=h),
        c.get("/datasets"),
        c.get("/datasets/nope", headers=h),
        c.post("/analyses", headers=h, content=b"x" * 70_000),
        c.get("/openapi.json", headers=h),
        c.get("/openapi.json"),
    ]
    monkeypatch.setattr(c.app.state.store, "list_scenarios", lambda *_: 1 / 0)  # type: ignore[attr-defined]
    answers.append(c.get("/scenarios", headers=h))
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 413, 200, 401, 500]
    for a in answers:
        for header in HEADERS:
            assert header in a.headers, (a.status_code, header)
        assert a.headers["x-content-type-options"] == "nosniff"
        assert a.headers["cache-control"] == "no-store"
        assert "frame-ancestors" in a.headers["content-security-policy"]


def test_cors_off_by_default(sqlite_api: Api) -> None:
    r = sqlite_api.client.options(
        "/datasets", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in r.headers
    r = sqlite_api.client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allow_list(tmp_path: Path) -> None:
    base = make_settings(tmp_path / "data")
    settings = base.model_copy(update={"http": HttpSettings(cors_origins=["https://gis.bureau.example"])})
    for api in start_api(settings):
        pre = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
        ok = api.client.options("/datasets", headers={"Origin": "https://gis.bureau.example", **pre})
        assert ok.headers["access-control-allow-origin"] == "https://gis.bureau.example"
        assert ok.headers["access-control-allow-credentials"] == "true"
        bad = api.client.options("/datasets", headers={"Origin": "https://evil.example", **pre})
        assert "access-control-allow-origin" not in bad.headers
        got = api.client.get("/datasets", headers={"Origin": "https://evil.example", **api.h("viewer")})
        assert "access-control-allow-origin" not in got.headers


def test_body_limits(sqlite_api: Api) -> None:
    c, h = sqlite_api.client, sqlite_api.h("planner")
    # declared too large: refused before the body is read
    _error(
        c.post(
            "/scenarios",
            headers={**h, "content-type": "application/json"},
            content=b"{" + b" " * 70_000 + b"}",
        ),
        413,
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    _error(c.post("/scenarios", headers={**h, "content-type": "application/json"}, content=chunks()), 413)
    # multipart with 1 001 parts, and a 2 MB non-file field
    parts = {f"f{i}": "x" for i in range(1001)}
    r = c.post("/datasets", headers=h, data=parts, files={"file": ("p.geojson", parcels_geojson())})
    assert r.status_code in (400, 413, 422) and r.json()["error"]
    r = c.post(
        "/datasets", headers=h, data={"name": "x" * (2 * 1024 * 1024)}, files={"file": ("p.geojson", b"{}")}
    )
    assert r.status_code in (400, 413) and r.json()["error"]
    assert c.get("/datasets", headers=h).json()["items"] == []


def test_openapi_documents_every_operation(sqlite_api: Api) -> None:
    spec = sqlite_api.client.get("/openapi.json", headers=sqlite_api.h("viewer")).json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            if path != "/health":
                assert "401" in op["responses"], (method, path)
                assert op.get("security"), (method, path)
    upload = spec["paths"]["/datasets"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["required"] == ["file"]
    schemas = spec["components"]["schemas"]
    assert schemas["ScenarioIn"]["examples"] and schemas["ErrorResponse"]
    assert spec["paths"]["/jobs/{job_id}/results"]["get"]["responses"]["200"]["content"]["application/json"][
        "example"
    ]


def test_logs_are_json_and_hold_no_values_or_tokens(sqlite_api: Api) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("panhuo")
    logger.addHandler(handler)
    try:
        secret_value = "机密企业甲-9f3a"
        doc = json.loads(parcels_geojson(1))
        doc["features"][0]["properties"]["enterprise"] = secret_value
        r = sqlite_api.upload("planner", "p.geojson", json.dumps(doc, ensure_ascii=False).encode())
        assert r.status_code == 201
        sqlite_api.client.get("/datasets/nope", headers=sqlite_api.h("viewer"))
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert any(line.get("path") == "/datasets" and line.get("status") == 201 for line in lines)
    assert all({"ts", "level", "msg"} <= set(line) for line in lines)
    text = buffer.getvalue()
    assert secret_value not in text
    assert all(token not in text for token in sqlite_api.tokens.values())
    audit = sqlite_api.client.get("/audit", headers=sqlite_api.h("admin")).json()["items"]
    assert audit[0]["action"] == "dataset.upload" and audit[0]["actor"] == "planner"
    assert secret_value not in json.dumps(audit, ensure_ascii=False)


def test_refused_upload_is_audited(sqlite_api: Api) -> None:
    sqlite_api.upload("planner", "x.tif", b"<VRTDataset/>")
    audit = sqlite_api.client.get("/audit", headers=sqlite_api.h("admin")).json()["items"]
    assert (audit[0]["action"], audit[0]["outcome"]) == ("dataset.upload", "refused")


def test_admin_manages_tokens_of_its_own_workspace(sqlite_api: Api) -> None:
    c = sqlite_api.client
    made = c.post("/tokens", headers=sqlite_api.h("admin"), json={"name": "新同事", "role": "viewer"})
    assert made.status_code == 201
    token = made.json()["token"]
    assert made.json()["workspace"] == "ws1"
    assert c.get("/datasets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = c.get("/tokens", headers=sqlite_api.h("admin")).json()["items"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert (
        c.post("/tokens", headers=sqlite_api.h("admin"), json={"name": "x", "role": "root"}).status_code
        == 422
    )
    assert (
        c.post(
            "/tokens", headers=sqlite_api.h("admin"), json={"name": "x", "role": "admin", "workspace": "ws2"}
        ).status_code
        == 422
    )


def _panhuo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_panhuo(*args, env=env, timeout=60)


def test_token_cli_prints_only_the_token(tmp_path: Path) -> None:
    done = _panhuo("token", "create", "--name", "张工", "--role", "planner", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert done.stdout == token + "\n" and re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)
    for api in start_api(make_settings(tmp_path)):
        r = api.client.get("/datasets", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        who = api.client.app.state.store.principal_for(token)  # type: ignore[attr-defined]
        assert (who.name, who.role, who.workspace) == ("张工", "planner", "张工")
    other = _panhuo(
        "token",
        "create",
        "--name",
        "李工",
        "--role",
        "viewer",
        "--workspace",
        "二期",
        "--data-dir",
        str(tmp_path),
    )
    assert other.returncode == 0
    bad = _panhuo("token", "create", "--name", "x", "--role", "root", "--data-dir", str(tmp_path))
    assert bad.returncode != 0 and bad.stdout == ""


def test_serve_cli_answers_health(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panhuo", "serve", "--port", str(port), "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, (
                    tmp_path / "serve.log"
                ).read_text()
                time.sleep(0.2)
        assert r.json()["status"] == "ok" and r.json()["store"] == "sqlite"
        assert httpx.get(f"http://127.0.0.1:{port}/jobs", timeout=2).status_code == 401
        assert (tmp_path / "d" / "panhuo.db").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_admin_cannot_revoke_its_own_token(sqlite_api: Api) -> None:
    c = sqlite_api.client
    own = next(
        t["id"]
        for t in c.get("/tokens", headers=sqlite_api.h("admin")).json()["items"]
        if t["name"] == "admin"
    )
    assert c.delete(f"/tokens/{own}", headers=sqlite_api.h("admin")).status_code == 409
    assert c.get("/tokens", headers=sqlite_api.h("admin")).status_code == 200


def test_undecodable_body_is_a_documented_400(sqlite_api: Api) -> None:
    r = sqlite_api.client.post(
        "/scenarios",
        headers={**sqlite_api.h("planner"), "content-type": "application/json"},
        content=b"\xff\xfe\x00",
    )
    assert r.status_code in (400, 422) and r.json()["error"]["code"] in ("bad_request", "validation_error")


def test_relative_data_dir_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for api in start_api(make_settings(Path("relative-data"))):
        assert api.settings.store.data_dir == tmp_path / "relative-data"
        r = api.upload("planner", "p.geojson", parcels_geojson())
        assert r.status_code == 201, r.text


def test_expensive_operations_are_rate_limited_per_user(tmp_path: Path) -> None:
    base = make_settings(tmp_path / "data")
    settings = base.model_copy(update={"http": HttpSettings(expensive_per_minute=2)})
    for api in start_api(settings):
        data = parcels_geojson(1)
        assert [api.upload("planner", f"p{i}.geojson", data).status_code for i in range(2)] == [201, 201]
        third = api.upload("planner", "p3.geojson", data)
        body = _error(third, 429, "rate_limited")
        assert 1 <= int(third.headers["retry-after"]) <= 60 and "rate limit" in body["error"]["message"]
        # the limit is per user: another token of the same workspace is not affected, reads are not counted
        assert api.upload("admin", "p4.geojson", data).status_code == 201
        assert all(api.client.get("/datasets", headers=api.h("planner")).status_code == 200 for _ in range(5))
