"""Drift and change detection on residuals: EWMA and CUSUM."""

from __future__ import annotations

import numpy as np

from detect.drift import ResidualCusum, ResidualEwma, cusum, ewma
from detect.frame import HOUR_MS


def test_cusum_accumulates_a_persistent_shift_and_forgets_noise() -> None:
    """Small noise under the slack stays at zero; a step of 3 with k=1 grows by 2 a day."""
    assert cusum(np.array([0.5, -0.5, 0.9]), k=1.0)[-1] == 0.0
    assert cusum(np.array([3.0, 3.0, 3.0]), k=1.0)[-1] == 6.0


def test_cusum_skips_missing_days() -> None:
    assert cusum(np.array([3.0, np.nan, 3.0]), k=1.0).tolist() == [2.0, 2.0, 4.0]


def test_ewma_weights_recent_hours_most() -> None:
    times = np.arange(48) * HOUR_MS
    z = np.zeros((48, 1))
    z[-6:] = 5.0
    recent = ewma(z, times, halflife_h=6.0)[0]
    slow = ewma(z, times, halflife_h=48.0)[0]
    assert recent > slow > 0


def test_a_developing_fault_scores_higher_than_the_healthy_twin(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Weeks into compressor wear, both detectors score far above the healthy device, led by
    vibration; a leak is over their thresholds; a clogging filter shows as falling flow."""
    for detector in (ResidualEwma(), ResidualCusum()):
        faulty = detector.score(make_window(by_fault["compressor_wear"], 37))[0]
        healthy = detector.score(make_window(by_fault["none"], 37))[0]
        assert faulty.value > 10 * healthy.value
        leak = detector.score(make_window(by_fault["refrigerant_leak"], 37))[0]
        assert leak.value >= detector.threshold > 10 * healthy.value
        assert faulty.signals[0] == "vibration_per_hz"
        assert faulty.shift["vibration_per_hz"] > 0
        flow = detector.score(make_window(by_fault["low_flow"], 37))[0]
        assert flow.shift["flow_lpm"] < 0 and flow.value > 5 * healthy.value
