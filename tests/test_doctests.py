"""The examples in the docstrings run and give what they say (the model classes, the products)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "optimizer.models.base",
    "optimizer.models.coverage",
    "optimizer.models.median",
    "optimizer.models.center",
    "maps.products",
    "maps.style",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"
