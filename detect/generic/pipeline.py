"""The whole generic pipeline over one ordered series: features, detector, threshold, episodes.

``score_series(values, n_train, config)`` is the one entry point the CLI and the SKAB benchmark
share, so the benchmark measures exactly what users run. Steps, each in its own module:

1. :class:`~detect.generic.features.TrendAwareFeatures` fitted on the training prefix;
2. a detector (:data:`DETECTORS`) fitted on the training prefix's features (after warm-up);
3. a :class:`~detect.generic.threshold.TrainingThreshold` learned on the training scores;
4. :func:`~detect.generic.episodes.episodes` turning flagged rows into lasting episodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detect.generic.base import FloatArray, GenericDetector
from detect.generic.ensemble import EnsembleDetector
from detect.generic.episodes import episodes
from detect.generic.errors import NotEnoughTrainingRowsError
from detect.generic.features import TrendAwareFeatures
from detect.generic.iforest import IsolationForestDetector
from detect.generic.maxz import MaxZDetector
from detect.generic.pca import PCADetector
from detect.generic.threshold import TrainingThreshold

DETECTORS: dict[str, Callable[[int], GenericDetector]] = {
    "maxz": lambda seed: MaxZDetector(),
    "pca": lambda seed: PCADetector(),
    "iforest": lambda seed: IsolationForestDetector(seed=seed),
    "ensemble": lambda seed: EnsembleDetector([MaxZDetector(), PCADetector()]),
}
"""Detector factories by name (the ``--detector`` choices); each takes a random seed."""

MIN_FIT_ROWS = 30
"""Training rows the detector needs *after* the feature warm-up."""


@dataclass(frozen=True)
class GenericConfig:
    """Settings of the generic pipeline; defaults are the ones the SKAB figures were made with.

    ``window`` is in rows (the smoothing and rate window), as are ``min_gap`` and ``min_run``.
    """

    detector: str = "maxz"
    window: int = 20
    block: int = 50
    slow_ratio: float = 0.6
    threshold_factor: float = 2.5
    threshold_quantile: float = 1.0
    min_gap: int = 60
    min_run: int = 60
    seed: int = 0

    def __post_init__(self) -> None:
        if self.detector not in DETECTORS:
            raise ValueError(
                f"unknown detector {self.detector!r}; choose one of {', '.join(DETECTORS)}"
            )
        for name in ("window", "block", "min_gap", "min_run"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        TrainingThreshold(self.threshold_factor, self.threshold_quantile)

    @property
    def min_training_rows(self) -> int:
        """Shortest usable training prefix: the feature warm-up plus :data:`MIN_FIT_ROWS`."""
        return 2 * self.window + MIN_FIT_ROWS


@dataclass(frozen=True)
class ScoreResult:
    """Per-row output of :func:`score_series`.

    ``score`` is in units of the threshold (1.0 = on the threshold, higher = more anomalous);
    ``is_anomaly`` is the decision after episode filtering; ``slow_columns`` lists the columns
    scored by their rate only, ``constant_columns`` those that never moved during training (any
    later change in them scores very high).
    """

    score: FloatArray
    is_anomaly: NDArray[np.bool_]
    threshold: float
    slow_columns: tuple[int, ...]
    constant_columns: tuple[int, ...] = ()


def score_series(
    values: FloatArray, n_train: int, config: GenericConfig | None = None
) -> ScoreResult:
    """Fit on ``values[:n_train]`` and score every row of ``values`` (rows in time order).

    >>> rng = np.random.default_rng(42)
    >>> values = rng.normal(size=(600, 2))
    >>> values[400:500, 1] += 4.0  # a lasting shift in one column
    >>> result = score_series(values, n_train=300)
    >>> bool(result.is_anomaly[420:500].all()), bool(result.is_anomaly[:400].any())
    (True, False)
    """
    config = config or GenericConfig()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError("values must be a 2-D array with at least one column")
    if n_train < config.min_training_rows:
        raise NotEnoughTrainingRowsError(
            f"{n_train} training rows are too few: with a window of {config.window} rows at "
            f"least {config.min_training_rows} are needed; use a longer training prefix or a "
            "smaller window"
        )
    if n_train > len(array):
        raise NotEnoughTrainingRowsError(
            f"training prefix of {n_train} rows is longer than the {len(array)} rows given"
        )
    features = TrendAwareFeatures.fit(
        array[:n_train], window=config.window, block=config.block, slow_ratio=config.slow_ratio
    )
    matrix = features.transform(array)
    train = matrix[features.warmup : n_train]
    detector = DETECTORS[config.detector](config.seed).fit(train)
    raw = detector.score(matrix)
    threshold = TrainingThreshold(config.threshold_factor, config.threshold_quantile)
    level = threshold.learn(raw[features.warmup : n_train])
    flags = episodes(raw > level, min_gap=config.min_gap, min_run=config.min_run)
    slow = tuple(i for i, s in enumerate(features.slow) if s)
    constant = tuple(int(i) for i in np.flatnonzero(np.ptp(array[:n_train], axis=0) == 0))
    return ScoreResult(
        score=raw / level, is_anomaly=flags, threshold=level, slow_columns=slow,
        constant_columns=constant,
    )
