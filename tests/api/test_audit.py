"""``GET /audit``: cursor paging through the whole trail and every filter (issue 9, item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api.store import Principal
from api.store.tables import audit_log
from tests.api.conftest import Api


def _fill(api: Api, count: int) -> list[int]:
    """Write ``count`` audit entries in workspace ws1 (and a few in ws2) straight into the store."""
    store = api.client.app.state.store  # type: ignore[attr-defined]
    alice = Principal(token_id="t-alice", name="alice", role="planner", workspace="ws1")
    bob = Principal(token_id="t-bob", name="bob", role="admin", workspace="ws1")
    stranger = Principal(token_id="t-x", name="alice", role="admin", workspace="ws2")
    actions = [("dataset.upload", "dataset"), ("job.run", "job"), ("token.create", "token")]
    for i in range(count):
        action, kind = actions[i % 3]
        store.audit(alice if i % 2 else bob, action, kind, f"obj-{i}")
    for i in range(5):
        store.audit(stranger, "dataset.upload", "dataset", f"other-{i}")
    with store.read() as conn:
        ids = conn.execute(
            sa.select(audit_log.c.id).where(audit_log.c.workspace == "ws1").order_by(audit_log.c.id.desc())
        ).scalars()
        return list(ids)


def _pages(api: Api, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        answer = api.client.get("/audit", params=query, headers=api.h("admin"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "paging does not end"


def test_cursor_pages_reach_every_entry_once(api: Api) -> None:
    ids = _fill(api, 530)  # more than the old fixed window of 500
    pages = _pages(api, limit=200)
    assert [len(p) for p in pages] == [200, 200, 130]
    seen = [e["id"] for page in pages for e in page]
    assert seen == ids  # newest first, nothing twice, nothing missing: the oldest is reachable
    assert all(e["object_id"] and not e["object_id"].startswith("other-") for p in pages for e in p)


def test_default_page_and_entries_written_while_paging(api: Api) -> None:
    _fill(api, 150)
    first = api.client.get("/audit", headers=api.h("admin")).json()
    assert len(first["items"]) == 100 and first["next_cursor"]
    # a burst of new entries does not shift the next page
    store = api.client.app.state.store  # type: ignore[attr-defined]
    for i in range(30):
        store.audit(Principal("t", "late", "planner", "ws1"), "job.run", "job", f"late-{i}")
    second = api.client.get("/audit", params={"cursor": first["next_cursor"]}, headers=api.h("admin")).json()
    assert len(second["items"]) == 50 and second["next_cursor"] is None
    assert max(e["id"] for e in second["items"]) < min(e["id"] for e in first["items"])


def test_each_filter(api: Api) -> None:
    _fill(api, 90)

    def all_of(**params: Any) -> list[dict[str, Any]]:
        return [e for page in _pages(api, limit=25, **params) for e in page]

    uploads = all_of(action="dataset.upload")
    assert len(uploads) == 30 and {e["action"] for e in uploads} == {"dataset.upload"}
    family = all_of(action="token.")
    assert len(family) == 30 and {e["action"] for e in family} == {"token.create"}
    alice = all_of(actor="alice")
    assert len(alice) == 45 and {e["actor"] for e in alice} == {"alice"}  # ws2's alice not shown
    jobs = all_of(object_type="job")
    assert len(jobs) == 30 and {e["object_type"] for e in jobs} == {"job"}
    one = all_of(object_id="obj-7")
    assert [(e["object_id"], e["action"], e["actor"]) for e in one] == [("obj-7", "job.run", "alice")]
    both = all_of(actor="bob", action="dataset.upload")
    assert len(both) == 15 and all(int(e["object_id"][4:]) % 6 == 0 for e in both)


def test_time_range(api: Api) -> None:
    _fill(api, 10)
    store = api.client.app.state.store  # type: ignore[attr-defined]
    base = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with store.write() as conn:  # spread the entries over ten days, one a day at 08:00 UTC
        for k, entry_id in enumerate(sorted(_ids(store))):
            conn.execute(
                audit_log.update().where(audit_log.c.id == entry_id).values(at=base + timedelta(days=k))
            )
    window = _pages(api, since="2026-03-03T08:00:00Z", until="2026-03-06T08:00:00Z")[0]
    days = sorted(datetime.fromisoformat(e["at"]).day for e in window)
    assert days == [3, 4, 5]  # since inclusive, until exclusive
    # the same instant written in Beijing time (UTC+8)
    cst = _pages(api, since="2026-03-03T16:00:00+08:00", until="2026-03-05T00:00:00+08:00")[0]
    assert sorted(datetime.fromisoformat(e["at"]).day for e in cst) == [3, 4]
    assert _pages(api, since="2026-04-01T00:00:00")[0] == []


def _ids(store: Any) -> list[int]:
    with store.read() as conn:
        return list(conn.execute(sa.select(audit_log.c.id).where(audit_log.c.workspace == "ws1")).scalars())


def test_bad_paging_and_filters_are_422(api: Api) -> None:
    for params in (
        {"limit": 0},
        {"limit": 501},
        {"cursor": "abc"},
        {"cursor": "9" * 30},
        {"action": "x'; drop"},
        {"object_type": "planet"},
        {"since": "yesterday"},
        {"since": "2026-03-05T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
    ):
        answer = api.client.get("/audit", params=params, headers=api.h("admin"))
        assert answer.status_code == 422, (params, answer.text)
        assert answer.json()["error"]["code"] in ("validation_error", "invalid_input")


def test_audit_paging_is_documented(api: Api) -> None:
    doc = api.client.get("/openapi.json", headers=api.h("admin")).json()
    operation = doc["paths"]["/audit"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"limit", "cursor", "action", "actor", "object_type", "object_id", "since", "until"}
    assert all(p.get("description") for p in params.values())
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "next_cursor" in doc["components"]["schemas"][schema]["properties"]
