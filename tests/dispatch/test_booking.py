"""Booking finds the earliest window with the right skill before the deadline (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dispatch.booking import DAY_MS, HOUR_MS, Technician, candidate_slots, deadline, working_windows

MONDAY = 1_768_802_400_000  # 2026-01-19 06:00 UTC = 07:00 Stockholm
STHLM = ZoneInfo("Europe/Stockholm")
FGAS = "refrigeration technician (F-gas certified)"
ANNA = Technician("anna", "Anna", (FGAS,), "stockholm")
BO = Technician("bo", "Bo", ("electrician",), "stockholm")
CAJ = Technician("caj", "Caj", (FGAS,), "malmo")


def local(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, STHLM)


def test_windows_lie_within_working_hours_on_working_days() -> None:
    slots = list(working_windows(ANNA, MONDAY, MONDAY + 7 * DAY_MS, 120))
    assert len(slots) == 5 * 4  # Monday to Friday, 08-16 in two-hour windows
    assert {local(s.start_ms).hour for s in slots} == {8, 10, 12, 14}
    assert {local(s.start_ms).weekday() for s in slots} == {0, 1, 2, 3, 4}


def test_public_holidays_are_not_working_days() -> None:
    epiphany = 1_767_657_600_000  # 2026-01-06 00:00 UTC
    slots = list(working_windows(ANNA, epiphany, epiphany + DAY_MS - 1, 120))
    assert slots == []


def test_the_earliest_free_window_of_a_skilled_technician_in_the_region_comes_first() -> None:
    taken = {("anna", int(dt.datetime(2026, 1, 19, 8, tzinfo=STHLM).timestamp() * 1000))}
    slots = candidate_slots([BO, CAJ, ANNA], "refrigeration technician", "stockholm", taken,
                            MONDAY, MONDAY + 2 * DAY_MS, 120)
    assert {s.technician_id for s in slots} == {"anna"}
    assert local(slots[0].start_ms).hour == 10  # 08:00 is taken


def test_nothing_fits_when_the_deadline_is_before_the_next_working_window() -> None:
    assert candidate_slots([ANNA], FGAS, "stockholm", set(), MONDAY,
                           MONDAY + HOUR_MS, 120) == []


def test_the_deadline_is_the_earliest_failure_minus_the_safety_margin() -> None:
    assert deadline(0, 100 * HOUR_MS, 24, 10) == 76 * HOUR_MS
    assert deadline(0, None, 24, 10) == 10 * DAY_MS


def test_a_technician_without_skills_or_with_odd_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="skill"):
        Technician("x", "X", (), "r")
    with pytest.raises(ValueError, match="working hours"):
        Technician("x", "X", ("a",), "r", work_start_h=17, work_end_h=8)
