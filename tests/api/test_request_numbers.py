"""Non-finite and absurd numbers, over-long texts: a 422 naming the field (issue 9 item 5).

JSON has no Infinity or NaN, but Python's parser reads ``Infinity``, ``NaN`` and ``1e999`` (which
overflows to infinity); each one, and each magnitude past the documented bounds, must be refused
when the scenario is saved, never stored and shown back as ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from geo.errors import ConfigError
from optimizer.scenario import parse_scenario
from tests.api.conftest import Api, clinic_scenario, park_gpkg

# the documented bounds (docs/optimizer.md; optimizer.scenario.MAX_*)
MAX_WAN, MAX_METRES, MAX_NAME = 1e10, 1e6, 200

#: (key path in the scenario, the JSON text put there)
BAD_NUMBERS = [
    ("budget_wan", "Infinity"),
    ("budget_wan", "1e999"),
    ("budget_wan", "NaN"),
    ("budget_wan", f"{MAX_WAN * 10:g}"),
    ("facilities.0.radius_m", "Infinity"),
    ("facilities.0.radius_m", f"{MAX_METRES * 10:g}"),
    ("facilities.0.cost_wan", "1e999"),
    ("facilities.0.capacity", "-Infinity"),
    ("facilities.0.count", "1e300"),
    ("solver.time_limit_s", "Infinity"),
    ("solver.time_limit_s", "1e9"),
    ("solver.mip_gap", "NaN"),
    ("economics.compensation_wan_per_mu", "Infinity"),
    ("economics.horizon_years", "1e999"),
    ("land_shares.living_max", "NaN"),
    ("weights.coverage", "Infinity"),
]


def _raw(body: dict[str, Any], path: str, text: str) -> str:
    """The scenario as JSON text with ``text`` (not valid JSON, e.g. ``Infinity``) at ``path``."""
    marker = "__NUMBER__"
    node: Any = body
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[keys[-1]] = marker
    return json.dumps(body, ensure_ascii=False).replace(f'"{marker}"', text)


@pytest.fixture
def dataset(sqlite_api: Api, tmp_path: Path) -> str:
    r = sqlite_api.upload("planner", "park.gpkg", park_gpkg(tmp_path))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_non_finite_and_absurd_numbers_are_422_naming_the_field(sqlite_api: Api, dataset: str) -> None:
    h = sqlite_api.h("planner") | {"Content-Type": "application/json"}
    wrong = []
    for path, text in BAD_NUMBERS:
        r = sqlite_api.client.post(
            "/scenarios", headers=h, content=_raw(clinic_scenario(dataset), path, text)
        )
        if r.status_code != 422 or path.split(".")[-1] not in r.json()["error"]["message"]:
            wrong.append((path, text, r.status_code, r.text[:200]))
    assert wrong == []
    assert sqlite_api.client.get("/scenarios", headers=h).json()["items"] == []


def test_over_long_texts_are_422(sqlite_api: Api, dataset: str) -> None:
    h = sqlite_api.h("planner")
    for body in (
        clinic_scenario(dataset, name="名" * (MAX_NAME + 1)),
        clinic_scenario(dataset) | {"candidates": ["x" * 5000]},
        {
            **clinic_scenario(dataset),
            "facilities": [{"type": "clinic", "count": 1, "radius_m": 150, "label": "x" * 300}],
        },
        clinic_scenario(dataset, name=""),
    ):
        r = sqlite_api.client.post("/scenarios", headers=h, json=body)
        assert r.status_code == 422, r.text
    r = sqlite_api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset, name="名" * MAX_NAME))
    assert r.status_code == 201, r.text


def test_a_rules_document_with_infinity_is_422(sqlite_api: Api, dataset: str) -> None:
    h = sqlite_api.h("planner") | {"Content-Type": "application/json"}
    body = clinic_scenario(dataset) | {
        "rules": {"low_efficiency": {"rules": {"rs_unbuilt": {"ndvi_min": "__N__"}}}}
    }
    text = json.dumps(body).replace('"__N__"', "Infinity")
    r = sqlite_api.client.post("/scenarios", headers=h, content=text)
    assert r.status_code == 422 and "ndvi_min" in r.text, r.text
    r = sqlite_api.client.post("/runs-do-not-exist", headers=h, content="{}")
    assert r.status_code == 404
    r = sqlite_api.client.post("/scenarios/x/runs", headers=h, content='{"version": 1e999}')
    assert r.status_code == 422, r.text


def test_the_cli_scenario_refuses_infinity_too() -> None:
    raw = {"name": "x", "parcels": "p.gpkg", "objective": "revitalise", "budget_wan": float("inf")}
    with pytest.raises(ConfigError, match="budget_wan"):
        parse_scenario(raw)
