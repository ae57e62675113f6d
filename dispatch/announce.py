"""What a change tells the world: a ticket event, the same event to every webhook target,
and (for a booked or moved visit) a message to the customer on each of their channels.

Nothing is sent here: everything is queued in the outbox, in the transaction of the
change itself, under an idempotency key derived from the change (the event row, the
booking), so it goes out once or, if the change rolls back, never.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from dispatch import messages
from dispatch.outbox import enqueue
from dispatch.store import tables as t


def iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def summary(ticket: t.Ticket) -> dict[str, Any]:
    """The ticket as announced to other systems (webhooks)."""
    return {"id": ticket.id, "device_id": ticket.device_id, "problem": ticket.problem,
            "status": ticket.status, "action": ticket.action,
            "action_reason": ticket.action_reason, "priority": ticket.priority_level,
            "priority_score": ticket.priority_score, "skill": ticket.skill,
            "parts": ticket.parts, "failure_window": ticket.failure_window,
            "escalated": ticket.escalated, "outcome": ticket.outcome}


def announce(s: Session, ticket: t.Ticket, event: str, now_ms: int, text: str,
             webhook_urls: Sequence[str], extra: dict[str, Any] | None = None) -> None:
    """Write the ticket event and queue it to every webhook target."""
    row = t.Event(ticket_id=ticket.id, ts_ms=now_ms, kind=event, text=text, data=extra or {})
    s.add(row)
    s.flush()
    for i, url in enumerate(webhook_urls):
        key = f"wh:{row.id}:{i}"
        payload = {"id": key, "event": event, "occurred_ms": now_ms, "text": text,
                   "ticket": summary(ticket), **(extra or {})}
        enqueue(s, key, "webhook", url, payload, now_ms, ticket.id)


def message_customer(s: Session, ticket: t.Ticket, booking: t.Booking, kind: str,
                     technician: str, now_ms: int, channels: Sequence[str],
                     default_language: str, default_timezone: str, reason: str = "") -> int:
    """Queue the ``kind`` message about ``booking`` on each channel the customer has;
    returns how many were queued."""
    customer = ticket.context.get("customer")
    if not customer:
        return 0
    site = ticket.context.get("site") or {}
    lang = messages.language_of(customer.get("language"), default_language)
    msg = messages.render(kind, lang, name=customer["name"], fault=ticket.diagnosis["fault"],
                          technician=technician, start_ms=booking.start_ms,
                          end_ms=booking.end_ms,
                          timezone=site.get("timezone") or default_timezone, reason=reason)
    addresses = {"email": customer.get("email"), "sms": customer.get("phone"),
                 "chat": customer.get("chat_id"), "console": customer.get("id")}
    queued = 0
    for channel in channels:
        to = addresses.get(channel)
        if to:
            queued += enqueue(s, f"msg:{booking.id}:{kind}:{channel}", channel, to,
                              {"subject": msg.subject, "body": msg.body, "language": lang,
                               "kind": kind}, now_ms, ticket.id)
    return queued
