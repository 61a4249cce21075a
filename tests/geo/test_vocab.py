"""geo.vocab is the one place for status codes, supply types, truthy spellings and indicator labels.

Checked here: every status and reason code the rules can emit has a label wherever it is shown; the
Excel report, the web map and the charts name every indicator with the same string; the ingest and
the optimizer read the same spellings as true; and geo.vocab imports nothing from the project.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geo.vocab as vocab
from geo import export, indicators
from geo.coerce import coerce_column
from geo.rules import idle
from geo.rules.presets import REASON_CODES
from geo.schema import FIELDS_BY_NAME, SUPPLY_TYPES
from maps import style, web
from optimizer.inputs import _bool


def test_vocab_imports_nothing_from_the_project():
    tree = ast.parse(Path(vocab.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert imported <= {"__future__", "typing"}


def test_every_idle_status_the_rule_emits_has_a_label_in_report_and_map():
    # evaluate_idle writes np.array(STATUSES)[status]: these are all the codes it can emit
    assert idle.STATUSES is vocab.IDLE_STATUSES
    assert set(vocab.IDLE_STATUS_LABELS_ZH) == set(vocab.IDLE_STATUSES)
    assert all(vocab.IDLE_STATUS_LABELS_ZH.values())
    assert set(style.IDLE_STATUS) == set(vocab.IDLE_STATUSES)
    assert set(vocab.IDLE_CLASSES) < set(vocab.IDLE_STATUSES)
    assert style.IDLE_CODES is vocab.IDLE_CLASSES
    assert vocab.IDLE_RECOVERABLE in vocab.IDLE_CLASSES


def test_every_low_efficiency_reason_has_a_label_in_report_and_map():
    assert set(REASON_CODES) <= set(export.REASON_LABELS_ZH)
    assert set(REASON_CODES) <= set(style.LOW_EFF_REASONS)


def test_supply_types_and_unsupplied():
    assert FIELDS_BY_NAME["supply_type"].values is SUPPLY_TYPES is vocab.SUPPLY_TYPES
    assert vocab.UNSUPPLIED in set(SUPPLY_TYPES.values())
    assert SUPPLY_TYPES["unsupplied"] == vocab.UNSUPPLIED


def test_report_map_and_charts_use_one_label_per_indicator():
    assert export.INDICATOR_LABELS_ZH is vocab.INDICATOR_LABELS_ZH
    for key in indicators.INDICATOR_KEYS + indicators.POTENTIAL_KEYS:
        if key != "potential":
            assert vocab.INDICATOR_LABELS_ZH[key], key
    for key, (label, kind) in web.INDICATOR_LABELS.items():
        assert label == export.INDICATOR_LABELS_ZH[key], key
        assert (kind == "percent") == (key in export.RATE_KEYS), key
    assert web.ZONE_TYPES is export.ZONE_TYPE_ZH
    # the rule book's name for the score (规程 §3.4: 集约度分值)
    assert web.INDICATOR_LABELS["intensity_score"].label == "土地利用集约度分值"


@pytest.mark.parametrize("text", [*sorted(vocab.TRUTHY), "YES", " True ", "是 "])
def test_ingest_and_optimizer_read_the_same_spellings_as_true(text):
    read = coerce_column(pd.Series([text]), FIELDS_BY_NAME["above_scale"])
    assert bool(read.values.iloc[0]) is True
    assert _bool(pd.Series([text])).tolist() == [True]


@pytest.mark.parametrize("text", [*vocab.FALSE_WORDS, *vocab.FALSE_TICKS, "", "也许"])
def test_optimizer_reads_false_and_unknown_spellings_as_false(text):
    assert _bool(pd.Series([text])).tolist() == [False]
    read = coerce_column(pd.Series([text]), FIELDS_BY_NAME["above_scale"])
    value = read.values.iloc[0]
    assert value is pd.NA or value is None or (isinstance(value, float) and np.isnan(value)) or not value


def test_maps_and_report_name_each_status_and_reason_alike():
    """The map legend, the popup and the briefing say what the Excel report says (one table)."""
    from geo.export import REASON_LABELS_ZH
    from geo.vocab import IDLE_STATUS_LABELS_ZH
    from maps.style import IDLE_STATUS, LOW_EFF_REASONS, idle_label, reason_label

    assert {code: label for code, (label, _) in IDLE_STATUS.items()} == IDLE_STATUS_LABELS_ZH
    assert {code: label for code, (label, _) in LOW_EFF_REASONS.items()} == REASON_LABELS_ZH
    assert idle_label("idle_recoverable") == "闲置满两年（可无偿收回）"
    assert reason_label("far_below_min") == "容积率低于行业下限"
