"""Fixtures for the generic detectors: a generated series and CSV with one known fault."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detect.generic.testing import make_frame, make_series


@pytest.fixture
def series() -> np.ndarray:
    return make_series()


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "history.csv"
    make_frame().to_csv(path, index=False)
    return path
