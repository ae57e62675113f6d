"""Deciding: a threshold learned on the training prefix's own scores.

The training prefix is assumed mostly normal (it may hold a few anomalies). The threshold is
``factor`` times a high ``quantile`` of the training scores: with the default quantile 1.0 (the
training maximum) and factor 2.5, a row is flagged only when it is clearly more unusual than
anything seen during training. Thresholds from the training distribution of the statistic rather
than from a parametric law follow the empirical-reference practice of [1]_.

References
----------
.. [1] Chiang, L. H., Russell, E. L. and Braatz, R. D. (2001). *Fault Detection and Diagnosis
   in Industrial Systems*. Springer, ch. 4 (thresholds for T² and Q from reference data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detect.generic.base import FloatArray


@dataclass(frozen=True)
class TrainingThreshold:
    """``factor * quantile(train_scores)``; checks its own parameters on creation.

    >>> threshold = TrainingThreshold(factor=2.0, quantile=1.0)
    >>> threshold.learn(np.array([0.5, 1.0, 1.5]))
    3.0
    """

    factor: float = 2.5
    quantile: float = 1.0

    def __post_init__(self) -> None:
        if not self.factor > 0:
            raise ValueError(f"threshold factor must be > 0, got {self.factor}")
        if not 0 < self.quantile <= 1:
            raise ValueError(f"threshold quantile must be in (0, 1], got {self.quantile}")

    def learn(self, train_scores: FloatArray) -> float:
        """The threshold for these training scores (never 0, so ratios stay finite)."""
        if len(train_scores) == 0:
            raise ValueError("cannot learn a threshold from zero training scores")
        level = float(np.quantile(np.asarray(train_scores, dtype=np.float64), self.quantile))
        return max(self.factor * level, 1e-12)
