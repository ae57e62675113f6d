"""Read-only views for planners, the API and the CLI: the queue, one ticket in full,
and the promises at risk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.store import tables as t


def queue(session: Session) -> list[dict[str, Any]]:
    """Open tickets, worst first (escalated, then priority points, then oldest)."""
    rows = session.scalars(select(t.Ticket).where(t.Ticket.status == t.OPEN)).all()
    rows = sorted(rows, key=lambda x: (not x.escalated, -x.priority_score, x.opened_ms))
    # at most one active booking per ticket (a unique index): all of them in one query
    active = {b.ticket_id: b for b in session.scalars(
        select(t.Booking).where(t.Booking.status == "active"))}
    out = []
    for x in rows:
        b = active.get(x.id)
        diag = x.diagnosis
        out.append({"id": x.id, "device_id": x.device_id, "problem": x.problem,
                    "diagnosis": f"{diag['fault']}:{diag['sensor']}" if diag.get("sensor")
                    else diag["fault"], "confidence": diag["confidence"],
                    "priority": x.priority_level, "score": x.priority_score,
                    "action": x.action, "escalated": x.escalated,
                    "booking": _booking(b) if b else None, "findings": x.finding_count})
    return out


def _booking(b: t.Booking) -> dict[str, Any]:
    return {"id": b.id, "technician_id": b.technician_id, "start_ms": b.start_ms,
            "end_ms": b.end_ms, "status": b.status, "at_risk": b.at_risk}


def ticket(session: Session, ticket_id: int) -> dict[str, Any] | None:
    """Everything about one ticket, so nobody has to ask again."""
    x = session.get(t.Ticket, ticket_id)
    if x is None:
        return None
    events = session.scalars(select(t.Event).where(t.Event.ticket_id == ticket_id)
                             .order_by(t.Event.id)).all()
    findings = session.scalars(select(t.FindingRow).where(t.FindingRow.ticket_id == ticket_id)
                               .order_by(t.FindingRow.ts_ms)).all()
    bookings = session.scalars(select(t.Booking).where(t.Booking.ticket_id == ticket_id)
                               .order_by(t.Booking.id)).all()
    return {
        "id": x.id, "device_id": x.device_id, "problem": x.problem, "status": x.status,
        "action": x.action, "action_reason": x.action_reason,
        "priority": x.priority, "diagnosis": x.diagnosis, "skill": x.skill, "parts": x.parts,
        "failure_window": x.failure_window, "evidence": x.evidence, **x.context,
        "escalated": x.escalated, "escalation_reason": x.escalation_reason,
        "opened_ms": x.opened_ms, "closed_ms": x.closed_ms, "outcome": x.outcome,
        "outcome_cause": x.outcome_cause,
        "findings": [{"id": f.id, "ts_ms": f.ts_ms, "detector": f.detector, "score": f.score}
                     for f in findings],
        "bookings": [_booking(b) for b in bookings],
        "contact_history": [{"ts_ms": e.ts_ms, "text": e.text} for e in events
                            if e.kind == "contact"],
        "history": [{"ts_ms": e.ts_ms, "kind": e.kind, "text": e.text} for e in events],
    }


def promises_at_risk(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(t.Booking).where(t.Booking.status == "active",
                                                   t.Booking.at_risk.is_not(None))).all()
    return [{"ticket_id": b.ticket_id, **_booking(b)} for b in rows]
