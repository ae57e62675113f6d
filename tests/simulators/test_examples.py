"""The runnable examples in the simulator's docstrings work as written."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["simulators", "simulators.weather", "simulators.fleet",
                                    "simulators.testing"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
