"""Outcome feedback: a ticket closes with what the technician found, and that reaches
detect and the KPIs.

Outcomes: ``fault_confirmed`` (with its cause), ``no_fault_found``, and ``cleared``
(the problem went away by itself; closed by the sweep). Each closed ticket becomes
a *label* (this device had, or had not, this problem between the first finding and
the close) in the ``labels`` table and in a JSON-lines file detect reads
(``dispatch.labels_path``), rewritten whole after every close so it always matches
the table. A no-fault-found visit also *suppresses* the problem on that device for
``suppress_days``: repeated alarms are watched, not dispatched, unless the evidence
is very strong (see :mod:`dispatch.policy`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.announce import message_customer
from dispatch.booking import DAY_MS
from dispatch.store import tables as t
from dispatch.store import translate_errors

if TYPE_CHECKING:
    from dispatch.dispatcher import Dispatcher

OUTCOMES: Final = ("fault_confirmed", "no_fault_found", "cleared")
LABEL_OF: Final = {"fault_confirmed": "fault", "no_fault_found": "no_fault",
                   "cleared": "cleared"}


class TicketNotOpen(ValueError):
    """The ticket does not exist or is already closed."""


@translate_errors("closing a ticket")
def close_ticket(dispatcher: Dispatcher, ticket_id: int, outcome: str, now_ms: int, *,
                 cause: str | None = None, visited_ms: int | None = None,
                 customer_noticed: bool = False) -> None:
    """Close an open ticket with its outcome; write the label and any suppression."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} must be one of {OUTCOMES}")
    cfg = dispatcher.settings
    with dispatcher.sessions.begin() as s:
        ticket = s.get(t.Ticket, ticket_id, with_for_update=True)
        if ticket is None or ticket.status != t.OPEN:
            raise TicketNotOpen(f"ticket {ticket_id} is not open")
        ticket.status, ticket.closed_ms, ticket.updated_ms = t.CLOSED, now_ms, now_ms
        ticket.outcome, ticket.outcome_cause = outcome, cause
        ticket.customer_noticed = customer_noticed
        if outcome == "fault_confirmed":
            ticket.fixed_ms = visited_ms or now_ms
        for b in s.scalars(select(t.Booking).where(t.Booking.ticket_id == ticket_id,
                                                   t.Booking.status == "active")):
            if outcome == "cleared":  # the visit is not needed: release it, tell the customer
                b.status = "cancelled"
                s.flush()
                tech = s.get(t.TechnicianRow, b.technician_id)
                message_customer(s, ticket, b, "cancelled", tech.name if tech else "", now_ms,
                                 cfg.channels, cfg.language, cfg.timezone, reason="cleared")
            else:
                b.status, b.done_ms = "done", visited_ms or now_ms
        s.add(t.Label(ticket_id=ticket_id, device_id=ticket.device_id, problem=ticket.problem,
                      label=LABEL_OF[outcome], cause=cause, start_ms=ticket.first_finding_ms,
                      end_ms=now_ms, created_ms=now_ms))
        if outcome == "no_fault_found" and cfg.suppress_days > 0:
            until = now_ms + int(cfg.suppress_days * DAY_MS)
            s.merge(t.Suppression(device_id=ticket.device_id, problem=ticket.problem,
                                  until_ms=until, ticket_id=ticket_id,
                                  reason=f"no fault found on ticket {ticket_id}"))
        dispatcher.announce(s, ticket, "ticket.closed", now_ms,
                            f"closed: {outcome}" + (f" ({cause})" if cause else ""),
                            {"outcome": outcome, "cause": cause})
    with dispatcher.sessions() as s:
        export_labels(s, cfg.labels_path)


def export_labels(session: Session, path: Path) -> int:
    """Rewrite the labels file from the table (atomically); returns the number of labels."""
    rows = session.execute(select(t.Label, t.Ticket.diagnosis).join(
        t.Ticket, t.Ticket.id == t.Label.ticket_id).order_by(t.Label.id)).all()
    supp = {(x.device_id, x.problem): x.until_ms for x in session.scalars(select(t.Suppression))}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r, diagnosis in rows:
            fh.write(json.dumps({
                "device_id": r.device_id, "problem": r.problem, "fault": diagnosis["fault"],
                "sensor": diagnosis.get("sensor"), "label": r.label,
                "cause": r.cause, "start_ms": r.start_ms, "end_ms": r.end_ms,
                "ticket_id": r.ticket_id,
                "suppress_until_ms": supp.get((r.device_id, r.problem))
                if r.label == "no_fault" else None}, separators=(",", ":")) + "\n")
    os.replace(tmp, path)
    return len(rows)


def read_labels(path: Path) -> Iterator[dict[str, Any]]:
    """The labels in a file written by :func:`export_labels` (for detect)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def suppressed(path: Path, device_id: str, problem: str, now_ms: int) -> bool:
    """True when a no-fault-found visit still suppresses ``problem`` (``machine``,
    ``sensors`` or ``connectivity``) on ``device_id``."""
    return any(lab["device_id"] == device_id and lab["problem"] == problem
               and (lab.get("suppress_until_ms") or 0) > now_ms for lab in read_labels(path))
