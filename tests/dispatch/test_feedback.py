"""Closing a ticket with its outcome feeds detect (labels, suppression) and the KPIs."""

from __future__ import annotations

import pytest

from detect.labels import read_labels as detect_labels
from dispatch import kpis
from dispatch.dispatcher import Dispatcher
from dispatch.feedback import TicketNotOpen, close_ticket, read_labels, suppressed
from dispatch.kpis import BookingFacts, TicketFacts
from dispatch.store import tables as t

from .conftest import DAY_MS, HOUR_MS, NOW_MS, MakeFinding


def test_outcomes_become_labels_detect_can_read(dispatcher: Dispatcher,
                                                make_finding: MakeFinding) -> None:
    fixed = dispatcher.handle(make_finding("hp-0"), NOW_MS)
    false = dispatcher.handle(make_finding("hp-1", fault="compressor_wear"), NOW_MS)
    close_ticket(dispatcher, fixed.ticket_id or 0, "fault_confirmed", NOW_MS + DAY_MS,
                 cause="cracked brazed joint", visited_ms=NOW_MS + 4 * HOUR_MS)
    close_ticket(dispatcher, false.ticket_id or 0, "no_fault_found", NOW_MS + DAY_MS)
    path = dispatcher.settings.labels_path
    labels = {lab["device_id"]: lab for lab in read_labels(path)}
    assert labels["hp-0"]["label"] == "fault" and labels["hp-0"]["cause"] == "cracked brazed joint"
    assert labels["hp-0"]["start_ms"] == NOW_MS and labels["hp-0"]["suppress_until_ms"] is None
    assert labels["hp-0"]["fault"] == "refrigerant_leak"
    assert labels["hp-1"]["label"] == "no_fault" and labels["hp-1"]["fault"] == "compressor_wear"
    assert suppressed(path, "hp-1", "machine", NOW_MS + 2 * DAY_MS)
    # detect reads the same file with its own reader (no import back along the pipeline)
    seen = detect_labels(path)
    assert seen["hp-1"][0].label == "no_fault" and seen["hp-1"][0].problem == "machine"
    assert seen["hp-0"][0].label == "fault" and seen["hp-0"][0].start_ms == NOW_MS
    assert not suppressed(path, "hp-1", "machine", NOW_MS + 40 * DAY_MS)
    assert not suppressed(path, "hp-0", "machine", NOW_MS + 2 * DAY_MS)


def test_a_ticket_closes_once_with_a_known_outcome(dispatcher: Dispatcher,
                                                   make_finding: MakeFinding) -> None:
    h = dispatcher.handle(make_finding(), NOW_MS)
    with pytest.raises(ValueError, match="outcome"):
        close_ticket(dispatcher, h.ticket_id or 0, "fixed-ish", NOW_MS)
    close_ticket(dispatcher, h.ticket_id or 0, "fault_confirmed", NOW_MS)
    with pytest.raises(TicketNotOpen):
        close_ticket(dispatcher, h.ticket_id or 0, "fault_confirmed", NOW_MS)


def test_kpis_count_prevented_failures_false_dispatches_and_kept_promises(
        dispatcher: Dispatcher, make_finding: MakeFinding) -> None:
    a = dispatcher.handle(make_finding("hp-0", fails_in_h=96), NOW_MS)
    b = dispatcher.handle(make_finding("hp-1", fails_in_h=96), NOW_MS)
    dispatcher.handle(make_finding("hp-2", fails_in_h=96), NOW_MS)
    with dispatcher.sessions() as s:
        booking = s.get(t.Booking, a.booking_id)
        assert booking is not None
        inside = booking.start_ms + HOUR_MS
    close_ticket(dispatcher, a.ticket_id or 0, "fault_confirmed", inside, visited_ms=inside)
    close_ticket(dispatcher, b.ticket_id or 0, "no_fault_found", NOW_MS + 3 * DAY_MS,
                 visited_ms=NOW_MS + 3 * DAY_MS)  # after its window: a broken promise
    with dispatcher.sessions() as s:
        k = kpis.from_database(s, NOW_MS + 3 * DAY_MS)
    assert (k.failures_confirmed, k.failures_prevented) == (1, 1)
    assert k.lead_time_h == 96.0 and k.repair_margin_h is not None and k.repair_margin_h > 24
    assert (k.visits_completed, k.false_dispatch_rate) == (2, 0.5)
    assert (k.promises_due, k.promises_kept) == (3, 1)  # hp-2's window passed, not done
    assert k.finding_to_booking_h == 0.0


def test_a_failure_the_customer_noticed_first_is_not_prevented() -> None:
    tickets = [TicketFacts(1, "fault_confirmed", True, 0, 10, 100),
               TicketFacts(2, "fault_confirmed", False, 0, 10, 100 * HOUR_MS)]
    bookings = [BookingFacts(2, "done", 0, 20, 0, 15, False)]
    k = kpis.compute(tickets, bookings, 10**9)
    assert k.failures_prevented == 1 and k.lead_time_h == 100.0 and k.promises_kept_rate == 1.0
