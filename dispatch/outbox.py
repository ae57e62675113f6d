"""The outbox: customer messages and webhooks, written in the same transaction as the
change they announce, delivered afterwards with retries.

- An entry is created once per idempotency key (a unique column): re-running the
  same change never queues a second message.
- Delivery takes one due entry at a time under a row lock (``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, so several dispatchers share the work), sends it and
  records the result in the same transaction. A sent entry is never sent again,
  across restarts too; a crash between sending and recording resends with the same
  idempotency key, which the receiver uses to drop the duplicate.
- A failed attempt is retried after an exponential backoff; after ``max_attempts``
  (or at once, if the receiver refused for good) the entry is dead-lettered
  (``status = 'dead'``) and the ticket gets an event for the planner.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dispatch.channels import Delivery, Sender
from dispatch.errors import DeliveryError, PermanentDeliveryError
from dispatch.store import tables as t
from dispatch.store import translate_errors

log = logging.getLogger(__name__)
PENDING, SENT, DEAD = "pending", "sent", "dead"


def backoff_ms(attempts: int, base_s: float, max_s: float) -> int:
    """Wait after the ``attempts``-th failure: base, 2 base, 4 base, ... capped at max."""
    return int(min(max_s, base_s * 2 ** max(0, attempts - 1)) * 1000)


def enqueue(session: Session, key: str, channel: str, destination: str,
            payload: dict[str, Any], now_ms: int, ticket_id: int | None = None) -> bool:
    """Queue a delivery unless one with ``key`` exists; True if queued now."""
    if session.scalar(select(t.OutboxEntry.id).where(t.OutboxEntry.key == key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(t.OutboxEntry(key=key, channel=channel, destination=destination,
                                      ticket_id=ticket_id, payload=payload, status=PENDING,
                                      attempts=0, next_attempt_ms=now_ms, created_ms=now_ms))
    except IntegrityError:  # queued concurrently by another dispatcher
        return False
    return True


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class Outbox:
    """Delivers due entries through the sender of their channel."""

    def __init__(self, sessions: sessionmaker[Session], senders: Mapping[str, Sender],
                 max_attempts: int = 6, retry_base_s: float = 30.0,
                 retry_max_s: float = 3600.0) -> None:
        self.sessions, self.senders = sessions, dict(senders)
        self.max_attempts, self.base_s, self.max_s = max_attempts, retry_base_s, retry_max_s

    @translate_errors("delivering the outbox")
    def deliver_due(self, now_ms: int, limit: int = 1000) -> DeliveryReport:
        """Attempt every entry due at ``now_ms`` (each at most once per call)."""
        report = DeliveryReport()
        tried: set[int] = set()
        while len(tried) < limit:
            with self.sessions.begin() as s:
                q = (select(t.OutboxEntry)
                     .where(t.OutboxEntry.status == PENDING,
                            t.OutboxEntry.next_attempt_ms <= now_ms,
                            t.OutboxEntry.channel.in_(list(self.senders)),
                            t.OutboxEntry.id.not_in(tried))
                     .order_by(t.OutboxEntry.id).limit(1)
                     .with_for_update(skip_locked=True))
                entry = s.scalars(q).first()
                if entry is None:
                    return report
                tried.add(entry.id)
                self._attempt(s, entry, now_ms, report)
        return report

    def _attempt(self, s: Session, entry: t.OutboxEntry, now_ms: int,
                 report: DeliveryReport) -> None:
        delivery = Delivery(entry.key, entry.channel, entry.destination, dict(entry.payload),
                            now_ms)
        entry.attempts += 1
        try:
            self.senders[entry.channel].send(delivery)
        except DeliveryError as exc:
            entry.last_error = str(exc)[:2000]
            report.errors.append(str(exc))
            permanent = isinstance(exc, PermanentDeliveryError)
            if permanent or entry.attempts >= self.max_attempts:
                entry.status = DEAD
                report.dead += 1
                log.warning("dead-lettered %s after %d attempts: %s", entry.key, entry.attempts,
                            exc)
                self._event(s, entry, now_ms, "delivery_failed",
                            f"{entry.channel} to {entry.destination} failed for good after "
                            f"{entry.attempts} attempt(s): {exc}")
            else:
                entry.next_attempt_ms = now_ms + backoff_ms(entry.attempts, self.base_s,
                                                            self.max_s)
                report.retried += 1
            return
        entry.status, entry.sent_ms, entry.last_error = SENT, now_ms, None
        report.sent += 1
        if entry.channel != "webhook":
            self._event(s, entry, now_ms, "contact",
                        f"{entry.channel} to {entry.destination}: "
                        f"{entry.payload.get('subject', '')}")

    @staticmethod
    def _event(s: Session, entry: t.OutboxEntry, now_ms: int, kind: str, text: str) -> None:
        if entry.ticket_id is not None:
            s.add(t.Event(ticket_id=entry.ticket_id, ts_ms=now_ms, kind=kind, text=text,
                          data={"key": entry.key, "channel": entry.channel}))
