"""Correlation: findings about one problem of one device belong to one ticket (pure)."""

from __future__ import annotations

from detect.diagnosis import Diagnosis
from dispatch.problems import OpenProblem, cleared, problem_key, route


def test_sensor_faults_of_one_sensor_are_one_problem() -> None:
    """Drift, stuck and dropout of the same sensor are the same problem."""
    keys = {problem_key(Diagnosis.of(f, 0.9, "supply_temp"))
            for f in ("sensor_drift", "sensor_stuck", "sensor_dropout")}
    assert keys == {"sensor:supply_temp"}


def test_a_repeated_finding_joins_the_open_ticket() -> None:
    r = route(Diagnosis.of("refrigerant_leak", 0.8), 10, [OpenProblem(7, "refrigerant_leak", 1)],
              None)
    assert (r.ticket_id, r.problem, r.stale) == (7, "refrigerant_leak", False)


def test_a_different_fault_opens_its_own_ticket() -> None:
    r = route(Diagnosis.of("compressor_wear", 0.8), 10, [OpenProblem(7, "refrigerant_leak", 1)],
              None)
    assert r.ticket_id is None and r.problem == "compressor_wear"


def test_an_undiagnosed_finding_joins_the_newest_machine_ticket_not_a_sensor_one() -> None:
    open_tickets = [OpenProblem(3, "low_flow", 1), OpenProblem(4, "compressor_wear", 5),
                    OpenProblem(5, "sensor:flow_lpm", 9)]
    r = route(Diagnosis.of("unknown", 0.4), 10, open_tickets, None)
    assert (r.ticket_id, r.problem) == (4, "compressor_wear")


def test_a_finding_from_before_the_last_repair_is_stale() -> None:
    assert route(Diagnosis.of("low_flow", 0.9), 100, [], last_closed_ms=200).stale


def test_a_finding_after_the_repair_is_a_new_problem() -> None:
    r = route(Diagnosis.of("low_flow", 0.9), 300, [], last_closed_ms=200)
    assert not r.stale and r.ticket_id is None


def test_a_quiet_problem_clears_unless_a_visit_is_booked() -> None:
    assert cleared(last_finding_ms=0, now_ms=100, clear_after_ms=50, booked=False)
    assert not cleared(last_finding_ms=0, now_ms=100, clear_after_ms=50, booked=True)
    assert not cleared(last_finding_ms=80, now_ms=100, clear_after_ms=50, booked=False)
