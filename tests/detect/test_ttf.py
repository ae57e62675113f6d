"""Time to failure: a degrading indicator extrapolated to its failure level, with a band."""

from __future__ import annotations

import numpy as np

from detect.frame import DAY_MS, HOUR_MS
from detect.normal import CHANNELS
from detect.residuals import Residuals
from detect.ttf import time_to_failure

NOW = 1_800_000_000_000


def _residuals(loss_per_day: float, noise: float = 0.0) -> Residuals:
    """Fan speed falling ``loss_per_day`` (share of normal) per day for 14 days."""
    hours = np.arange(14 * 24)
    times = NOW - (14 * 24 - hours) * HOUR_MS
    rng = np.random.default_rng(1)
    n = len(hours)
    expected = np.full((n, len(CHANNELS)), 10.0)
    observed = expected.copy()
    c = CHANNELS.index("fan_rpm")
    loss = loss_per_day * hours / 24 + noise * rng.standard_normal(n)
    observed[:, c] = 10.0 * (1 - loss)
    return Residuals(times, np.zeros_like(expected), expected, observed, None)  # type: ignore[arg-type]


def test_a_steady_decline_is_extrapolated_to_the_failure_level() -> None:
    w = time_to_failure(_residuals(0.02), "fan_degradation", NOW)
    assert w is not None
    assert w.earliest_ms <= w.expected_ms <= w.latest_ms
    assert NOW < w.expected_ms < NOW + 30 * DAY_MS
    assert w.indicator == "fan_rpm"


def test_noise_widens_the_band() -> None:
    calm = time_to_failure(_residuals(0.02, 0.0), "fan_degradation", NOW)
    noisy = time_to_failure(_residuals(0.02, 0.05), "fan_degradation", NOW)
    assert calm and noisy
    assert noisy.latest_ms - noisy.earliest_ms > calm.latest_ms - calm.earliest_ms


def test_no_decline_means_no_prediction() -> None:
    assert time_to_failure(_residuals(0.0), "fan_degradation", NOW) is None


def test_faults_without_an_indicator_get_no_window() -> None:
    assert time_to_failure(_residuals(0.02), "sensor_drift", NOW) is None
