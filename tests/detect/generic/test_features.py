"""Trend-aware features: causal smoothing, and slow columns judged by their rate only."""

from __future__ import annotations

import numpy as np

from detect.generic import TrendAwareFeatures
from detect.generic.features import rolling_mean, variance_ratio


def test_rolling_mean_is_causal_so_a_prefix_scores_like_the_whole() -> None:
    """Features of the first rows never depend on later rows (live replay equals batch)."""
    values = np.random.default_rng(0).normal(size=(200, 3))
    assert np.allclose(rolling_mean(values, 10)[:120], rolling_mean(values[:120], 10))


def test_rolling_mean_averages_the_rows_so_far_at_the_start() -> None:
    values = np.arange(6, dtype=float)[:, None]
    assert rolling_mean(values, 3).ravel().tolist() == [0.0, 0.5, 1.0, 2.0, 3.0, 4.0]


def test_variance_ratio_tells_white_noise_from_drift() -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(500, 1))
    drift = np.linspace(0.0, 5.0, 500)[:, None] + 0.1 * rng.normal(size=(500, 1))
    ratio = variance_ratio(np.hstack([noise, drift]), block=50)
    assert ratio[0] < 5 < 40 < ratio[1]


def test_constant_columns_have_a_neutral_variance_ratio() -> None:
    assert variance_ratio(np.ones((200, 1)), block=50).tolist() == [1.0]


def test_a_drifting_column_is_classified_slow_and_gets_no_level_feature(
    series: np.ndarray,
) -> None:
    features = TrendAwareFeatures.fit(series[:300], window=10)
    assert features.slow == (False, False, True)
    assert features.names(["a", "b", "c"]) == [
        "level(a)", "level(b)", "rate(a)", "rate(b)", "rate(c)"]
    assert features.transform(series).shape == (len(series), 5)


def test_transform_features_are_causal(series: np.ndarray) -> None:
    features = TrendAwareFeatures.fit(series[:300], window=10)
    assert np.allclose(features.transform(series)[:400], features.transform(series[:400]))


def test_rate_is_zero_until_one_window_has_passed(series: np.ndarray) -> None:
    features = TrendAwareFeatures.fit(series[:300], window=10)
    rates = features.transform(series)[:, 2:]
    assert np.all(rates[:10] == 0.0)
    assert np.all(rates[10:] != 0.0)
