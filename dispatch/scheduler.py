"""Booking a ticket's visit in the database: the earliest free window found by
:func:`dispatch.booking.candidate_slots`, inserted under the database's no-double-booking
constraint, or an escalation to a planner when nothing fits before the deadline.

A window taken meanwhile by another dispatcher fails on the unique index and the next
one is tried. A visit already booked is moved when a newer prediction puts the failure
before it (only to an earlier window) or when a newer diagnosis needs a skill the booked
technician lacks; the customer then gets a "changed" message and the old window is
released. A promise that can no longer be kept is flagged at risk.
"""

from __future__ import annotations

import logging
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from dispatch.announce import announce, iso, message_customer
from dispatch.booking import DAY_MS, HOUR_MS, Slot, candidate_slots, covers, deadline
from dispatch.directory import technicians
from dispatch.policy import Action
from dispatch.store import tables as t
from dispatch.store import translate_errors

log = logging.getLogger(__name__)
MAX_SLOT_TRIES: Final = 25


def active_booking(s: Session, ticket_id: int) -> t.Booking | None:
    return s.scalars(select(t.Booking).where(t.Booking.ticket_id == ticket_id,
                                             t.Booking.status == "active")).first()


def _can_do(s: Session, booking: t.Booking | None, skill: str) -> bool:
    """Whether the booked technician has the skill the (possibly new) diagnosis needs."""
    if booking is None:
        return False
    row = s.get(t.TechnicianRow, booking.technician_id)
    return row is not None and covers(row.skills, skill)


class Scheduler:
    """Books, moves and escalates visits."""

    def __init__(self, sessions: sessionmaker[Session], settings: DispatchSettings) -> None:
        self.sessions, self.settings = sessions, settings

    @translate_errors("booking a visit")
    def book(self, ticket_id: int, now_ms: int) -> tuple[int | None, bool]:
        """Book (or move earlier) the ticket's visit; escalate if nothing fits.

        Returns (active booking id, escalated now).
        """
        cfg = self.settings
        with self.sessions.begin() as s:
            ticket = s.get(t.Ticket, ticket_id)
            if ticket is None or ticket.status != t.OPEN or ticket.action != Action.VISIT:
                return None, False
            active = active_booking(s, ticket_id)
            window = ticket.failure_window
            due = deadline(now_ms, window["earliest_ms"] if window else None,
                           cfg.safety_margin_h, cfg.horizon_days)
            able = _can_do(s, active, ticket.skill)
            if active is not None and active.end_ms <= due and able:
                return active.id, False
            region = (ticket.context.get("site") or {}).get("region")
            earliest = now_ms + int(cfg.min_notice_h * HOUR_MS)
            taken = {(b.technician_id, b.start_ms) for b in s.scalars(select(t.Booking).where(
                t.Booking.status != "cancelled", t.Booking.start_ms >= earliest - DAY_MS,
                t.Booking.start_ms < due))}
            slots = candidate_slots(technicians(s), ticket.skill, region or "", taken, earliest,
                                    due, cfg.slot_minutes) if region else []
            if active is not None and able:  # only a move earlier is worth a change
                slots = [x for x in slots if x.start_ms < active.start_ms]
        for slot in slots[:MAX_SLOT_TRIES]:
            try:
                booked = self._try_slot(ticket_id, slot, due, now_ms)
            except IntegrityError:  # taken meanwhile by another dispatcher
                log.debug("window %s of %s was taken meanwhile", iso(slot.start_ms),
                          slot.technician_id)
                continue
            if booked is not None:
                return booked, False
        return self._no_slot(ticket_id, due, region, now_ms)

    def _try_slot(self, ticket_id: int, slot: Slot, due: int, now_ms: int) -> int | None:
        with self.sessions.begin() as s:
            ticket = s.get(t.Ticket, ticket_id, with_for_update=True)
            assert ticket is not None
            active = active_booking(s, ticket_id)
            if active is not None and active.end_ms <= due and _can_do(s, active, ticket.skill):
                return active.id  # booked meanwhile by another dispatcher
            kind = "booked"
            if active is not None:
                active.status, active.at_risk = "cancelled", None
                s.flush()
                kind = "changed"
            b = t.Booking(ticket_id=ticket_id, technician_id=slot.technician_id,
                          start_ms=slot.start_ms, end_ms=slot.end_ms, status="active",
                          created_ms=now_ms)
            s.add(b)
            s.flush()
            if ticket.escalated:
                ticket.escalated, ticket.escalation_reason = False, None
            tech = s.get(t.TechnicianRow, slot.technician_id)
            tech_name = tech.name if tech else slot.technician_id
            announce(s, ticket, "ticket.booked", now_ms,
                          f"{kind}: {tech_name} {iso(slot.start_ms)} - {iso(slot.end_ms)} "
                          f"(deadline {iso(due)})",
                          self.settings.webhook_urls,
                          {"booking": {"id": b.id, "technician": slot.technician_id,
                                       "start_ms": slot.start_ms, "end_ms": slot.end_ms}})
            message_customer(s, ticket, b, kind, tech_name, now_ms, self.settings.channels,
                             self.settings.language, self.settings.timezone)
            return b.id

    def _no_slot(self, ticket_id: int, due: int, region: str | None,
                 now_ms: int) -> tuple[int | None, bool]:
        with self.sessions.begin() as s:
            ticket = s.get(t.Ticket, ticket_id, with_for_update=True)
            assert ticket is not None
            active = active_booking(s, ticket_id)
            where = f"in region {region}" if region else "(the site's region is unknown)"
            reason = (f"no {ticket.skill} free {where} before {iso(due)} "
                      f"(predicted failure minus {self.settings.safety_margin_h:g} h margin): "
                      "a planner must decide")
            if active is not None:
                why = ("failure predicted before the booked visit"
                       if _can_do(s, active, ticket.skill)
                       else f"the booked technician is no {ticket.skill}")
                risk = f"{why}; {reason}"
                if active.at_risk != risk:
                    active.at_risk = risk
                    announce(s, ticket, "promise.at_risk", now_ms, risk,
                             self.settings.webhook_urls)
            if ticket.escalated and ticket.escalation_reason == reason:
                return (active.id if active else None), False
            ticket.escalated, ticket.escalation_reason = True, reason
            announce(s, ticket, "ticket.escalated", now_ms, reason, self.settings.webhook_urls)
            return (active.id if active else None), True
