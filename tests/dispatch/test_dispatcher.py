"""The dispatcher over a real database (SQLite and PostgreSQL): one ticket per problem,
booked before failure, escalated when nothing fits, announced once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from dispatch import views
from dispatch.dispatcher import Dispatcher
from dispatch.errors import StoreError
from dispatch.feedback import close_ticket
from dispatch.forecast import FixedForecast
from dispatch.store import connect, session_factory
from dispatch.store import tables as t
from services.process import free_port

from .conftest import DAY_MS, HOUR_MS, NOW_MS, MakeFinding


def count(sessions: sessionmaker[Session], model: type[t.Base], *where: object) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_repeated_findings_make_one_ticket_that_gains_evidence(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    first = dispatcher.handle(make_finding(ts_ms=NOW_MS), NOW_MS)
    again = [dispatcher.handle(make_finding(ts_ms=NOW_MS + k * HOUR_MS, detector=d),
                               NOW_MS + k * HOUR_MS)
             for k, d in ((1, "residual"), (2, "pca"), (3, "rules"))]
    assert first.created and {h.ticket_id for h in again} == {first.ticket_id}
    with dispatcher.sessions() as s:
        view = views.ticket(s, first.ticket_id or 0)
    assert view is not None
    assert len(view["findings"]) == 4 and view["status"] == "open"
    assert view["evidence"]["observed"]["subcooling"] and view["evidence"]["expected"]
    assert view["customer"]["name"] == "Kund 0" and view["site"]["heat_source_role"] == "sole"
    assert view["device"]["model"] == "AW-8" and "compressor" not in view["parts"]
    assert {f["name"] for f in view["priority"]["factors"]} >= {"cold_ahead", "time_to_failure"}


def test_the_same_finding_twice_changes_nothing(dispatcher: Dispatcher,
                                                make_finding: MakeFinding) -> None:
    f = make_finding()
    dispatcher.handle(f, NOW_MS)
    assert dispatcher.handle(f, NOW_MS + 1).duplicate
    assert count(dispatcher.sessions, t.FindingRow) == 1
    assert count(dispatcher.sessions, t.Booking) == 1


def test_a_visit_is_booked_with_a_skilled_technician_before_failure_minus_margin(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    f = make_finding(fails_in_h=96)
    h = dispatcher.handle(f, NOW_MS)
    assert h.action == "visit" and h.booking_id is not None and not h.escalated
    with dispatcher.sessions() as s:
        b = s.get(t.Booking, h.booking_id)
        assert b is not None and f.failure_window is not None
        assert b.end_ms <= f.failure_window.earliest_ms - 24 * HOUR_MS
        assert b.start_ms >= NOW_MS + 2 * HOUR_MS
        start = dt.datetime.fromtimestamp(b.start_ms / 1000, ZoneInfo("Europe/Stockholm"))
        assert (start.date().isoformat(), start.hour) == ("2026-01-19", 10)
        keys = set(s.scalars(select(t.OutboxEntry.key)))
    assert any(k.startswith(f"msg:{h.booking_id}:booked:console") for k in keys)
    assert len([k for k in keys if k.startswith("wh:")]) == 2  # opened, booked


def test_when_nothing_fits_before_the_failure_the_planner_is_told_instead(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(fails_in_h=20), NOW_MS)
    assert h.booking_id is None and h.escalated
    with dispatcher.sessions() as s:
        ticket = s.get(t.Ticket, h.ticket_id)
        assert ticket is not None and ticket.escalated
        assert "a planner must decide" in (ticket.escalation_reason or "")
        assert views.queue(s)[0]["id"] == h.ticket_id  # escalated tickets come first
    assert count(dispatcher.sessions, t.OutboxEntry, t.OutboxEntry.channel == "console") == 0


def test_a_bad_sensor_gets_a_remote_check_and_no_booking(dispatcher: Dispatcher,
                                                         make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(fault="sensor_stuck", sensor="flow_lpm", fails_in_h=None),
                          NOW_MS)
    assert h.action == "remote_check" and h.booking_id is None
    assert count(dispatcher.sessions, t.Booking) == 0


def test_a_watched_problem_escalates_to_a_visit_when_confidence_grows(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    low = dispatcher.handle(make_finding(confidence=0.2), NOW_MS)
    assert low.action == "watch" and low.booking_id is None
    high = dispatcher.handle(make_finding(confidence=0.9, ts_ms=NOW_MS + HOUR_MS),
                             NOW_MS + HOUR_MS)
    assert high.ticket_id == low.ticket_id and high.action == "visit"
    assert high.booking_id is not None
    with dispatcher.sessions() as s:
        kinds = [e["kind"] for e in (views.ticket(s, low.ticket_id or 0) or {})["history"]]
    assert kinds == ["ticket.opened", "ticket.action_raised", "ticket.booked"]


def test_an_earlier_predicted_failure_moves_the_visit_earlier_and_tells_the_customer(
        seeded: sessionmaker[Session], dispatch_settings: DispatchSettings,
        make_finding: MakeFinding) -> None:
    d = Dispatcher(seeded, dispatch_settings.model_copy(update={"safety_margin_h": 0.0}))
    d.handle(make_finding("hp-1", fails_in_h=400), NOW_MS)  # both 10:00 windows taken
    freed = d.handle(make_finding("hp-2", fails_in_h=400), NOW_MS)
    first = d.handle(make_finding(fails_in_h=400), NOW_MS)  # hp-0: 12:00
    close_ticket(d, freed.ticket_id or 0, "cleared", NOW_MS)  # frees a 10:00 window
    moved = d.handle(make_finding(ts_ms=NOW_MS + 1, fails_in_h=9), NOW_MS)  # fails ~13:00
    assert moved.booking_id not in (None, first.booking_id)
    with seeded() as s:
        old, new = s.get(t.Booking, first.booking_id), s.get(t.Booking, moved.booking_id)
        assert old is not None and new is not None
        assert old.status == "cancelled" and new.start_ms < old.start_ms
        keys = set(s.scalars(select(t.OutboxEntry.key)))
    assert f"msg:{new.id}:changed:console" in keys


def test_a_promise_that_can_no_longer_be_kept_is_flagged_and_escalated(
        seeded: sessionmaker[Session], dispatch_settings: DispatchSettings,
        make_finding: MakeFinding) -> None:
    d = Dispatcher(seeded, dispatch_settings.model_copy(update={"safety_margin_h": 0.0}))
    booked = d.handle(make_finding(fails_in_h=400), NOW_MS)  # 10:00-12:00 local
    worse = d.handle(make_finding(ts_ms=NOW_MS + 1, fails_in_h=6), NOW_MS)  # fails ~10:00
    assert worse.booking_id == booked.booking_id and worse.escalated
    with seeded() as s:
        risky = views.promises_at_risk(s)
    assert [r["id"] for r in risky] == [booked.booking_id]
    assert "before the booked visit" in risky[0]["at_risk"]


def test_a_repaired_problem_closes_and_a_later_one_opens_a_new_ticket(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    first = dispatcher.handle(make_finding(), NOW_MS)
    close_ticket(dispatcher, first.ticket_id or 0, "fault_confirmed", NOW_MS + DAY_MS,
                 cause="leaking valve core")
    stale = dispatcher.handle(make_finding(ts_ms=NOW_MS + HOUR_MS), NOW_MS + DAY_MS)
    assert stale.stale and stale.ticket_id is None
    later = dispatcher.handle(make_finding(ts_ms=NOW_MS + 30 * DAY_MS), NOW_MS + 30 * DAY_MS)
    assert later.created and later.ticket_id != first.ticket_id


def test_a_problem_that_clears_by_itself_is_closed_with_a_note(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(fault="sensor_drift", sensor="outdoor_temp"), NOW_MS)
    assert dispatcher.sweep(NOW_MS + 4 * DAY_MS)["cleared"] == 1
    with dispatcher.sessions() as s:
        ticket = s.get(t.Ticket, h.ticket_id)
        assert ticket is not None and ticket.status == "closed" and ticket.outcome == "cleared"
        assert "no new finding" in (ticket.outcome_cause or "")


def test_a_promise_is_flagged_at_risk_when_the_window_passes_without_a_visit(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(fails_in_h=300), NOW_MS)
    assert dispatcher.sweep(NOW_MS + 3 * DAY_MS)["at_risk"] == 1
    with dispatcher.sessions() as s:
        risky = views.promises_at_risk(s)
    assert [r["ticket_id"] for r in risky] == [h.ticket_id]
    assert "passed" in risky[0]["at_risk"]


def test_no_fault_found_suppresses_a_repeated_alarm_on_that_device(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    first = dispatcher.handle(make_finding(confidence=0.8), NOW_MS)
    close_ticket(dispatcher, first.ticket_id or 0, "no_fault_found", NOW_MS + DAY_MS)
    again = dispatcher.handle(make_finding(ts_ms=NOW_MS + 2 * DAY_MS, confidence=0.8),
                              NOW_MS + 2 * DAY_MS)
    assert again.created and again.action == "watch" and again.booking_id is None
    other = dispatcher.handle(make_finding("hp-2", ts_ms=NOW_MS + 2 * DAY_MS),
                              NOW_MS + 2 * DAY_MS)
    assert other.action == "visit"


def test_an_unknown_device_still_gets_a_ticket_with_what_its_metadata_says(
        seeded: sessionmaker[Session], dispatch_settings: DispatchSettings,
        make_finding: MakeFinding) -> None:
    meta = {"model": "AW-12", "heat_source_role": "sole",
            "location": {"climate": "stockholm"}, "household": {"vulnerable": True}}
    d = Dispatcher(seeded, dispatch_settings, FixedForecast(0.0), lambda _: meta)
    h = d.handle(make_finding("stranger"), NOW_MS)
    with seeded() as s:
        view = views.ticket(s, h.ticket_id or 0)
    assert view is not None and view["customer"] is None
    assert view["site"]["vulnerable"] and view["device"]["model"] == "AW-12"
    assert h.booking_id is not None  # region from the device's climate


def test_a_booked_visit_that_is_no_longer_needed_is_cancelled_and_the_customer_told(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding("hp-1"), NOW_MS)
    close_ticket(dispatcher, h.ticket_id or 0, "cleared", NOW_MS + HOUR_MS,
                 cause="flow restored after a power cut")
    with dispatcher.sessions() as s:
        booking = s.get(t.Booking, h.booking_id)
        [cancel] = s.scalars(select(t.OutboxEntry).where(
            t.OutboxEntry.key == f"msg:{h.booking_id}:cancelled:console")).all()
    assert booking is not None and booking.status == "cancelled"
    assert "working normally again" in cancel.payload["body"]  # hp-1's customer speaks English


def test_a_more_confident_diagnosis_needing_another_skill_moves_the_visit(
        seeded: sessionmaker[Session], dispatch_settings: DispatchSettings,
        make_finding: MakeFinding) -> None:
    with seeded.begin() as s:  # t1 becomes an electrician only
        tech = s.get(t.TechnicianRow, "t1")
        assert tech is not None
        tech.skills = ["electrician"]
    d = Dispatcher(seeded, dispatch_settings)
    first = d.handle(make_finding("hp-1", fault="fan_degradation", confidence=0.7), NOW_MS)
    with seeded() as s:
        b = s.get(t.Booking, first.booking_id)
        assert b is not None
        s.expunge(b)
    d.handle(make_finding("hp-1", fault="refrigerant_leak", confidence=0.9,
                          ts_ms=NOW_MS + 1), NOW_MS)
    with seeded() as s:
        ticket = s.get(t.Ticket, first.ticket_id)
        assert ticket is not None and ticket.diagnosis["fault"] == "refrigerant_leak"
        assert "F-gas" in ticket.skill
        [active] = s.scalars(select(t.Booking).where(t.Booking.status == "active")).all()
        history = [e["kind"] for e in (views.ticket(s, ticket.id) or {})["history"]]
    assert "diagnosis" in history
    if b.technician_id == "t1":  # booked with the electrician: moved to the F-gas one
        assert active.technician_id == "t0" and active.id != b.id
    else:
        assert active.id == b.id


def test_a_visit_worthy_problem_is_not_closed_just_because_the_detectors_went_quiet(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(fails_in_h=20), NOW_MS)  # visit, escalated, unbooked
    assert h.escalated
    assert dispatcher.sweep(NOW_MS + 5 * DAY_MS)["cleared"] == 0
    with dispatcher.sessions() as s:
        ticket = s.get(t.Ticket, h.ticket_id)
        assert ticket is not None and ticket.status == "open"


def test_a_database_that_is_down_is_reported_as_a_store_error(
        dispatch_settings: DispatchSettings, make_finding: MakeFinding) -> None:
    engine = connect(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    d = Dispatcher(session_factory(engine), dispatch_settings)
    with pytest.raises(StoreError, match="taking a finding: the ticket database failed"):
        d.handle(make_finding(), NOW_MS)
    engine.dispose()
