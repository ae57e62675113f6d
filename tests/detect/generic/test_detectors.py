"""One contract suite, run over every generic detector: fit, then score; high = anomalous."""

from __future__ import annotations

import numpy as np
import pytest

from detect.generic import DETECTORS, GenericDetector

NAMES = sorted(DETECTORS)


def make(name: str) -> GenericDetector:
    return DETECTORS[name](0)


@pytest.fixture
def train() -> np.ndarray:
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(400, 1))
    return np.hstack([latent, latent + 0.1 * rng.normal(size=(400, 1)), rng.normal(size=(400, 2))])


@pytest.mark.parametrize("name", NAMES)
def test_detector_keeps_the_contract(name: str, train: np.ndarray) -> None:
    detector = make(name)
    assert isinstance(detector, GenericDetector)
    assert detector.fit(train) is detector


@pytest.mark.parametrize("name", NAMES)
def test_scores_are_one_non_negative_float_per_row(name: str, train: np.ndarray) -> None:
    scores = make(name).fit(train).score(train[:50])
    assert scores.shape == (50,)
    assert scores.dtype == np.float64
    assert np.all(scores >= 0) and np.all(np.isfinite(scores))


@pytest.mark.parametrize("name", NAMES)
def test_a_far_outlier_scores_higher_than_almost_every_training_row(
    name: str, train: np.ndarray
) -> None:
    """Higher than 99 % of training rows for all; isolation forests saturate at the extremes."""
    detector = make(name).fit(train)
    outlier = np.array([[0.0, 0.0, 12.0, -12.0]])
    assert detector.score(outlier)[0] > np.quantile(detector.score(train), 0.99)


@pytest.mark.parametrize("name", ["maxz", "pca", "ensemble"])
def test_distance_based_detectors_rank_a_far_outlier_above_every_training_row(
    name: str, train: np.ndarray
) -> None:
    detector = make(name).fit(train)
    outlier = np.array([[0.0, 0.0, 12.0, -12.0]])
    assert detector.score(outlier)[0] > detector.score(train).max()


@pytest.mark.parametrize("name", NAMES)
def test_scoring_is_pure_and_repeatable(name: str, train: np.ndarray) -> None:
    """Scoring never refits: the same rows score the same before and after other rows."""
    detector = make(name).fit(train)
    rows = train[:20] + 0.5
    first = detector.score(rows)
    detector.score(np.random.default_rng(9).normal(size=(100, 4)) * 10)
    assert np.array_equal(first, detector.score(rows))


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_the_same_scores(name: str, train: np.ndarray) -> None:
    rows = train[:30] * 2
    assert np.array_equal(make(name).fit(train).score(rows), make(name).fit(train).score(rows))


@pytest.mark.parametrize("name", NAMES)
def test_scoring_before_fitting_says_so(name: str) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        make(name).score(np.zeros((2, 4)))


@pytest.mark.parametrize("name", NAMES)
def test_rows_with_the_wrong_width_or_nan_are_refused(name: str, train: np.ndarray) -> None:
    detector = make(name).fit(train)
    with pytest.raises(ValueError, match="expected 4 features"):
        detector.score(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        detector.score(np.full((2, 4), np.nan))


@pytest.mark.parametrize("name", NAMES)
def test_a_column_constant_in_training_still_scores_finitely(name: str) -> None:
    rng = np.random.default_rng(4)
    train = np.hstack([rng.normal(size=(200, 2)), np.ones((200, 1))])
    scores = make(name).fit(train).score(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]]))
    assert np.all(np.isfinite(scores))
    assert scores[1] >= scores[0]


def test_pca_flags_a_broken_correlation_that_no_single_column_shows() -> None:
    """SPE sees rows off the learned pattern even when each value is ordinary."""
    rng = np.random.default_rng(5)
    latent = rng.normal(size=(500, 1))
    train = np.hstack([latent, latent + 0.05 * rng.normal(size=(500, 1))])
    detector = make("pca").fit(train)
    on, off = detector.score(np.array([[1.5, 1.5], [1.5, -1.5]]))
    assert off > 10 * on
