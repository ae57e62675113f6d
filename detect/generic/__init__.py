"""Generic, unsupervised detectors for any table of timestamped numeric columns.

Used by ``forewarn score FILE.csv`` and measured by ``benchmarks/skab.py``. No heat-pump
knowledge here: a training prefix of the series defines "normal", the rest is scored against it.

* :mod:`~detect.generic.features`: trend-aware causal features (smoothed levels, rates);
* detectors, one contract (:class:`GenericDetector`: fit, then score; high = anomalous):
  :class:`MaxZDetector`, :class:`PCADetector`, :class:`IsolationForestDetector`,
  :class:`EnsembleDetector`;
* deciding, separately: :class:`TrainingThreshold`, then :func:`episodes`;
* :func:`score_series`: the whole pipeline over one array; :mod:`~detect.generic.csv_io` the
  CSV edge; :mod:`~detect.generic.errors` the exception tree.
"""

from detect.generic.base import GenericDetector
from detect.generic.csv_io import Table, read_table, training_rows, write_scored
from detect.generic.ensemble import EnsembleDetector
from detect.generic.episodes import drop_short, episodes, fill_gaps, runs
from detect.generic.errors import (
    GenericDetectError,
    InputFileError,
    MissingColumnError,
    NonNumericColumnError,
    NotEnoughTrainingRowsError,
    TimestampError,
)
from detect.generic.features import TrendAwareFeatures
from detect.generic.iforest import IsolationForestDetector
from detect.generic.maxz import MaxZDetector
from detect.generic.pca import PCADetector
from detect.generic.pipeline import DETECTORS, GenericConfig, ScoreResult, score_series
from detect.generic.threshold import TrainingThreshold

__all__ = [
    "DETECTORS",
    "EnsembleDetector",
    "GenericConfig",
    "GenericDetectError",
    "GenericDetector",
    "InputFileError",
    "IsolationForestDetector",
    "MaxZDetector",
    "MissingColumnError",
    "NonNumericColumnError",
    "NotEnoughTrainingRowsError",
    "PCADetector",
    "ScoreResult",
    "Table",
    "TimestampError",
    "TrainingThreshold",
    "TrendAwareFeatures",
    "drop_short",
    "episodes",
    "fill_gaps",
    "read_table",
    "runs",
    "score_series",
    "training_rows",
    "write_scored",
]
