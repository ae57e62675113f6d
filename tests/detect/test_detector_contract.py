"""One contract, checked over every detector (river style): scores are plain, finite, >= 0,
deterministic, never mutate their input, and say nothing without data."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from detect.detector import Detector, DeviceWindow, Score
from detect.engine import default_detectors
from detect.frame import DAY_MS, Frame

DETECTORS = default_detectors()
LEARNED = ("residual_ewma", "residual_cusum", "residual_t2", "sensor_drift")


@pytest.fixture(params=DETECTORS, ids=lambda d: d.name)
def detector(request: pytest.FixtureRequest) -> Detector:
    return request.param  # type: ignore[no-any-return]


def test_every_detector_follows_the_protocol(detector: Detector) -> None:
    """Each detector has a name, a cadence and a default threshold."""
    assert isinstance(detector, Detector)
    assert detector.cadence in ("quick", "model")
    assert detector.threshold > 0


def test_scores_are_finite_non_negative_and_about_the_window(  # type: ignore[no-untyped-def]
        detector, by_fault, make_window) -> None:
    """Every score names the device and time of its window and is finite and >= 0."""
    for fault in ("none", "refrigerant_leak", "sensor_stuck"):
        window = make_window(by_fault[fault], 34)
        for score in detector.score(window):
            assert isinstance(score, Score)
            assert score.detector == detector.name
            assert score.device_id == window.device_id and score.ts_ms == window.now_ms
            assert np.isfinite(score.value) and score.value >= 0


def test_scoring_is_deterministic_and_leaves_the_window_alone(  # type: ignore[no-untyped-def]
        detector, by_fault, make_window) -> None:
    """The same window scores the same twice, and its arrays are unchanged."""
    window = make_window(by_fault["low_flow"], 33)
    before = copy.deepcopy(dict(window.hourly.columns))
    first = [(s.value, s.signals) for s in detector.score(window)]
    fresh = DeviceWindow(window.device_id, window.now_ms, window.recent, window.hourly,
                         window.events, window.last_reading_ms, window.model)
    assert [(s.value, s.signals) for s in detector.score(fresh)] == first
    for name, col in before.items():
        np.testing.assert_array_equal(window.hourly.columns[name], col)


def test_an_empty_window_gives_no_finding(detector) -> None:  # type: ignore[no-untyped-def]
    """No data: nothing to say, or a score below the threshold (never an exception)."""
    empty = DeviceWindow("hp-1", 10 * DAY_MS, Frame.empty("hp-1"), Frame.empty("hp-1"))
    assert all(s.value < detector.threshold for s in detector.score(empty))


@pytest.mark.parametrize("learned", [d for d in DETECTORS if d.name in LEARNED],
                         ids=lambda d: d.name)
def test_learned_normal_detectors_need_a_model(learned, by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Without a learned normal, model detectors stay silent rather than guess."""
    assert learned.score(make_window(by_fault["refrigerant_leak"], 36, with_model=False)) == []


def test_a_healthy_device_stays_below_every_threshold(detector, by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """The healthy twin never crosses a threshold in its first five weeks."""
    for day in (25, 30, 35):
        assert all(s.value < detector.threshold for s in detector.score(
            make_window(by_fault["none"], day)))
