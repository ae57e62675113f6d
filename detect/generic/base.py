"""The contract every generic detector keeps: fit on normal rows, score any rows.

A detector *scores*; it never decides. High scores mean "less like the training rows". Deciding
which scores are anomalies is a separate step (:mod:`detect.generic.threshold`), learned on the
training prefix as well.
"""

from __future__ import annotations

from typing import Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@runtime_checkable
class GenericDetector(Protocol):
    """Unsupervised detector over plain feature arrays (rows = time, columns = features)."""

    def fit(self, train: FloatArray) -> Self:
        """Learn what normal looks like from ``train``; returns ``self``."""
        ...

    def score(self, rows: FloatArray) -> FloatArray:
        """One non-negative score per row, high = anomalous. Pure: never refits."""
        ...


def check_rows(rows: FloatArray, n_features: int | None = None) -> FloatArray:
    """Return ``rows`` as a finite 2-D float array, or raise ``ValueError`` saying why."""
    array = np.asarray(rows, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows x features), got {array.ndim}-D")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(f"expected {n_features} features, got {array.shape[1]}")
    if not np.isfinite(array).all():
        raise ValueError("rows contain NaN or infinite values; fill or drop them first")
    return array


def scale_floor(centre: FloatArray) -> FloatArray:
    """Smallest spread a feature may have, so a column constant in training still scales."""
    return np.asarray(1e-6 * (1.0 + np.abs(centre)), dtype=np.float64)
