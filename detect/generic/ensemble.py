"""Ensemble: the mean of several detectors' scores, each in units of its own training level.

Scores of different detectors live on different scales; dividing each by its ``quantile`` on the
training rows puts them on one (1.0 = "as unusual as the most unusual training rows"), and the
mean of the rescaled scores is less noisy than any one member [1]_.

References
----------
.. [1] Aggarwal, C. C. and Sathe, S. (2017). *Outlier Ensembles: An Introduction*. Springer,
   ch. 1 and 5 (score normalisation and averaging combination).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from detect.generic.base import FloatArray, GenericDetector, check_rows


class EnsembleDetector:
    """Score = mean over members of ``member.score / member training quantile``.

    >>> from detect.generic.maxz import MaxZDetector
    >>> from detect.generic.pca import PCADetector
    >>> rng = np.random.default_rng(11)
    >>> ensemble = EnsembleDetector([MaxZDetector(), PCADetector()]).fit(rng.normal(size=(500, 3)))
    >>> typical, outlier = ensemble.score(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 9.0]]))
    >>> bool(typical < 1.0 < outlier)
    True
    """

    def __init__(self, members: Sequence[GenericDetector], quantile: float = 0.99) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = list(members)
        self.quantile = quantile
        self._scales: list[float] | None = None

    def fit(self, train: FloatArray) -> Self:
        array = check_rows(train)
        scales = []
        for member in self.members:
            member.fit(array)
            level = float(np.quantile(member.score(array), self.quantile))
            scales.append(max(level, 1e-12))
        self._scales = scales
        return self

    def score(self, rows: FloatArray) -> FloatArray:
        if self._scales is None:
            raise RuntimeError("EnsembleDetector is not fitted; call fit(train) first")
        array = check_rows(rows)
        parts = [m.score(array) / s for m, s in zip(self.members, self._scales, strict=True)]
        return np.asarray(np.mean(parts, axis=0), dtype=np.float64)
