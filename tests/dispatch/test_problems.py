"""Correlation: a device's findings make one ticket per problem, however the detectors
name it (pure)."""

from __future__ import annotations

from detect.diagnosis import SIGNATURES, Diagnosis
from dispatch.problems import OpenProblem, cleared, problem_key, route, symptom_of


def test_every_fault_belongs_to_one_of_three_problems() -> None:
    assert {problem_key(Diagnosis.of(f, 0.9)) for f in (
        "refrigerant_leak", "compressor_wear", "electronic", "unknown")} == {"machine"}
    assert {problem_key(Diagnosis.of(f, 0.9, "supply_temp")) for f in (
        "sensor_drift", "sensor_stuck", "sensor_dropout")} == {"sensors"}
    assert problem_key(Diagnosis.of("offline", 0.9)) == "connectivity"


def test_a_repeated_finding_joins_the_open_ticket() -> None:
    r = route(Diagnosis.of("refrigerant_leak", 0.8), 10,
              [OpenProblem(7, "machine", "refrigerant_leak")], None)
    assert (r.ticket_id, r.problem, r.stale) == (7, "machine", False)


def test_a_differently_diagnosed_machine_fault_joins_the_open_machine_ticket() -> None:
    """Detectors may name the fault differently as evidence grows: still one problem."""
    r = route(Diagnosis.of("compressor_wear", 0.8), 10,
              [OpenProblem(7, "machine", "refrigerant_leak")], None)
    assert r.ticket_id == 7


def test_a_sensor_moved_by_the_open_machine_fault_is_a_symptom_not_a_new_problem() -> None:
    open_tickets = [OpenProblem(7, "machine", "refrigerant_leak")]
    moved = next(iter(SIGNATURES["refrigerant_leak"]))  # a signal a leak is known to move
    symptom = route(Diagnosis.of("sensor_drift", 0.8, moved), 10, open_tickets, None)
    assert (symptom.ticket_id, symptom.problem) == (7, "machine")
    assert "symptom" in symptom.reason
    unrelated = route(Diagnosis.of("sensor_drift", 0.8, "outdoor_temp"), 10, open_tickets, None)
    assert (unrelated.ticket_id, unrelated.problem) == (None, "sensors")
    assert symptom_of(Diagnosis.of("sensor_stuck", 0.9, moved), "refrigerant_leak")
    assert not symptom_of(Diagnosis.of("compressor_wear", 0.9), "refrigerant_leak")


def test_findings_about_different_sensors_share_the_devices_sensor_ticket() -> None:
    r = route(Diagnosis.of("sensor_stuck", 0.9, "flow_lpm"), 10,
              [OpenProblem(3, "sensors", "sensor_drift")], None)
    assert r.ticket_id == 3


def test_a_finding_from_before_the_last_repair_is_stale() -> None:
    assert route(Diagnosis.of("low_flow", 0.9), 100, [], last_closed_ms=200).stale


def test_a_finding_after_the_repair_is_a_new_problem() -> None:
    r = route(Diagnosis.of("low_flow", 0.9), 300, [], last_closed_ms=200)
    assert not r.stale and r.ticket_id is None


def test_a_quiet_problem_clears_unless_it_was_worth_a_visit() -> None:
    assert cleared(last_finding_ms=0, now_ms=100, clear_after_ms=50, visit=False)
    assert not cleared(last_finding_ms=0, now_ms=100, clear_after_ms=50, visit=True)
    assert not cleared(last_finding_ms=80, now_ms=100, clear_after_ms=50, visit=False)
