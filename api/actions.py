"""What planners and technicians do to a ticket: acknowledge, add a note, reschedule or
reassign its visit, close it with an outcome.

Each action is one transaction that writes its ticket event (and, through dispatch's
:func:`~dispatch.announce.announce`, the webhooks) and, when a visit moves, the
customer's message; a window is taken under the database's no-double-booking index,
so a planner and a dispatcher racing for it cannot both win.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.accounts import Principal
from api.errors import Conflict, NotFound
from api.queries import technician, ticket_row
from dispatch.announce import iso, message_customer
from dispatch.booking import DAY_MS, HOUR_MS, Slot, candidate_slots, deadline
from dispatch.directory import technicians
from dispatch.dispatcher import Dispatcher
from dispatch.feedback import TicketNotOpen, close_ticket
from dispatch.scheduler import active_booking
from dispatch.store import tables as t

MAX_TRIES = 25


def _open_ticket(s: Session, ticket_id: int) -> t.Ticket:
    ticket = s.get(t.Ticket, ticket_id, with_for_update=True)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    if ticket.status != t.OPEN:
        raise Conflict(f"ticket {ticket_id} is {ticket.status}: reopen is not possible, "
                       "a new finding opens a new ticket")
    return ticket


def acknowledge(d: Dispatcher, ticket_id: int, who: Principal, now_ms: int) -> bool:
    """Mark the ticket as seen by ``who``; False if they had already."""
    with d.sessions.begin() as s:
        ticket = _open_ticket(s, ticket_id)
        done = s.scalar(select(t.Event.id).where(t.Event.ticket_id == ticket_id,
                                                 t.Event.kind == "acknowledged"))
        if done is not None:
            return False
        d.announce(s, ticket, "acknowledged", now_ms, f"acknowledged by {who.name}",
                   {"by": who.name})
        return True


def add_note(d: Dispatcher, ticket_id: int, who: Principal, text: str, now_ms: int) -> None:
    with d.sessions.begin() as s:
        ticket_row(s, ticket_id)
        s.add(t.Event(ticket_id=ticket_id, ts_ms=now_ms, kind="note",
                      text=f"{who.name}: {text.strip()}", data={"by": who.name}))


def _book(d: Dispatcher, s: Session, ticket: t.Ticket, active: t.Booking | None,
          slots: list[Slot], who: Principal, now_ms: int, event: str, verb: str) -> int:
    """Take the first free window of ``slots`` (releasing ``active``), announce it and
    tell the customer; returns the new booking's id."""
    for slot in slots[:MAX_TRIES]:
        try:
            with s.begin_nested():
                if active is not None:
                    active.status, active.at_risk = "cancelled", None
                    s.flush()
                b = t.Booking(ticket_id=ticket.id, technician_id=slot.technician_id,
                              start_ms=slot.start_ms, end_ms=slot.end_ms, status="active",
                              created_ms=now_ms)
                s.add(b)
                s.flush()
        except IntegrityError:  # taken meanwhile: try the next window
            continue
        ticket.escalated, ticket.escalation_reason = False, None
        tech = s.get(t.TechnicianRow, slot.technician_id)
        name = tech.name if tech else slot.technician_id
        d.announce(s, ticket, event, now_ms,
                   f"{verb} by {who.name}: {name} {iso(slot.start_ms)} - {iso(slot.end_ms)}",
                   {"by": who.name, "booking": {"id": b.id, "technician": slot.technician_id,
                                                "start_ms": slot.start_ms,
                                                "end_ms": slot.end_ms}})
        cfg = d.settings
        message_customer(s, ticket, b, "changed" if active is not None else "booked", name,
                         now_ms, cfg.channels, cfg.language, cfg.timezone)
        return b.id
    raise Conflict("every free window was taken meanwhile: try again")


def reschedule(d: Dispatcher, ticket_id: int, who: Principal, now_ms: int,
               technician_id: str | None = None, not_before_ms: int | None = None) -> int:
    """Move (or make) the visit to the next free window; returns the booking id.

    Only windows before the deadline (predicted failure minus the safety margin) are
    offered: a promise we could not keep is never made. Without ``not_before_ms`` the
    new window starts after the booked one (the customer cannot make it)."""
    cfg = d.settings
    with d.sessions.begin() as s:
        ticket = _open_ticket(s, ticket_id)
        active = active_booking(s, ticket_id)
        fw = ticket.failure_window
        due = deadline(now_ms, fw["earliest_ms"] if fw else None, cfg.safety_margin_h,
                       cfg.horizon_days)
        earliest = now_ms + int(cfg.min_notice_h * HOUR_MS)
        if not_before_ms is not None:
            earliest = max(earliest, not_before_ms)
        elif active is not None:
            earliest = max(earliest, active.start_ms + 1)
        techs = technicians(s)
        if technician_id is not None:
            techs = [technician(s, technician_id)]
        region = (ticket.context.get("site") or {}).get("region") or ""
        taken = {(b.technician_id, b.start_ms) for b in s.scalars(select(t.Booking).where(
            t.Booking.status != "cancelled", t.Booking.start_ms >= earliest - DAY_MS,
            t.Booking.start_ms < due))}
        slots = candidate_slots(techs, ticket.skill, region, taken, earliest, due,
                                cfg.slot_minutes)
        if not slots:
            who_ = f"technician {technician_id}" if technician_id else f"{ticket.skill}"
            raise Conflict(f"no {who_} free in region {region or '(unknown)'} between "
                           f"{iso(earliest)} and the deadline {iso(due)} (predicted failure "
                           f"minus {cfg.safety_margin_h:g} h): keep the booked visit or "
                           "escalate")
        return _book(d, s, ticket, active, slots, who, now_ms, "ticket.booked", "rescheduled")


def reassign(d: Dispatcher, ticket_id: int, who: Principal, technician_id: str,
             now_ms: int) -> int:
    """Give the booked window to another technician who can do it and is free then."""
    cfg = d.settings
    with d.sessions.begin() as s:
        ticket = _open_ticket(s, ticket_id)
        active = active_booking(s, ticket_id)
        if active is None:
            raise Conflict(f"ticket {ticket_id} has no booked visit to reassign: reschedule "
                           "it to book one")
        if active.technician_id == technician_id:
            return active.id
        tech = technician(s, technician_id)
        if not tech.can_do(ticket.skill):
            raise Conflict(f"{tech.name} is no {ticket.skill}")
        taken = {(b.technician_id, b.start_ms) for b in s.scalars(select(t.Booking).where(
            t.Booking.technician_id == technician_id, t.Booking.status != "cancelled",
            t.Booking.start_ms == active.start_ms))}
        region = (ticket.context.get("site") or {}).get("region") or tech.region
        slots = [x for x in candidate_slots([tech], ticket.skill, region, taken,
                                            active.start_ms, active.end_ms, cfg.slot_minutes)
                 if x.start_ms == active.start_ms]
        if not slots:
            raise Conflict(f"{tech.name} is not free (or not working, or not in region "
                           f"{region}) {iso(active.start_ms)} - {iso(active.end_ms)}")
        return _book(d, s, ticket, active, slots, who, now_ms, "ticket.reassigned",
                     "reassigned")


def close(d: Dispatcher, ticket_id: int, who: Principal, outcome: str, cause: str | None,
          visited_ms: int | None, customer_noticed: bool, now_ms: int) -> None:
    with d.sessions() as s:
        ticket_row(s, ticket_id)
    try:
        close_ticket(d, ticket_id, outcome, now_ms, cause=cause, visited_ms=visited_ms,
                     customer_noticed=customer_noticed)
    except TicketNotOpen:
        raise Conflict(f"ticket {ticket_id} is already closed") from None
    add_note(d, ticket_id, who, f"closed as {outcome}", now_ms)
