"""KPIs that judge dispatch by the customer's outcome, not by tickets closed (pure core).

=============================  =========================================================
failures_prevented             confirmed faults fixed before the customer noticed anything
lead_time_h (median)           warning we had: predicted failure minus the first finding
repair_margin_h (median)       how long before the predicted failure the fix was made
false_dispatch_rate            visits that found no fault, of all completed visits
promises_kept_rate             visits done within the promised window, of promises now due
finding_to_booking_h (median)  first finding to the first booked visit
promises_at_risk               active bookings flagged at risk right now
=============================  =========================================================
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.store import tables as t

HOUR_MS = 3_600_000


@dataclass(frozen=True)
class TicketFacts:
    id: int
    outcome: str | None
    customer_noticed: bool
    first_finding_ms: int
    fixed_ms: int | None
    failure_expected_ms: int | None


@dataclass(frozen=True)
class BookingFacts:
    ticket_id: int
    status: str
    start_ms: int
    end_ms: int
    created_ms: int
    done_ms: int | None
    at_risk: bool


@dataclass(frozen=True)
class KPIs:
    tickets_closed: int
    failures_confirmed: int
    failures_prevented: int
    lead_time_h: float | None
    repair_margin_h: float | None
    visits_completed: int
    false_dispatch_rate: float | None
    promises_due: int
    promises_kept: int
    promises_kept_rate: float | None
    finding_to_booking_h: float | None
    promises_at_risk: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def compute(tickets: Sequence[TicketFacts], bookings: Sequence[BookingFacts],
            now_ms: int) -> KPIs:
    closed = [x for x in tickets if x.outcome is not None]
    confirmed = [x for x in closed if x.outcome == "fault_confirmed"]
    prevented = [x for x in confirmed if not x.customer_noticed]
    lead = [(x.failure_expected_ms - x.first_finding_ms) / HOUR_MS for x in prevented
            if x.failure_expected_ms is not None]
    margin = [(x.failure_expected_ms - x.fixed_ms) / HOUR_MS for x in prevented
              if x.failure_expected_ms is not None and x.fixed_ms is not None]
    outcome = {x.id: x.outcome for x in tickets}
    visited = {b.ticket_id for b in bookings if b.status == "done"}
    visits = [tid for tid in visited if outcome.get(tid) in ("fault_confirmed", "no_fault_found")]
    false = sum(outcome[tid] == "no_fault_found" for tid in visits)
    due = [b for b in bookings if b.status == "done" or (b.status == "active"
                                                         and b.end_ms <= now_ms)]
    kept = sum(b.status == "done" and b.done_ms is not None and b.done_ms <= b.end_ms
               for b in due)
    first_booking: dict[int, int] = {}
    for b in bookings:
        first_booking[b.ticket_id] = min(first_booking.get(b.ticket_id, b.created_ms),
                                         b.created_ms)
    first_finding = {x.id: x.first_finding_ms for x in tickets}
    to_booking = [(ms - first_finding[tid]) / HOUR_MS for tid, ms in first_booking.items()
                  if tid in first_finding]
    return KPIs(
        tickets_closed=len(closed), failures_confirmed=len(confirmed),
        failures_prevented=len(prevented), lead_time_h=_median(lead),
        repair_margin_h=_median(margin), visits_completed=len(visits),
        false_dispatch_rate=round(false / len(visits), 3) if visits else None,
        promises_due=len(due), promises_kept=kept,
        promises_kept_rate=round(kept / len(due), 3) if due else None,
        finding_to_booking_h=_median(to_booking),
        promises_at_risk=sum(b.status == "active" and b.at_risk for b in bookings))


def from_database(session: Session, now_ms: int) -> KPIs:
    """KPIs over every ticket in the database."""
    tickets = [TicketFacts(x.id, x.outcome, bool(x.customer_noticed), x.first_finding_ms,
                           x.fixed_ms,
                           x.failure_window["expected_ms"] if x.failure_window else None)
               for x in session.scalars(select(t.Ticket))]
    bookings = [BookingFacts(b.ticket_id, b.status, b.start_ms, b.end_ms, b.created_ms,
                             b.done_ms, b.at_risk is not None)
                for b in session.scalars(select(t.Booking))]
    return compute(tickets, bookings, now_ms)
