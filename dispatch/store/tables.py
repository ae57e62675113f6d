"""The ticket database's tables (SQLAlchemy 2 declarative models).

The schema is created and changed only by the Alembic migrations in
``dispatch/store/migrations``; these models must match them (a test checks).

Invariants the database itself enforces, so that any number of dispatchers can
share it:

- one open ticket per (device, problem): a unique index over open tickets;
- a technician is never double-booked: unique (technician, window start) over
  bookings that are not cancelled;
- a ticket has at most one active booking;
- a finding is taken in once (its id is the key); an outbox entry is created once
  per idempotency key.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

OPEN = "open"
CLOSED = "closed"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON, list[Any]: JSON, int: BigInteger}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), default="sv")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    region: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2), default="SE")
    subdivision: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    climate: Mapped[str | None] = mapped_column(String(64))
    heat_source_role: Mapped[str | None] = mapped_column(String(16))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    model: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TechnicianRow(Base):
    __tablename__ = "technicians"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[Any]] = mapped_column()
    region: Mapped[str] = mapped_column(String(64))
    work_start_h: Mapped[int] = mapped_column(Integer, default=8)
    work_end_h: Mapped[int] = mapped_column(Integer, default=16)
    workdays: Mapped[list[Any]] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    country: Mapped[str] = mapped_column(String(2), default="SE")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("uq_tickets_open_problem", "device_id", "problem", unique=True,
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    problem: Mapped[str] = mapped_column(String(96))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    action: Mapped[str] = mapped_column(String(16))
    action_reason: Mapped[str] = mapped_column(Text)
    priority_score: Mapped[float] = mapped_column(Float)
    priority_level: Mapped[str] = mapped_column(String(4))
    priority: Mapped[dict[str, Any]] = mapped_column()
    diagnosis: Mapped[dict[str, Any]] = mapped_column()
    skill: Mapped[str] = mapped_column(String(128))
    parts: Mapped[list[Any]] = mapped_column()
    failure_window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    first_finding_ms: Mapped[int] = mapped_column()
    last_finding_ms: Mapped[int] = mapped_column()
    opened_ms: Mapped[int] = mapped_column()
    updated_ms: Mapped[int] = mapped_column()
    closed_ms: Mapped[int | None] = mapped_column(BigInteger)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_cause: Mapped[str | None] = mapped_column(Text)
    fixed_ms: Mapped[int | None] = mapped_column(BigInteger)
    customer_noticed: Mapped[bool | None] = mapped_column(Boolean)


#: the planner's queue order (status, then escalated, points, oldest first): a page of the
#: queue is read off the index, never sorted (migration 0002)
Index("ix_tickets_queue", Ticket.status, Ticket.escalated.desc(), Ticket.priority_score.desc(),
      Ticket.opened_ms, Ticket.id)


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    ts_ms: Mapped[int] = mapped_column()
    detector: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    received_ms: Mapped[int] = mapped_column()


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("uq_bookings_technician_window", "technician_id", "start_ms", unique=True,
              postgresql_where=text("status <> 'cancelled'"),
              sqlite_where=text("status <> 'cancelled'")),
        Index("uq_bookings_active_ticket", "ticket_id", unique=True,
              postgresql_where=text("status = 'active'"),
              sqlite_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    technician_id: Mapped[str] = mapped_column(ForeignKey("technicians.id"))
    start_ms: Mapped[int] = mapped_column()
    end_ms: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_ms: Mapped[int] = mapped_column()
    done_ms: Mapped[int | None] = mapped_column(BigInteger)
    at_risk: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """The ticket's history: findings, decisions, bookings and every customer contact."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    ts_ms: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OutboxEntry(Base):
    """A customer message or webhook to deliver, at most once per ``key``."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(500))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_ms: Mapped[int] = mapped_column()
    created_ms: Mapped[int] = mapped_column()
    sent_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class Suppression(Base):
    __tablename__ = "suppressions"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    problem: Mapped[str] = mapped_column(String(96), primary_key=True)
    until_ms: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class Label(Base):
    """An outcome as a label for detect: this device had (or had not) this fault, then."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    problem: Mapped[str] = mapped_column(String(96))
    label: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column()
    end_ms: Mapped[int] = mapped_column()
    created_ms: Mapped[int] = mapped_column()


class IntakeOffset(Base):
    """How far a followed findings file has been read (bytes), so a restart resumes."""

    __tablename__ = "intake_offsets"

    path: Mapped[str] = mapped_column(String(1000), primary_key=True)
    offset: Mapped[int] = mapped_column()
