"""The workbench's files and small routes, through the app (no browser): served by panhuo itself,
with a CSP that allows only this origin's scripts and styles, nothing outside its folders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.workbench import PAGE_CSP, STATIC
from tests.api.conftest import Api, make_settings, start_api


@pytest.fixture
def wb(tmp_path: Path) -> Iterator[Api]:
    yield from start_api(make_settings(tmp_path / "data"))


def test_page_is_served_with_a_strict_csp(wb: Api) -> None:
    answer = wb.client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    csp = answer.headers["content-security-policy"]
    assert csp == PAGE_CSP
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "connect-src 'self'" in csp and "http" not in csp  # nothing off-host
    assert answer.headers["x-frame-options"] == "DENY"
    assert 'lang="zh-CN"' in answer.text


def test_every_asset_the_page_names_is_served_from_this_origin(wb: Api) -> None:
    html = wb.client.get("/").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    for url in assets:
        if url.startswith(("data:", "#")):
            continue
        assert url.startswith("/workbench/"), url  # no CDN
        answer = wb.client.get(url)
        assert answer.status_code == 200, url
    js = wb.client.get("/workbench/js/main.js")
    assert js.headers["content-type"].startswith("text/javascript")  # ES modules need a JS type
    for module in re.findall(r'from "\./([a-z]+\.js)"', js.text):
        assert wb.client.get(f"/workbench/js/{module}").status_code == 200, module


def test_no_module_imports_anything_off_host_or_writes_inline_styles() -> None:
    for path in (STATIC / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""https?://(?!www\.w3\.org/2000/svg")""", text), path.name  # SVG namespace
        assert "innerHTML" not in text, path.name  # text is set as text: uploaded names cannot inject markup
        assert 'style: "' not in text and 'setAttribute("style"' not in text, path.name
    assert "http" not in (STATIC / "app.css").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/workbench/../app.py",
        "/workbench/%2e%2e/__init__.py",
        "/workbench/js/../../__init__.py",
        "/workbench/vendor/leaflet/../../../api/app.py",
        "/workbench/vendor/nothing/leaflet.js",
        "/workbench/nothing.js",
        "/workbench/.hidden.js",
    ],
)
def test_nothing_outside_the_workbench_folders(wb: Api, path: str) -> None:
    answer = wb.client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_me_names_the_role_and_needs_a_token(wb: Api) -> None:
    assert wb.client.get("/me").status_code == 401
    for who, role in (("viewer", "viewer"), ("planner", "planner"), ("admin", "admin")):
        me = wb.client.get("/me", headers=wb.h(who)).json()
        assert me == {"name": who, "role": role, "workspace": "ws1"}


def test_presets_list_the_bundled_presets_with_ideal_values(wb: Api) -> None:
    assert wb.client.get("/presets").status_code == 401
    items = {p["name"]: p for p in wb.client.get("/presets", headers=wb.h("viewer")).json()["items"]}
    assert {"national", "zhejiang-jinhua", "guangxi-provisional"} <= set(items)
    national = items["national"]["scores"]["industry_led"]
    assert national["land_supply_rate"]["ideal"] > 0
    assert national["idle_land_rate"]["direction"] == "negative"


def test_labels_are_the_maps_labels(wb: Api) -> None:
    from maps import style

    labels = wb.client.get("/workbench/labels.json").json()
    assert labels["idle_status"]["idle"] == list(style.IDLE_STATUS["idle"])
    assert labels["reasons"]["far_below_min"][0] == style.LOW_EFF_REASONS["far_below_min"][0]


def test_indicator_scores_need_a_successful_analysis_of_the_workspace(wb: Api) -> None:
    assert wb.client.get("/jobs/nosuchjob/indicator-scores", headers=wb.h("viewer")).status_code == 404


@pytest.mark.parametrize("frontier", ["coverage", "coverage:bogus", "cost;drop", "coverage:cost:net_return"])
def test_a_run_asks_for_a_frontier_of_known_terms_only(wb: Api, frontier: str) -> None:
    answer = wb.client.post(
        "/scenarios/nosuchscenario/runs", headers=wb.h("planner"), json={"frontier": frontier}
    )
    assert answer.status_code == 422 and "frontier" in answer.json()["error"]["message"]


def test_frontier_steps_are_bounded(wb: Api) -> None:
    for steps in (1, 13):
        answer = wb.client.post(
            "/scenarios/nosuchscenario/runs",
            headers=wb.h("planner"),
            json={"frontier": "coverage:cost", "steps": steps},
        )
        assert answer.status_code == 422 and "steps" in answer.json()["error"]["message"]
