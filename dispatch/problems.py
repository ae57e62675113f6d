"""Correlation: which ticket a finding belongs to (pure).

A *problem* is what the customer has: one fault of one device. Findings from any
detector that point at the same problem belong to one ticket: the problem key is
the diagnosed fault, and for a sensor the sensor itself (a drifting, stuck or
dropping ``supply_temp`` sensor is one problem). A finding the detectors could not
diagnose (``unknown``) joins the device's open machine ticket if there is one.

A finding older than the last repair of the same problem is stale; one after it is
a new problem and opens a new ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from detect.diagnosis import Diagnosis

SENSOR_FAULTS: Final = frozenset({"sensor_drift", "sensor_stuck", "sensor_dropout"})
UNKNOWN: Final = "unknown"


def problem_key(diagnosis: Diagnosis) -> str:
    """The problem a diagnosis names: ``refrigerant_leak``, ``sensor:supply_temp``, ..."""
    if diagnosis.fault in SENSOR_FAULTS:
        return f"sensor:{diagnosis.sensor or 'unknown'}"
    return diagnosis.fault


@dataclass(frozen=True)
class OpenProblem:
    """What correlation needs to know about one of the device's open tickets."""

    ticket_id: int
    problem: str
    opened_ms: int


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
    for t in open_tickets:
        if t.problem == key:
            return Route(key, t.ticket_id, reason="same problem as the open ticket")
    if key == UNKNOWN:
        machine = [t for t in open_tickets if not t.problem.startswith("sensor:")]
        if machine:
            newest = max(machine, key=lambda t: t.opened_ms)
            return Route(newest.problem, newest.ticket_id,
                         reason="undiagnosed finding joins the device's open ticket")
    if last_closed_ms is not None and ts_ms <= last_closed_ms:
        return Route(key, None, stale=True, reason="older than the last repair of this problem")
    return Route(key, None, reason="new problem")


def cleared(last_finding_ms: int, now_ms: int, clear_after_ms: int, booked: bool) -> bool:
    """True when a ticket's problem went quiet long enough to close it as cleared.

    A booked visit is not cancelled on silence: a planner decides that.
    """
    return not booked and now_ms - last_finding_ms >= clear_after_ms
