"""Retraining: a new season is learnt, a developing fault is not."""

from __future__ import annotations

from detect.frame import DAY_MS
from detect.training import RetrainPolicy, healthy_rows, retrain


def test_retraining_needs_enough_history(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    now = h.start_ms + 5 * DAY_MS
    assert retrain(h.hourly.between(h.start_ms, now), now, None, None) is None


def test_a_retrain_bumps_the_device_model_version(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    now = h.start_ms + 30 * DAY_MS
    first = h.model(20)
    new = retrain(h.hourly.between(h.start_ms, now), now, first, None)
    assert new is not None and new.version == first.version + 1
    assert new.trained_until_ms == now - int(RetrainPolicy().guard_days * DAY_MS)


def test_no_retrain_right_after_a_finding(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    now = h.start_ms + 30 * DAY_MS
    assert retrain(h.hourly, now, h.model(20), None, last_finding_ms=now - DAY_MS) is None


def test_days_of_a_developing_fault_are_left_out_of_training(by_fault) -> None:  # type: ignore[no-untyped-def]
    """The current model flags the low-flow days; the healthy device keeps nearly all days."""
    faulty, healthy = by_fault["low_flow"], by_fault["none"]
    start, stop = faulty.start_ms + 20 * DAY_MS, faulty.start_ms + 36 * DAY_MS
    kept_faulty = healthy_rows(faulty.hourly.between(start, stop), faulty.model(20), 4.0)
    kept_healthy = healthy_rows(healthy.hourly.between(start, stop), healthy.model(20), 4.0)
    assert len(kept_faulty) < 0.8 * len(faulty.hourly.between(start, stop))
    assert len(kept_healthy) > 0.8 * len(healthy.hourly.between(start, stop))
