"""Isolation-forest detector: rows that random splits isolate quickly are unusual.

Liu, Ting and Zhou's isolation forest [1]_ (scikit-learn's implementation). Its raw anomaly score
is bounded (about 0.3 to 1) and so compresses large deviations; to share the threshold step with
the other detectors it is re-expressed in robust standard units of the training scores:
``(s - median) / MAD``, clipped at 0.

References
----------
.. [1] Liu, F. T., Ting, K. M. and Zhou, Z.-H. (2008). "Isolation Forest". Proceedings of the
   8th IEEE International Conference on Data Mining, 413-422.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

import numpy as np

from detect.generic.base import FloatArray, check_rows

if TYPE_CHECKING:
    from sklearn.ensemble import (
        IsolationForest,  # imported when fitting: keeps `forewarn --help` fast
    )


class IsolationForestDetector:
    """Score = robust z of the isolation-forest anomaly score (0 for typical rows).

    >>> rng = np.random.default_rng(5)
    >>> detector = IsolationForestDetector(seed=0).fit(rng.normal(size=(400, 2)))
    >>> typical, outlier = detector.score(np.array([[0.0, 0.0], [6.0, -6.0]]))
    >>> bool(outlier > typical + 3)
    True
    """

    def __init__(self, n_estimators: int = 200, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.seed = seed
        self._fitted: tuple[IsolationForest, int, float, float] | None = None

    def fit(self, train: FloatArray) -> Self:
        array = check_rows(train)
        from sklearn.ensemble import IsolationForest

        forest = IsolationForest(n_estimators=self.n_estimators, random_state=self.seed)
        forest.fit(array)
        raw = -forest.score_samples(array)
        median = float(np.median(raw))
        mad = max(float(np.median(np.abs(raw - median))) * 1.4826, 1e-9)
        self._fitted = (forest, array.shape[1], median, mad)
        return self

    def score(self, rows: FloatArray) -> FloatArray:
        if self._fitted is None:
            raise RuntimeError("IsolationForestDetector is not fitted; call fit(train) first")
        forest, n_features, median, mad = self._fitted
        raw = -forest.score_samples(check_rows(rows, n_features))
        return np.asarray(np.clip((raw - median) / mad, 0.0, None), dtype=np.float64)
