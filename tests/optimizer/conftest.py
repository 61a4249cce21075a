"""Fixtures of the optimizer tests: the tiny park and a scenario writer (see park.py)."""

from __future__ import annotations

import pytest

from tests.optimizer.park import make_tiny_park, scenario_writer


@pytest.fixture
def tiny_park(tmp_path):
    return make_tiny_park(tmp_path)


@pytest.fixture
def write_scenario(tmp_path):
    return scenario_writer(tmp_path)
