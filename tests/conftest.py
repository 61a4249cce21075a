"""Shared fixtures: the tiny park of tests/optimizer/park.py and a scenario writer."""

from __future__ import annotations

import pytest

from tests.optimizer.park import make_tiny_park, scenario_writer


@pytest.fixture
def tiny_park(tmp_path):
    return make_tiny_park(tmp_path)


@pytest.fixture
def write_scenario(tmp_path):
    return scenario_writer(tmp_path)
