"""The dispatcher: findings in, one prioritised ticket per problem out, booked before failure.

The decisions are the pure functions of :mod:`dispatch.problems`, :mod:`dispatch.policy`,
:mod:`dispatch.priority` and :mod:`dispatch.booking`; this class only reads their inputs
from the ticket database and writes their results back, with the database enforcing
the invariants (one open ticket per problem, no double booking). Any number of
dispatchers may share one PostgreSQL database: a race lost on a unique index is
simply retried and then finds the winner's row.

Time is always passed in (``now_ms``), so the same code runs live and in replays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from detect.diagnosis import Diagnosis
from detect.findings import Finding
from dispatch.announce import announce, iso
from dispatch.booking import DAY_MS, HOUR_MS
from dispatch.context import DeviceMetaLookup, gather, site_facts
from dispatch.errors import StoreError
from dispatch.feedback import close_ticket
from dispatch.forecast import NoForecast, TemperatureForecast
from dispatch.policy import Action, Decision, decide, escalate
from dispatch.priority import Impact, Priority, prioritise
from dispatch.problems import OpenProblem, cleared, problem_key, route
from dispatch.scheduler import Scheduler
from dispatch.store import tables as t
from dispatch.store import translate_errors

log = logging.getLogger(__name__)
RACE_RETRIES: Final = 5
#: In a replay, findings are handled a few minutes after the detector run that made them.
REPLAY_DELAY_MS: Final = 300_000


@dataclass(frozen=True)
class Handled:
    """What became of one finding."""

    finding_id: str
    ticket_id: int | None
    created: bool = False
    duplicate: bool = False
    stale: bool = False
    action: str | None = None
    booking_id: int | None = None
    escalated: bool = False


class Dispatcher:
    """Takes findings into tickets, books visits and announces both."""

    def __init__(self, sessions: sessionmaker[Session], settings: DispatchSettings,
                 forecast: TemperatureForecast | None = None,
                 device_meta: DeviceMetaLookup | None = None) -> None:
        self.sessions, self.settings = sessions, settings
        self.forecast = forecast or NoForecast()
        self.device_meta = device_meta
        self.scheduler = Scheduler(sessions, settings)

    # -- findings -------------------------------------------------------------------------

    def handle_many(self, findings: Iterable[Finding], now_ms: int) -> list[Handled]:
        return [self.handle(f, now_ms) for f in findings]

    @translate_errors("taking a finding")
    def handle(self, finding: Finding, now_ms: int) -> Handled:
        """Take one finding (idempotent: the same finding twice changes nothing)."""
        for attempt in range(RACE_RETRIES):
            try:
                with self.sessions.begin() as s:
                    done = self._take(s, finding, now_ms)
                break
            except IntegrityError:  # another dispatcher opened the ticket or took the finding
                log.debug("race on finding %s (attempt %d), retrying", finding.id, attempt + 1)
        else:
            raise StoreError(f"finding {finding.id} of {finding.device_id}: still conflicting "
                             f"with other dispatchers after {RACE_RETRIES} attempts")
        if done.ticket_id is not None and done.action == Action.VISIT and not done.duplicate:
            booking_id, escalated = self.book(done.ticket_id, now_ms)
            return replace(done, booking_id=booking_id, escalated=escalated)
        return done

    def _take(self, s: Session, f: Finding, now_ms: int) -> Handled:
        if s.get(t.FindingRow, f.id) is not None:
            return Handled(f.id, None, duplicate=True)
        key = problem_key(f.diagnosis)
        open_rows = s.scalars(select(t.Ticket).where(
            t.Ticket.device_id == f.device_id, t.Ticket.status == t.OPEN
        ).order_by(t.Ticket.id).with_for_update()).all()
        last_closed = s.scalar(select(func.max(t.Ticket.closed_ms)).where(
            t.Ticket.device_id == f.device_id, t.Ticket.problem == key,
            t.Ticket.status == t.CLOSED))
        known = [OpenProblem(x.id, x.problem, x.diagnosis["fault"]) for x in open_rows]
        r = route(f.diagnosis, f.ts_ms, known, last_closed)
        row = t.FindingRow(id=f.id, device_id=f.device_id, ts_ms=f.ts_ms, detector=f.detector,
                           score=f.score, note=r.reason, received_ms=now_ms)
        if r.stale:
            s.add(row)
            return Handled(f.id, None, stale=True)
        ticket = next((x for x in open_rows if x.id == r.ticket_id), None)
        if ticket is None:
            ticket = self._open(s, f, r.problem, now_ms)
            created = True
        else:
            self._update(s, ticket, f, now_ms)
            created = False
        row.ticket_id = ticket.id
        s.add(row)
        return Handled(f.id, ticket.id, created=created, action=ticket.action)

    def _assess(self, s: Session, device_id: str, problem: str, diagnosis: Diagnosis,
                window: dict[str, Any] | None, context: dict[str, Any],
                now_ms: int) -> tuple[Action, str, Priority]:
        cfg = self.settings
        supp = s.get(t.Suppression, (device_id, problem))
        decision = decide(diagnosis, cfg, supp.until_ms if supp else None, now_ms,
                          window["expected_ms"] if window else None)
        facts = site_facts(context, cfg.country, cfg.timezone)
        horizon_end = window["latest_ms"] if window else now_ms + 5 * DAY_MS
        temp = self.forecast.min_temp(facts.climate, now_ms, max(horizon_end, now_ms + HOUR_MS))
        impact = Impact(now_ms, diagnosis.confidence,
                        window["earliest_ms"] if window else None,
                        window["expected_ms"] if window else None,
                        window["latest_ms"] if window else None, temp,
                        facts.heat_source_role, facts.vulnerable, facts.country,
                        facts.subdivision, facts.timezone)
        return decision.action, decision.reason, prioritise(impact, cfg.priority_weights,
                                                            cfg.urgent_at, cfg.high_at)

    def _open(self, s: Session, f: Finding, problem: str, now_ms: int) -> t.Ticket:
        cfg = self.settings
        context = gather(s, f.device_id, self.device_meta, cfg.country, cfg.timezone)
        window = asdict(f.failure_window) if f.failure_window else None
        action, reason, prio = self._assess(s, f.device_id, problem, f.diagnosis, window,
                                            context, now_ms)
        d = f.diagnosis
        ticket = t.Ticket(
            device_id=f.device_id, problem=problem, status=t.OPEN, action=action.value,
            action_reason=reason, priority_score=prio.score, priority_level=prio.level.value,
            priority=prio.to_dict(), diagnosis=asdict(d), skill=d.skill, parts=list(d.parts),
            failure_window=window, evidence=_evidence(f), context=context, finding_count=1,
            first_finding_ms=f.ts_ms, last_finding_ms=f.ts_ms, opened_ms=now_ms,
            updated_ms=now_ms, escalated=False)
        s.add(ticket)
        s.flush()  # a concurrent twin fails here on the open-problem unique index
        self.announce(s, ticket, "ticket.opened", now_ms,
                      f"opened for {_label(f.diagnosis)} ({prio.level.value}, "
                      f"{prio.score:.0f} points): "
                      f"{action.value} - {reason}")
        return ticket

    def _update(self, s: Session, ticket: t.Ticket, f: Finding, now_ms: int) -> None:
        ticket.finding_count += 1
        ticket.last_finding_ms = max(ticket.last_finding_ms, f.ts_ms)
        ticket.updated_ms = now_ms
        if f.evidence is not None and f.ts_ms >= ticket.last_finding_ms:
            ticket.evidence = _evidence(f)
        new_window = asdict(f.failure_window) if f.failure_window else None
        old = ticket.failure_window
        if new_window and (old is None or new_window["earliest_ms"] < old["earliest_ms"]):
            ticket.failure_window = new_window
            s.add(t.Event(ticket_id=ticket.id, ts_ms=now_ms, kind="forecast",
                          text="failure now predicted between "
                          f"{iso(new_window['earliest_ms'])} and {iso(new_window['latest_ms'])}",
                          data=new_window))
        diagnosis = Diagnosis(**{**ticket.diagnosis, "parts": tuple(ticket.diagnosis["parts"]),
                                 "alternatives": ()})
        if f.diagnosis.confidence > diagnosis.confidence and \
                problem_key(f.diagnosis) == ticket.problem:
            if f.diagnosis.fault != diagnosis.fault or f.diagnosis.sensor != diagnosis.sensor:
                s.add(t.Event(ticket_id=ticket.id, ts_ms=now_ms, kind="diagnosis",
                              text=f"diagnosis now {_label(f.diagnosis)} "
                              f"({f.diagnosis.confidence:.2f}), was {_label(diagnosis)} "
                              f"({diagnosis.confidence:.2f})"))
            diagnosis = f.diagnosis
            ticket.diagnosis = asdict(diagnosis)
            ticket.skill, ticket.parts = diagnosis.skill, list(diagnosis.parts)
        action, reason, prio = self._assess(s, ticket.device_id, ticket.problem, diagnosis,
                                            ticket.failure_window, ticket.context, now_ms)
        step = escalate(Action(ticket.action), Decision(action, reason))
        if step is not None:
            ticket.action, ticket.action_reason = step.action.value, step.reason
            self.announce(s, ticket, "ticket.action_raised", now_ms,
                          f"raised to {step.action.value}: {step.reason}")
        if prio.level.value != ticket.priority_level:
            s.add(t.Event(ticket_id=ticket.id, ts_ms=now_ms, kind="priority",
                          text=f"priority {ticket.priority_level} -> {prio.level.value} "
                          f"({prio.score:.0f} points)"))
        ticket.priority_score, ticket.priority_level = prio.score, prio.level.value
        ticket.priority = prio.to_dict()

    # -- booking --------------------------------------------------------------------------

    def book(self, ticket_id: int, now_ms: int) -> tuple[int | None, bool]:
        """Book (or move earlier) the ticket's visit; escalate if nothing fits."""
        return self.scheduler.book(ticket_id, now_ms)

    # -- announcements, sweeping ----------------------------------------------------------

    def announce(self, s: Session, ticket: t.Ticket, event: str, now_ms: int, text: str,
                 extra: dict[str, Any] | None = None) -> None:
        """Write the ticket event and queue it to every webhook target."""
        announce(s, ticket, event, now_ms, text, self.settings.webhook_urls, extra)

    @translate_errors("sweeping tickets")
    def sweep(self, now_ms: int) -> dict[str, int]:
        """Periodic upkeep: close problems that cleared, flag promises newly at risk, and
        retry booking visits that are still unbooked. Returns the counts of each."""
        clear_ms = int(self.settings.clear_after_h * HOUR_MS)
        with self.sessions.begin() as s:
            quiet = [x.id for x in s.scalars(select(t.Ticket).where(t.Ticket.status == t.OPEN))
                     if cleared(x.last_finding_ms, now_ms, clear_ms,
                                x.action == Action.VISIT.value)]
        for ticket_id in quiet:
            close_ticket(self, ticket_id, "cleared", now_ms,
                         cause=f"no new finding for {self.settings.clear_after_h:g} h")
        at_risk = 0
        with self.sessions.begin() as s:
            active = s.execute(select(t.Booking, t.Ticket)
                               .join(t.Ticket, t.Ticket.id == t.Booking.ticket_id)
                               .where(t.Booking.status == "active")).all()
            for b, ticket in active:
                fw = ticket.failure_window
                risk = None
                if b.end_ms < now_ms:
                    risk = "the promised window has passed without a completed visit"
                elif fw and fw["earliest_ms"] < b.end_ms:
                    risk = "failure may come before the promised visit"
                if risk and b.at_risk != risk:
                    b.at_risk = risk
                    self.announce(s, ticket, "promise.at_risk", now_ms, risk)
                    at_risk += 1
            has_booking = {b.ticket_id for b, _ in active}
            unbooked = [x.id for x in s.scalars(select(t.Ticket).where(
                t.Ticket.status == t.OPEN, t.Ticket.action == Action.VISIT.value))
                if x.id not in has_booking]
        booked = sum(self.book(tid, now_ms)[0] is not None for tid in unbooked)
        return {"cleared": len(quiet), "at_risk": at_risk, "booked": booked}


def replay(dispatcher: Dispatcher, findings: Iterable[Finding], *,
           delay_ms: int = REPLAY_DELAY_MS, sweep_every_ms: int = DAY_MS,
           progress: Callable[[int, int], None] | None = None) -> list[Handled]:
    """Feed recorded findings to ``dispatcher`` in time order, each ``delay_ms`` after it
    was made, sweeping once every ``sweep_every_ms`` of simulated time (benchmarks, demo).

    ``progress(done, total)`` is called every 50 findings and after the last."""
    ordered = sorted(findings, key=lambda f: f.ts_ms)
    out: list[Handled] = []
    last_sweep = 0
    for k, finding in enumerate(ordered, 1):
        now = finding.ts_ms + delay_ms
        if now - last_sweep >= sweep_every_ms:
            dispatcher.sweep(now)
            last_sweep = now
        out.append(dispatcher.handle(finding, now))
        if progress and (k % 50 == 0 or k == len(ordered)):
            progress(k, len(ordered))
    return out


def _label(d: Diagnosis) -> str:
    return f"{d.fault}:{d.sensor}" if d.sensor else d.fault


def _evidence(f: Finding) -> dict[str, Any] | None:
    if f.evidence is None:
        return None
    return {"detector": f.detector, "ts_ms": f.ts_ms, "score": f.score,
            "threshold": f.threshold, **asdict(f.evidence)}
