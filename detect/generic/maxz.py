"""Max-z detector: the largest standardised deviation of any feature from its training mean.

A multivariate Shewhart chart [1]_ read through its worst channel: each feature is standardised
by the mean and standard deviation it had on the training rows, and a row scores the largest
absolute z-value. On smoothed, trend-aware features (:mod:`detect.generic.features`) it is the
default generic detector: simple, explainable ("Pressure level is 9 sigma off") and, on the SKAB
benchmark, better than the multivariate alternatives here.

References
----------
.. [1] Montgomery, D. C. (2019). *Introduction to Statistical Quality Control*, 8th ed.,
   Wiley, ch. 6 (Shewhart control charts for variables).
"""

from __future__ import annotations

from typing import Self

import numpy as np

from detect.generic.base import FloatArray, check_rows, scale_floor


class MaxZDetector:
    """Score = max over features of ``|x - mean| / std`` (training statistics).

    >>> rng = np.random.default_rng(7)
    >>> train = rng.normal(size=(500, 3))
    >>> detector = MaxZDetector().fit(train)
    >>> rows = np.array([[0.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    >>> scores = detector.score(rows)
    >>> bool(scores[0] < 1.0), bool(scores[1] > 7.0)
    (True, True)
    >>> int(detector.contributions(rows)[1].argmax())  # which feature moved
    1
    """

    def __init__(self) -> None:
        self.mean_: FloatArray | None = None
        self.std_: FloatArray | None = None

    def fit(self, train: FloatArray) -> Self:
        array = check_rows(train)
        self.mean_ = array.mean(axis=0)
        self.std_ = np.maximum(array.std(axis=0), scale_floor(self.mean_))
        return self

    def contributions(self, rows: FloatArray) -> FloatArray:
        """Absolute z-value of every feature of every row (the evidence behind the score)."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("MaxZDetector is not fitted; call fit(train) first")
        array = check_rows(rows, self.mean_.shape[0])
        return np.asarray(np.abs(array - self.mean_) / self.std_, dtype=np.float64)

    def score(self, rows: FloatArray) -> FloatArray:
        return np.asarray(self.contributions(rows).max(axis=1), dtype=np.float64)
