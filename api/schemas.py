"""What the API takes and gives: ``...Create`` / ``...Update`` bodies in, ``...Public`` out."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.accounts import ROLES

Role = Literal["planner", "technician", "integration", "admin"]
assert set(ROLES) == {"planner", "technician", "integration", "admin"}
Health = Literal["ok", "watch", "remote_check", "visit"]
Ms = int


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    pass


# -- bodies ------------------------------------------------------------------------------

class NoteCreate(_In):
    text: str = Field(min_length=1, max_length=2000, description="the note, plain text")


class RescheduleCreate(_In):
    """Move the visit to another free window (re-checks the technicians' calendars).

    Without fields: the next free window after the booked one, with any able technician,
    still before the deadline (predicted failure minus the safety margin)."""

    technician_id: str | None = Field(None, max_length=64, description="only this technician")
    not_before_ms: Ms | None = Field(None, ge=0, description="no window starting before this")


class AssignmentUpdate(_In):
    technician_id: str = Field(min_length=1, max_length=64,
                               description="who takes the booked window instead")


class OutcomeCreate(_In):
    outcome: Literal["fault_confirmed", "no_fault_found"]
    cause: str | None = Field(None, max_length=2000,
                              description="what was wrong (required for fault_confirmed)")
    visited_ms: Ms | None = Field(None, ge=0, description="when the technician was there")
    customer_noticed: bool = Field(False, description="the customer noticed before we came")

    @model_validator(mode="after")
    def _cause_with_fault(self) -> OutcomeCreate:
        if self.outcome == "fault_confirmed" and not (self.cause or "").strip():
            raise ValueError("cause is required when the outcome is fault_confirmed")
        return self


class ApiKeyCreate(_In):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role


# -- responses ---------------------------------------------------------------------------

T = TypeVar("T")


class Page(_Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as ?cursor= for the next page")


class ReasonPublic(_Out):
    name: str
    points: float
    reason: str


class BookingPublic(_Out):
    id: int
    technician_id: str
    technician_name: str | None = None
    start_ms: Ms
    end_ms: Ms
    status: str
    at_risk: str | None = None


class TicketSummary(_Out):
    id: int
    device_id: str
    problem: str
    fault: str = Field(description="the diagnosed fault (with the sensor, if one)")
    status: str
    action: str
    priority: str
    score: float
    escalated: bool
    reasons: list[ReasonPublic] = Field(description="why this priority, biggest first")
    failure_earliest_ms: Ms | None = None
    failure_expected_ms: Ms | None = None
    booking: BookingPublic | None = None
    region: str | None = None
    findings: int
    opened_ms: Ms
    updated_ms: Ms


class MessagePublic(_Out):
    channel: str
    destination: str
    subject: str | None = None
    body: str | None = None
    kind: str | None = None
    status: str
    created_ms: Ms
    sent_ms: Ms | None = None


class EventPublic(_Out):
    ts_ms: Ms
    kind: str
    text: str


class FindingPublic(_Out):
    id: str
    ticket_id: int | None
    device_id: str
    ts_ms: Ms
    detector: str
    score: float
    note: str


class TicketPublic(TicketSummary):
    action_reason: str
    priority_detail: dict[str, Any]
    diagnosis: dict[str, Any]
    skill: str
    parts: list[Any]
    failure_window: dict[str, Any] | None
    evidence: dict[str, Any] | None
    customer: dict[str, Any] | None
    site: dict[str, Any] | None
    device: dict[str, Any] | None
    escalation_reason: str | None
    closed_ms: Ms | None
    outcome: str | None
    outcome_cause: str | None
    acknowledged_by: str | None
    finding_list: list[FindingPublic]
    bookings: list[BookingPublic]
    messages: list[MessagePublic]
    history: list[EventPublic]


class DeviceSummary(_Out):
    id: str
    site_id: str
    region: str | None
    model: str | None
    health: Health
    open_tickets: int
    worst_priority: str | None


class DevicePublic(DeviceSummary):
    site: dict[str, Any]
    customer: dict[str, Any] | None
    facts: dict[str, Any]
    status: dict[str, Any] | None
    meta: dict[str, Any] | None
    tickets: list[TicketSummary]


class TelemetryPublic(_Out):
    device_id: str
    start_ms: Ms
    stop_ms: Ms
    every_ms: Ms = Field(description="each point averages this long a window")
    times_ms: list[Ms]
    signals: dict[str, list[float | None]]
    units: dict[str, str]


class TechnicianPublic(_Out):
    id: str
    name: str
    skills: list[str]
    region: str
    work_start_h: int
    work_end_h: int
    workdays: list[int]
    timezone: str


class SlotPublic(_Out):
    start_ms: Ms
    end_ms: Ms


class CalendarPublic(_Out):
    technician_id: str
    start_ms: Ms
    stop_ms: Ms
    bookings: list[BookingPublic]
    free: list[SlotPublic]


class KPIPublic(_Out):
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
    open_tickets: int


class RegionHealth(_Out):
    region: str
    devices: int
    by_health: dict[str, int] = Field(description="devices by health (worst open ticket)")
    open_tickets: int
    p1: int
    visits_booked: int


class SiteHealth(_Out):
    site_id: str
    region: str
    climate: str | None = None
    devices: int
    health: Health = Field(description="the site's worst device")
    by_health: dict[str, int] = Field(description="devices by health (worst open ticket)")
    open_tickets: int
    p1: int = Field(description="open P1 tickets")


class FleetHealth(_Out):
    devices: int
    by_health: dict[str, int]
    by_priority: dict[str, int]
    regions: list[RegionHealth]


class ApiKeyPublic(_Out):
    name: str
    role: str
    hint: str = Field(description="the key's first characters, to recognise it")
    created_ms: Ms
    revoked_ms: Ms | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key itself: shown this once, stored only hashed")


class CheckPublic(_Out):
    ok: bool
    detail: str


class ReadyPublic(_Out):
    status: Literal["ready", "not ready"]
    checks: dict[str, CheckPublic]
