"""Every route × every role × another workspace, on SQLite and on PostgreSQL (hardening B1–B3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, parcels_geojson

# (method, path template, minimal role); ids are filled from the world built below
ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/datasets", "viewer"),
    ("POST", "/datasets", "planner"),
    ("GET", "/datasets/{dataset}", "viewer"),
    ("DELETE", "/datasets/{dataset}", "planner"),
    ("GET", "/datasets/{dataset}/data", "viewer"),
    ("POST", "/datasets/{dataset}/inspections", "planner"),
    ("POST", "/analyses", "planner"),
    ("GET", "/scenarios", "viewer"),
    ("POST", "/scenarios", "planner"),
    ("GET", "/scenarios/{scenario}", "viewer"),
    ("PUT", "/scenarios/{scenario}", "planner"),
    ("DELETE", "/scenarios/{scenario}", "planner"),
    ("GET", "/scenarios/{scenario}/versions/{version}", "viewer"),
    ("POST", "/scenarios/{scenario}/runs", "planner"),
    ("GET", "/scenarios/{scenario}/runs", "viewer"),
    ("GET", "/jobs", "viewer"),
    ("GET", "/jobs/{job}", "viewer"),
    ("DELETE", "/jobs/{job}", "planner"),
    ("GET", "/jobs/{job}/results", "viewer"),
    ("GET", "/jobs/{job}/map.html", "viewer"),
    ("GET", "/jobs/{job}/briefing.pdf", "viewer"),
    ("GET", "/jobs/{job}/report.xlsx", "viewer"),
    ("GET", "/jobs/{job}/layers/{layer}", "viewer"),
    ("POST", "/comparisons", "viewer"),
    ("GET", "/tokens", "admin"),
    ("POST", "/tokens", "admin"),
    ("DELETE", "/tokens/{token}", "admin"),
    ("GET", "/audit", "admin"),
    # the workbench's helpers (issue 13)
    ("GET", "/me", "viewer"),
    ("GET", "/presets", "viewer"),
    ("GET", "/jobs/{job}/indicator-scores", "viewer"),
    ("POST", "/jobs/{job}/briefings", "viewer"),
]
RANK = {"viewer": 0, "planner": 1, "admin": 2}


def _world(api: Api) -> dict[str, Any]:
    """In workspace ws1: a dataset, a scenario, a finished inspect job, a viewer token id."""
    r = api.upload("planner", "parcels.geojson", parcels_geojson())
    assert r.status_code == 201, r.text
    dataset = r.json()["id"]
    r = api.client.post(
        "/scenarios",
        headers=api.h("planner"),
        json={"name": "方案一", "parcels": dataset, "objective": "revitalise"},
    )
    assert r.status_code == 201, r.text
    scenario = r.json()["id"]
    r = api.client.post(f"/datasets/{dataset}/inspections", headers=api.h("planner"))
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert api.wait("planner", job)["status"] == "successful"
    tokens = api.client.get("/tokens", headers=api.h("admin")).json()["items"]
    token = next(t["id"] for t in tokens if t["name"] == "viewer")
    return {
        "dataset": dataset,
        "scenario": scenario,
        "job": job,
        "token": token,
        "version": 1,
        "layer": "parcels",
    }


def _request(api: Api, method: str, template: str, ids: dict[str, Any], headers: dict[str, str]) -> Any:
    path = template.format(**ids)
    kwargs: dict[str, Any] = {"headers": headers}
    if (method, template) == ("POST", "/datasets"):
        kwargs["files"] = {"file": ("p.geojson", parcels_geojson())}
    elif (method, template) == ("POST", "/analyses"):
        kwargs["json"] = {"dataset_id": ids["dataset"]}
    elif method in ("POST", "PUT") and template.startswith("/scenarios") and not template.endswith("/runs"):
        kwargs["json"] = {"name": "方案二", "parcels": ids["dataset"], "objective": "revitalise"}
    elif (method, template) == ("POST", "/comparisons"):
        kwargs["json"] = {"job_ids": [ids["job"], ids["job"]]}
    elif (method, template) == ("POST", "/jobs/{job}/briefings"):
        kwargs["json"] = {"parcels": ["P1"]}
    elif (method, template) == ("POST", "/tokens"):
        kwargs["json"] = {"name": "新人", "role": "viewer"}
    return api.client.request(method, path, **kwargs)


def test_route_table_covers_every_operation(sqlite_api: Api) -> None:
    spec = sqlite_api.client.get("/openapi.json", headers=sqlite_api.h("viewer")).json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if p != "/health"}
    listed = {
        (
            m,
            p.replace("{dataset}", "{dataset_id}")
            .replace("{scenario}", "{scenario_id}")
            .replace("{job}", "{job_id}")
            .replace("{token}", "{token_id}"),
        )
        for m, p, _ in ROUTES
    }
    assert documented == listed


def test_no_or_bad_or_revoked_token_is_401_everywhere(api: Api) -> None:
    ids = _world(api)
    # revoke a planner token of ws1 through the API, then use it
    _, revoked = api.client.app.state.store.create_token("gone", "planner", "ws1")  # type: ignore[attr-defined]
    rid = next(
        t["id"]
        for t in api.client.get("/tokens", headers=api.h("admin")).json()["items"]
        if t["name"] == "gone"
    )
    assert api.client.delete(f"/tokens/{rid}", headers=api.h("admin")).status_code == 204
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Basic {api.tokens['admin']}"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        for method, template, _role in ROUTES:
            r = _request(api, method, template, ids, headers)
            assert r.status_code == 401, (method, template, headers.keys(), r.status_code)
            assert r.json()["error"]["code"] == "unauthenticated"
            assert r.headers["www-authenticate"] == "Bearer"
    assert api.client.get("/health").status_code == 200


def test_roles_are_enforced(api: Api) -> None:
    ids = _world(api)
    for who in ("viewer", "planner"):
        for method, template, role in ROUTES:
            if RANK[role] <= RANK[who]:
                continue
            r = _request(api, method, template, ids, api.h(who))
            assert r.status_code == 403, (who, method, template, r.status_code, r.text)
            assert r.json()["error"]["code"] == "forbidden"
    # nothing was changed by the refused calls
    assert api.client.get(f"/datasets/{ids['dataset']}", headers=api.h("viewer")).status_code == 200
    assert (
        api.client.get(f"/scenarios/{ids['scenario']}", headers=api.h("viewer")).json()["latest_version"] == 1
    )
    # and a viewer may read
    assert api.client.get(f"/jobs/{ids['job']}/results", headers=api.h("viewer")).status_code == 200


def test_other_workspace_cannot_reach_anything(api: Api) -> None:
    ids = _world(api)
    for who in ("other", "other_admin"):
        for method, template, role in ROUTES:
            if RANK[role] > RANK["planner" if who == "other" else "admin"]:
                continue
            r = _request(api, method, template, ids, api.h(who))
            if "{" in template:
                assert r.status_code == 404, (who, method, template, r.status_code, r.text)
                assert r.json()["error"]["code"] == "not_found"
            elif (method, template) in (("POST", "/analyses"), ("POST", "/scenarios")):
                assert r.status_code == 422, (who, template, r.text)  # refers to ws1's dataset
            elif (method, template) == ("POST", "/comparisons"):
                assert r.status_code == 404
            elif template == "/me":
                assert r.status_code == 200 and r.json()["workspace"] != "ws1", r.text
            elif method == "GET":
                items = r.json()["items"]
                leaked = {i.get("id") for i in items} & {
                    ids["dataset"],
                    ids["scenario"],
                    ids["job"],
                    ids["token"],
                }
                assert not leaked, (template, leaked)
    # ws1's objects are all still there
    assert api.client.get(f"/datasets/{ids['dataset']}", headers=api.h("viewer")).status_code == 200
    assert api.client.get(f"/scenarios/{ids['scenario']}", headers=api.h("viewer")).status_code == 200
    assert api.client.get(f"/jobs/{ids['job']}", headers=api.h("viewer")).json()["status"] == "successful"
    tokens = api.client.get("/tokens", headers=api.h("admin")).json()["items"]
    assert all(t["revoked_at"] is None for t in tokens)


@pytest.mark.parametrize("guess", ["1", "2", "0", "00000000-0000-0000-0000-000000000001", "..", "%2e%2e"])
def test_guessed_ids_are_not_found(sqlite_api: Api, guess: str) -> None:
    for path in ("/datasets/{}", "/scenarios/{}", "/jobs/{}", "/jobs/{}/results"):
        r = sqlite_api.client.get(path.format(guess), headers=sqlite_api.h("admin"))
        if r.url.path == "/":
            # every client removes dot segments (RFC 3986 §5.2.4): "/datasets/.." is "/", the
            # workbench page — never a dataset
            assert guess == ".." and r.headers["content-type"].startswith("text/html")
            continue
        assert r.status_code == 404


def test_ids_are_random(sqlite_api: Api) -> None:
    ids = [sqlite_api.upload("planner", f"p{i}.geojson", parcels_geojson(1)).json()["id"] for i in range(3)]
    assert len(set(ids)) == 3
    assert all(len(i) >= 20 for i in ids)
