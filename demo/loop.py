"""What the demo injects and what it reports: the fault plan, the ticket summary, the result.

The pipeline itself (broker, ingest, detectors, dispatch, web app) is
:mod:`demo.pipeline`; this module is its pure input and output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from detect.evaluation.metrics import Report

#: A few developing faults (and one sudden failure, to keep the result honest), placed so
#: that each starts after the history the detectors learn from and fails inside the run:
#: (fault, onset, length) with onset and length as shares of the run. On the default 60
#: days a fault takes 24-27 days to fail, inside the ranges real ones take (10-120 days,
#: see ``simulators.faults``).
DEMO_FAULTS: tuple[tuple[str, float, float], ...] = (
    ("refrigerant_leak", 0.42, 0.45),
    ("compressor_wear", 0.42, 0.45),
    ("low_flow", 0.44, 0.40),
    ("fan_degradation", 0.43, 0.45),
    ("expansion_valve", 0.45, 0.42),
    ("sensor_drift", 0.50, 0.0),
    ("electronic", 0.60, 0.0),
)


@dataclass
class TicketSummary:
    opened: int = 0
    visits_booked: int = 0
    remote_checks: int = 0
    escalated: int = 0
    messages: int = 0
    on_healthy_devices: int = 0
    sample_message: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoResult:
    devices: int
    days: float
    seed: int
    speed: float
    findings: int
    report: Report
    tickets: TicketSummary
    readings: int
    messages: int
    components: dict[str, str]
    web: dict[str, str]
    api: dict[str, Any]
    seconds: float
    plan: list[dict[str, Any]] = field(default_factory=list)
    failed_runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "devices": self.devices, "days": self.days, "seed": self.seed, "speed": self.speed,
            "seconds": round(self.seconds, 1), "readings": self.readings,
            "messages": self.messages, "findings": self.findings,
            "failed_runs": self.failed_runs,
            "faults_injected": self.plan,
            "detection": self.report.to_dict(),
            "tickets": asdict(self.tickets),
            "components": self.components, "web": self.web, "api": self.api,
        }


def demo_plan(devices: int, days: float, seed: int) -> list[dict[str, Any]]:
    """Which simulated heat pumps get which fault when (deterministic in ``seed``)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chosen = rng.choice(devices, size=min(len(DEMO_FAULTS), devices), replace=False)
    plan: list[dict[str, Any]] = []
    for index, (fault, onset, length) in zip(chosen, DEMO_FAULTS, strict=False):
        entry: dict[str, Any] = {"device": f"sim-{int(index):05d}", "fault": fault,
                                 "onset_day": round(days * (onset + rng.uniform(-0.05, 0.05)),
                                                    1)}
        if length:
            entry["progression_days"] = round(days * length, 1)
        if fault.startswith("sensor_"):
            entry["sensor"] = "supply_temp"
        plan.append(entry)
    return plan


def summarise(sessions: Any, faulty_devices: set[str]) -> TicketSummary:
    """Count what dispatch did, from the ticket database."""
    from sqlalchemy import select

    from dispatch.store import tables as t

    out = TicketSummary()
    with sessions() as s:
        tickets = s.scalars(select(t.Ticket).order_by(t.Ticket.id)).all()
        booked = {b.ticket_id for b in s.scalars(
            select(t.Booking).where(t.Booking.status != "cancelled")).all()}
        messages = s.scalars(select(t.OutboxEntry).where(t.OutboxEntry.channel != "webhook")
                             .order_by(t.OutboxEntry.id)).all()
        out.opened = len(tickets)
        out.visits_booked = sum(1 for x in tickets if x.id in booked)
        out.remote_checks = sum(1 for x in tickets if x.action == "remote_check")
        out.escalated = sum(1 for x in tickets if x.escalated)
        out.on_healthy_devices = sum(1 for x in tickets if x.device_id not in faulty_devices)
        out.messages = len(messages)
        if messages:
            payload = messages[0].payload or {}
            out.sample_message = f"{payload.get('subject', '')}\n\n{payload.get('body', '')}"
        out.rows = [{"id": x.id, "device": x.device_id, "problem": x.problem,
                     "diagnosis": (x.diagnosis or {}).get("fault"), "action": x.action,
                     "priority": x.priority_level, "booked": x.id in booked,
                     "escalated": bool(x.escalated)} for x in tickets]
    return out
