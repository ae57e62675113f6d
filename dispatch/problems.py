"""Correlation: which ticket a finding belongs to (pure).

The customer has one heat pump, and when it is going wrong, one problem: detectors
firing many times, or naming different faults as the evidence grows, must not become
many tickets. A *problem* is therefore one of three things a device can have open at
once, each handled differently:

- ``machine``: any fault of the heat pump itself (refrigerant, compressor, fan, flow,
  valve, defrost, electronics, or undiagnosed). One technician visit fixes it. The
  ticket's diagnosis is the most confident one seen so far; the others stay on the
  ticket as evidence.
- ``sensors``: a drifting, stuck or dropping sensor, checked remotely. A sensor finding
  that matches the signature of an open machine problem (a leak moves low pressure and
  discharge temperature) is a symptom of it and joins that ticket instead.
- ``connectivity``: a silent device, checked remotely.

A finding older than the last close of the same problem is stale (it cannot reopen a
repaired problem); one after it is a new problem and opens a new ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from detect.diagnosis import SIGNATURES, Diagnosis
from detect.labels import CONNECTIVITY, MACHINE, SENSOR_FAULTS, SENSORS, problem_of

__all__ = ["CONNECTIVITY", "MACHINE", "SENSORS", "SENSOR_FAULTS", "OpenProblem", "Route",
           "cleared", "problem_key", "route", "symptom_of"]


def problem_key(diagnosis: Diagnosis) -> str:
    """The problem a diagnosis belongs to: ``machine``, ``sensors`` or ``connectivity``
    (shared with detect, which reads the outcome labels back per problem)."""
    return problem_of(diagnosis.fault)


def symptom_of(diagnosis: Diagnosis, machine_fault: str) -> bool:
    """True when a sensor diagnosis names a signal that ``machine_fault`` is known to move."""
    return (diagnosis.fault in SENSOR_FAULTS and diagnosis.sensor is not None
            and diagnosis.sensor in SIGNATURES.get(machine_fault, {}))


@dataclass(frozen=True)
class OpenProblem:
    """What correlation needs to know about one of the device's open tickets."""

    ticket_id: int
    problem: str
    fault: str


@dataclass(frozen=True)
class Route:
    """Where a finding goes: an open ticket (``ticket_id``) or a new one for ``problem``."""

    problem: str
    ticket_id: int | None
    stale: bool = False
    reason: str = ""


def route(diagnosis: Diagnosis, ts_ms: int, open_tickets: Sequence[OpenProblem],
          last_closed_ms: int | None) -> Route:
    """Route one finding of a device among its open tickets.

    ``last_closed_ms`` is when the device's last ticket for the same problem closed.
    """
    key = problem_key(diagnosis)
    by_problem = {t.problem: t for t in open_tickets}
    machine = by_problem.get(MACHINE)
    if key == SENSORS and machine is not None and symptom_of(diagnosis, machine.fault):
        return Route(MACHINE, machine.ticket_id,
                     reason=f"{diagnosis.sensor} is a symptom of the open {machine.fault}")
    if key in by_problem:
        same = by_problem[key]
        return Route(key, same.ticket_id, reason=f"same {key} problem as the open ticket")
    if last_closed_ms is not None and ts_ms <= last_closed_ms:
        return Route(key, None, stale=True, reason="older than the last close of this problem")
    return Route(key, None, reason=f"new {key} problem")


def cleared(last_finding_ms: int, now_ms: int, clear_after_ms: int, visit: bool) -> bool:
    """True when a watched or remotely checked problem went quiet long enough to close it.

    A problem that was worth a visit is never closed on silence alone (detectors may go
    quiet while the machine still degrades): a planner decides.
    """
    return not visit and now_ms - last_finding_ms >= clear_after_ms
