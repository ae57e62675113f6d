"""Run the loop end to end on embedded defaults: simulate → store → detect → dispatch.

A simulated fleet (with faults drawn from the default mix) is backfilled into the
embedded SQLite telemetry store; the detectors are replayed over that history in
scheduler-sized steps, exactly as ``forewarn evaluate`` does; their findings are fed
in time order to a dispatcher on a SQLite ticket database, which correlates them into
tickets, decides the action, books technicians and queues the customer messages.
Everything lands in ``workdir`` so the planner web app can be served on it afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config import DispatchSettings
from detect.evaluation.metrics import Report
from detect.evaluation.run import evaluate
from detect.evaluation.simulate import DEFAULT_START_S

Progress = Callable[[str, int, int], None]

#: A few developing faults (and one sudden failure, to keep the result honest), placed so
#: that each has a healthy history first and fails inside the run: (fault, onset, length)
#: with onset and length as shares of the run.
DEMO_FAULTS: tuple[tuple[str, float, float], ...] = (
    ("refrigerant_leak", 0.42, 0.30),
    ("compressor_wear", 0.40, 0.35),
    ("low_flow", 0.45, 0.25),
    ("fan_degradation", 0.45, 0.30),
    ("expansion_valve", 0.50, 0.25),
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
    findings: int
    report: Report
    tickets: TicketSummary
    telemetry_path: Path
    tickets_url: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "devices": self.devices, "days": self.days, "seed": self.seed,
            "findings": self.findings,
            "detection": self.report.to_dict(),
            "tickets": asdict(self.tickets),
            "telemetry_store": str(self.telemetry_path), "tickets_url": self.tickets_url,
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


def run_demo(workdir: Path, devices: int = 50, days: float = 60.0, seed: int = 1,
             progress: Progress | None = None) -> DemoResult:
    """Run the whole loop into ``workdir`` and return what happened."""
    from dispatch.directory import directory_from_fleet
    from dispatch.directory import seed as seed_directory
    from dispatch.dispatcher import Dispatcher, replay
    from dispatch.forecast import SimulatedForecast
    from dispatch.store import connect, migrate, session_factory
    from ingest.store import EmbeddedStore
    from simulators.fleet import Fleet

    workdir.mkdir(parents=True, exist_ok=True)
    telemetry_path = workdir / "telemetry.sqlite"
    tickets_path = workdir / "tickets.sqlite"
    for stale in (telemetry_path, tickets_path):
        stale.unlink(missing_ok=True)
    store = EmbeddedStore(telemetry_path)
    try:
        evaluation = evaluate(store, devices, days, seed, progress=progress,
                              plan=demo_plan(devices, days, seed))
    finally:
        store.close()

    tickets_url = f"sqlite:///{tickets_path}"
    engine = connect(tickets_url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        seed_directory(sessions, directory_from_fleet(devices, seed))
        weather = Fleet(devices, seed=seed, start_s=DEFAULT_START_S, interval_s=600.0).weather
        dispatcher = Dispatcher(sessions, DispatchSettings(labels_path=workdir / "labels.jsonl"),
                                SimulatedForecast(weather))
        replay(dispatcher, evaluation.findings,
               progress=(lambda k, n: progress("dispatch", k, n)) if progress else None)
        faulty = {r.device_id for r in evaluation.run.truth.faults if r.fault != "none"}
        summary = summarise(sessions, faulty)
    finally:
        engine.dispose()
    return DemoResult(devices, days, seed, len(evaluation.findings), evaluation.report,
                      summary, telemetry_path, tickets_url)


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
