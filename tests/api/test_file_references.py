"""No request field reaches the server's file system (issue 9 item 1, hardening A7).

A rules preset in the service is a preset *name* or a rules document sent as JSON; data are dataset
ids of the workspace; layers are layers of those datasets. Anything path-like is a 422 when the
scenario or analysis is saved, and no answer, job record or log line ever holds a byte of a file the
service did not write — nor tells whether such a file exists.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Api, clinic_scenario, park_gpkg

SECRET = "TOPSECRET-7f3a9c"


def _plant(tmp_path: Path) -> Path:
    """A secret outside the data dir, written as a YAML mapping so a preset loader would parse it."""
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(f"name: {SECRET}\nidle:\n  fee_rate: {SECRET}\n", encoding="utf-8")
    (tmp_path / "outside" / "secret").write_text(f"name: {SECRET}\n", encoding="utf-8")
    return secret


def _park(api: Api, tmp_path: Path) -> str:
    r = api.upload("planner", "park.gpkg", park_gpkg(tmp_path))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _other_job_files(api: Api, tmp_path: Path) -> tuple[str, str]:
    """A finished plan of workspace ws2: its job id and a relative path to its spec.json."""
    dataset = _park_other(api, tmp_path)
    sid = api.client.post("/scenarios", headers=api.h("other"), json=clinic_scenario(dataset)).json()["id"]
    job = api.client.post(f"/scenarios/{sid}/runs", headers=api.h("other")).json()["job_id"]
    assert api.wait("other", job)["status"] == "successful"
    spec = api.settings.store.data_dir / "jobs" / job / "spec.json"
    assert spec.is_file()
    # plant the secret in the other workspace's files too (the scan below skips this one file)
    spec.write_text(json.dumps({"name": SECRET, **json.loads(spec.read_text())}), encoding="utf-8")
    return job, f"../{job}/spec.json"


def _park_other(api: Api, tmp_path: Path) -> str:
    folder = tmp_path / "other"
    folder.mkdir(exist_ok=True)
    r = api.upload("other", "park.gpkg", park_gpkg(folder))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _hostile_rules(secret: Path, relative_spec: str) -> list[Any]:
    return [
        str(secret),
        str(secret.with_suffix("")),  # no extension
        relative_spec,
        f"../{relative_spec.removeprefix('../')}".replace("spec.json", "out/plan.json"),
        "../../../outside/secret.yaml",
        "/etc/passwd",
        "/vsicurl?header_file=/etc/passwd&url=http://x",
        "spec",  # a file in the worker's own folder, no extension
        "national.yaml",
        "_base",  # a bundled helper file that is not a preset
        {"extends": str(secret)},
        {"extends": relative_spec},
        {"mujun": {"scheme": str(secret)}},
        {"mujun": {"scheme": "../../../outside/secret.yaml"}},
    ]


def _no_secret_anywhere(api: Api, caplog: pytest.LogCaptureFixture, planted: str | None = None) -> None:
    for path in api.settings.store.data_dir.rglob("*"):
        if path.is_file() and not (planted and path.parent.name == planted and path.name == "spec.json"):
            assert SECRET.encode() not in path.read_bytes(), f"the secret leaked into {path.name}"
    assert SECRET not in caplog.text


def test_rules_that_name_files_are_422_and_leak_nothing(
    sqlite_api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = _plant(tmp_path)
    planted, relative_spec = _other_job_files(sqlite_api, tmp_path)
    dataset = _park(sqlite_api, tmp_path)
    h = sqlite_api.h("planner")
    jobs_before = sqlite_api.client.get("/jobs", headers=h).json()["items"]
    for rules in _hostile_rules(secret, relative_spec):
        body = clinic_scenario(dataset) | {"rules": rules}
        r = sqlite_api.client.post("/scenarios", headers=h, json=body)
        assert r.status_code == 422, (rules, r.text)
        assert SECRET not in r.text
        assert "fee_rate" not in r.text or isinstance(rules, dict)
        r = sqlite_api.client.post("/analyses", headers=h, json={"dataset_id": dataset, "rules": rules})
        assert r.status_code == 422, (rules, r.text)
        assert SECRET not in r.text
    assert sqlite_api.client.get("/jobs", headers=h).json()["items"] == jobs_before
    assert sqlite_api.client.get("/scenarios", headers=h).json()["items"] == []
    _no_secret_anywhere(sqlite_api, caplog, planted)


def test_a_stored_scenario_naming_a_file_fails_its_run_without_reading_it(
    sqlite_api: Api, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A version stored before this check (or written into the store by hand) is refused by the worker."""
    caplog.set_level(logging.DEBUG)
    secret = _plant(tmp_path)
    dataset = _park(sqlite_api, tmp_path)
    store = sqlite_api.client.app.state.store  # type: ignore[attr-defined]
    for rules in (str(secret), {"extends": str(secret)}, {"mujun": {"scheme": str(secret)}}):
        body = clinic_scenario(dataset) | {"rules": rules}
        sid = store.create_scenario("ws1", "legacy", body, "planner")["id"]
        r = sqlite_api.client.post(f"/scenarios/{sid}/runs", headers=sqlite_api.h("planner"))
        assert r.status_code == 202, r.text
        job = sqlite_api.wait("planner", r.json()["job_id"])
        assert job["status"] == "failed"
        assert job["error_code"] == "invalid_config", job
        assert SECRET not in json.dumps(job)
    _no_secret_anywhere(sqlite_api, caplog)


def test_existence_of_a_file_cannot_be_probed(sqlite_api: Api, tmp_path: Path) -> None:
    secret = _plant(tmp_path)
    dataset = _park(sqlite_api, tmp_path)
    h = sqlite_api.h("planner")

    def answer(make: Any, path: Path) -> tuple[int, str]:
        body = clinic_scenario(dataset) | {"rules": make(str(path))}
        r = sqlite_api.client.post("/scenarios", headers=h, json=body)
        return r.status_code, re.sub(r"'[^']*'", "X", r.json()["error"]["message"])

    missing = secret.parent / "no-such-file.yaml"
    for make in (str, lambda p: {"extends": p}, lambda p: {"mujun": {"scheme": p}}):
        assert answer(make, secret) == answer(make, missing)
        assert answer(make, secret)[0] == 422


def test_rules_by_name_or_as_a_json_document(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = _park(sqlite_api, tmp_path)
    h = sqlite_api.h("planner")
    for rules in ("national", "zhejiang-jinhua", {"extends": "national", "idle": {"fee_rate": 0.1}}):
        r = sqlite_api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset) | {"rules": rules})
        assert r.status_code == 201, (rules, r.text)
    r = sqlite_api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset) | {"rules": "nope"})
    assert r.status_code == 422 and "national" in r.text  # the answer lists the presets
    bad = {"idle": {"fee_rate": 7}}
    r = sqlite_api.client.post("/scenarios", headers=h, json=clinic_scenario(dataset) | {"rules": bad})
    assert r.status_code == 422 and "rules" in r.text and "fee_rate" in r.text, r.text
    analysis = {
        "dataset_id": dataset,
        "layer": "parcels",
        "rules": {"extends": "national", "idle": {"fee_rate": 0.1}},
    }
    r = sqlite_api.client.post("/analyses", headers=h, json=analysis)
    assert r.status_code == 202, r.text
    job = sqlite_api.wait("planner", r.json()["job_id"])
    assert job["status"] == "successful", job["message"]


def test_layers_must_be_layers_of_the_dataset(sqlite_api: Api, tmp_path: Path) -> None:
    dataset = _park(sqlite_api, tmp_path)
    h = sqlite_api.h("planner")
    for layer in ("../../etc/passwd", "nosuchlayer", "parcels; DROP TABLE x"):
        body = clinic_scenario(dataset)
        body["parcels"]["layer"] = layer
        r = sqlite_api.client.post("/scenarios", headers=h, json=body)
        assert r.status_code == 422, (layer, r.text)
        assert "parcels" in r.json()["error"]["message"]
        r = sqlite_api.client.post("/analyses", headers=h, json={"dataset_id": dataset, "layer": layer})
        assert r.status_code == 422, (layer, r.text)
