"""score_series: fit on the training prefix, flag lasting faults, ignore slow drift."""

from __future__ import annotations

import numpy as np
import pytest

from detect.generic import GenericConfig, NotEnoughTrainingRowsError, score_series
from detect.generic.testing import FAULT, make_series


def test_a_lasting_shift_is_flagged_and_nothing_else_is(series: np.ndarray) -> None:
    result = score_series(series, n_train=300)
    flagged = np.flatnonzero(result.is_anomaly)
    assert flagged.size > 0
    assert FAULT.start <= flagged.min() < FAULT.start + 30
    assert FAULT.stop <= flagged.max() < FAULT.stop + 40
    assert not result.is_anomaly[: FAULT.start].any()


def test_a_slow_drift_that_continues_after_training_is_not_an_anomaly() -> None:
    """The temperature keeps rising past its training range; only the fault is flagged."""
    series = make_series(shift=0.0)
    result = score_series(series, n_train=300)
    assert series[-1, 2] > series[:300, 2].max() + 3
    assert not result.is_anomaly.any()
    assert result.slow_columns == (2,)


def test_score_is_in_units_of_the_threshold(series: np.ndarray) -> None:
    result = score_series(series, n_train=300)
    warm = 2 * GenericConfig().window
    assert result.score[warm:300].max() == pytest.approx(1 / GenericConfig().threshold_factor)
    raw_flags = result.score > 1.0
    assert raw_flags[result.is_anomaly].mean() > 0.8


@pytest.mark.parametrize("detector", ["maxz", "pca", "ensemble"])
def test_every_detector_finds_a_large_fault(detector: str) -> None:
    series = make_series(shift=8.0)
    result = score_series(series, 300, GenericConfig(detector=detector))
    assert result.is_anomaly[FAULT].mean() > 0.7


def test_results_are_the_same_on_every_run(series: np.ndarray) -> None:
    config = GenericConfig(detector="iforest", seed=3)
    first, second = score_series(series, 300, config), score_series(series, 300, config)
    assert np.array_equal(first.score, second.score)


def test_too_few_training_rows_are_refused_with_the_minimum(series: np.ndarray) -> None:
    with pytest.raises(NotEnoughTrainingRowsError, match="at least 70"):
        score_series(series, n_train=69)


def test_a_training_prefix_longer_than_the_series_is_refused(series: np.ndarray) -> None:
    with pytest.raises(NotEnoughTrainingRowsError, match="longer than"):
        score_series(series[:100], n_train=200)


def test_columns_constant_in_training_are_reported() -> None:
    series = make_series()
    series[:, 0] = 1.0
    assert score_series(series, 300).constant_columns == (0,)


@pytest.mark.parametrize(
    "settings", [{"detector": "magic"}, {"window": 0}, {"threshold_factor": 0.0}, {"min_run": 0}]
)
def test_config_refuses_nonsense(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GenericConfig(**settings)  # type: ignore[arg-type]
