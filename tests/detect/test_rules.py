"""Rules for hard facts: error codes, silence, physical limits."""

from __future__ import annotations

import numpy as np

from detect.detector import DeviceWindow
from detect.frame import Frame
from detect.rules import ErrorCodes, PhysicalLimits, Silence
from ingest.records import DeviceEvent

NOW = 1_800_000_000_000


def _window(**kw) -> DeviceWindow:  # type: ignore[no-untyped-def]
    base = {"recent": Frame.empty("hp"), "hourly": Frame.empty("hp")}
    return DeviceWindow("hp", NOW, **(base | kw))


def test_an_active_fault_code_is_a_finding_with_its_code() -> None:
    event = DeviceEvent("hp", "s", NOW - 60_000, "E102", "fault", "low pressure cut-out")
    [score] = ErrorCodes().score(_window(events=(event,)))
    assert score.value >= ErrorCodes().threshold
    assert score.details["code"] == "E102"


def test_cleared_or_informational_events_are_not_findings() -> None:
    cleared = DeviceEvent("hp", "s", NOW - 60_000, "E102", "fault", active=False)
    info = DeviceEvent("hp", "s", NOW - 60_000, "I001", "info")
    assert ErrorCodes().score(_window(events=(cleared, info))) == []


def test_silence_scores_the_silent_time_over_the_configured_limit() -> None:
    rule = Silence(silence_after_s=1800)
    [quiet] = rule.score(_window(last_reading_ms=NOW - 3_600_000))
    [fine] = rule.score(_window(last_reading_ms=NOW - 60_000))
    assert quiet.value == 2.0 and quiet.value >= rule.threshold
    assert fine.value < rule.threshold


def test_a_device_never_heard_from_is_not_silent_it_is_unknown() -> None:
    assert Silence().score(_window()) == []


def test_a_limit_is_reached_only_by_several_readings_not_one_glitch() -> None:
    times = np.arange(10) * 60_000
    glitch = np.full(10, 80.0)
    glitch[3] = 130.0
    hot = np.full(10, 80.0)
    hot[2:6] = 135.0
    rule = PhysicalLimits()
    [g] = rule.score(_window(recent=Frame("hp", times, {"discharge_temp": glitch})))
    [h] = rule.score(_window(recent=Frame("hp", times, {"discharge_temp": hot})))
    assert g.value < rule.threshold <= h.value
    assert h.signals == ("discharge_temp",)
