"""Drift and change detection on residuals: EWMA and CUSUM."""

from __future__ import annotations

import numpy as np

from detect.diagnosis import diagnose_shift
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
    """Weeks into compressor wear, both detectors score far above the healthy device, with
    vibration leading (CUSUM: second, after the high-pressure sensor's consistency); a leak
    is over their thresholds; a clogging filter shows as falling flow.

    (The healthy twin's largest residual, 17 days past its training, is its fan speed: the
    model predicts it to within about 2 rpm, so a small misfit is a few of its units.)"""
    for detector in (ResidualEwma(), ResidualCusum()):
        faulty = detector.score(make_window(by_fault["compressor_wear"], 37))[0]
        healthy = detector.score(make_window(by_fault["none"], 37))[0]
        assert faulty.value > 5 * healthy.value
        leak = detector.score(make_window(by_fault["refrigerant_leak"], 37))[0]
        assert leak.value >= detector.threshold > 10 * healthy.value
        assert "vibration_per_hz" in faulty.signals[:2]  # CUSUM: after the high-pressure check
        assert faulty.shift["vibration_per_hz"] > 0
        flow = detector.score(make_window(by_fault["low_flow"], 37))[0]
        assert flow.shift["flow_lpm"] < 0 and flow.value > 5 * healthy.value


def test_a_weakening_fan_shows_in_its_own_speed_within_ten_days(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Ten days after onset (of twenty to failure) the fan's speed at the same compressor speed
    leads the residuals, falling, and reads as a fan fault rather than ice."""
    detector = ResidualEwma()
    fan = detector.score(make_window(by_fault["fan_degradation"], 30))[0]
    healthy = detector.score(make_window(by_fault["none"], 30))[0]
    assert fan.value > 5 * healthy.value
    assert fan.signals[0] == "fan_rpm" and fan.shift["fan_rpm"] < 0
    assert diagnose_shift(fan.shift).fault == "fan_degradation"
    ice = detector.score(make_window(by_fault["defrost_malfunction"], 37))[0]
    assert diagnose_shift(ice.shift).fault == "defrost_malfunction"
