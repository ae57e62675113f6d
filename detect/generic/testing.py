"""Test helpers: small generated series with a known fault, for users' tests and ours.

>>> values = make_series(seed=1)
>>> values.shape, FAULT
((900, 3), slice(600, 700, None))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detect.generic.base import FloatArray

ROWS = 900
FAULT = slice(600, 700)
"""Rows where :func:`make_series` shifts column 1 (``pressure``)."""


def make_series(seed: int = 0, rows: int = ROWS, shift: float = 3.0) -> FloatArray:
    """Columns: white noise, a noisy steady level (sd 0.5), a slow upward drift.

    Column 1 is shifted by ``shift`` of its standard deviations on the rows :data:`FAULT`.
    """
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=rows)
    level = 5.0 + 0.5 * rng.normal(size=rows)
    drift = 20.0 + np.linspace(0.0, 6.0, rows) + 0.05 * rng.normal(size=rows)
    level[FAULT] += shift * 0.5
    return np.column_stack([noise, level, drift])


def make_frame(seed: int = 0, rows: int = ROWS, shift: float = 3.0) -> pd.DataFrame:
    """:func:`make_series` as a table: ``timestamp`` (one row a second), ``vibration``,
    ``pressure``, ``temperature``."""
    values = make_series(seed, rows, shift)
    stamps = pd.date_range("2024-01-01", periods=rows, freq="s")
    return pd.DataFrame({
        "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
        "vibration": values[:, 0].round(5),
        "pressure": values[:, 1].round(5),
        "temperature": values[:, 2].round(5),
    })
