"""Decision policy: a van only for a confident diagnosis of the machine itself (pure)."""

from __future__ import annotations

from config import DispatchSettings
from detect.diagnosis import Diagnosis
from dispatch.policy import Action, Decision, decide, escalate

CFG = DispatchSettings()


def test_a_bad_sensor_gets_a_remote_check_not_a_van() -> None:
    d = decide(Diagnosis.of("sensor_drift", 0.99, "outdoor_temp"), CFG)
    assert d.action is Action.REMOTE_CHECK
    assert "outdoor_temp" in d.reason and "no site visit" in d.reason


def test_a_silent_device_gets_a_remote_check() -> None:
    assert decide(Diagnosis.of("offline", 0.9), CFG).action is Action.REMOTE_CHECK


def test_a_confident_machine_fault_gets_a_visit_with_the_skill_in_the_reason() -> None:
    d = decide(Diagnosis.of("refrigerant_leak", 0.85), CFG)
    assert d.action is Action.VISIT and "F-gas" in d.reason


def test_low_confidence_is_watched_and_middling_confidence_checked_remotely() -> None:
    assert decide(Diagnosis.of("compressor_wear", 0.2), CFG).action is Action.WATCH
    assert decide(Diagnosis.of("compressor_wear", 0.5), CFG).action is Action.REMOTE_CHECK


def test_a_machine_failing_within_a_week_is_visited_even_at_moderate_confidence() -> None:
    day = 86_400_000
    soon = decide(Diagnosis.of("refrigerant_leak", 0.45), CFG, now_ms=0, failure_ms=3 * day)
    assert soon.action is Action.VISIT and "failure predicted in 72 h" in soon.reason
    later = decide(Diagnosis.of("refrigerant_leak", 0.45), CFG, now_ms=0, failure_ms=20 * day)
    assert later.action is Action.REMOTE_CHECK
    sensor = decide(Diagnosis.of("sensor_drift", 0.9, "supply_temp"), CFG, now_ms=0,
                    failure_ms=day)
    assert sensor.action is Action.REMOTE_CHECK
    doubtful = decide(Diagnosis.of("refrigerant_leak", 0.1), CFG, now_ms=0, failure_ms=day)
    assert doubtful.action is Action.WATCH


def test_thresholds_are_configurable() -> None:
    strict = DispatchSettings(visit_min_confidence=0.95)
    assert decide(Diagnosis.of("low_flow", 0.9), strict).action is Action.REMOTE_CHECK


def test_a_suppressed_false_alarm_is_watched_unless_the_evidence_is_very_strong() -> None:
    d = decide(Diagnosis.of("low_flow", 0.8), CFG, suppressed_until_ms=1000, now_ms=10)
    assert d.action is Action.WATCH and "no fault" in d.reason
    assert decide(Diagnosis.of("low_flow", 0.95), CFG, 1000, 10).action is Action.VISIT
    assert decide(Diagnosis.of("low_flow", 0.8), CFG, 1000, 2000).action is Action.VISIT


def test_a_ticket_only_ever_escalates() -> None:
    up = Decision(Action.VISIT, "r")
    assert escalate(Action.REMOTE_CHECK, up) == up
    assert escalate(Action.VISIT, Decision(Action.WATCH, "r")) is None
