"""The seeded examples in the generic detectors' docstrings run and stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "base", "csv_io", "ensemble", "episodes", "errors", "features", "iforest", "maxz", "pca",
    "pipeline", "testing", "threshold",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    module = importlib.import_module(f"detect.generic.{name}")
    failures, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
