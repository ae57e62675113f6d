"""Booking: the earliest technician slot with the needed skill before the deadline (pure).

Visits are booked in fixed windows of ``slot_minutes`` laid on each technician's
working day from the start of their hours (08:00-10:00, 10:00-12:00, ... local
time), skipping days off and the public holidays of the technician's country. The
window is what the customer is promised. Fixed windows make "never double-book" a
plain unique constraint on (technician, window start) in the database, which holds
under any number of concurrent dispatchers, on SQLite and PostgreSQL alike.

The deadline is the earliest predicted failure minus a safety margin; with no
prediction, ``horizon_days`` from now. When no window fits, :func:`candidate_slots`
yields nothing and the ticket is escalated to a planner instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 24 * HOUR_MS


@dataclass(frozen=True)
class Technician:
    """A technician's skills, home region and working hours (local time)."""

    id: str
    name: str
    skills: tuple[str, ...]
    region: str
    work_start_h: int = 8
    work_end_h: int = 16
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    timezone: str = "Europe/Stockholm"
    country: str = "SE"

    def __post_init__(self) -> None:
        if not 0 <= self.work_start_h < self.work_end_h <= 24:
            raise ValueError(f"technician {self.id}: working hours "
                             f"{self.work_start_h}-{self.work_end_h} must be within 0-24")
        if not self.skills:
            raise ValueError(f"technician {self.id}: needs at least one skill")

    def can_do(self, skill: str) -> bool:
        """Has ``skill``, or a more specific form of it (``... (F-gas certified)``)."""
        return covers(self.skills, skill)


def covers(skills: Iterable[str], skill: str) -> bool:
    """Whether ``skills`` include ``skill`` or a more specific form of it."""
    return any(s == skill or s.startswith(skill + " ") for s in skills)


@dataclass(frozen=True, order=True)
class Slot:
    start_ms: int
    end_ms: int
    technician_id: str = field(compare=True)


def deadline(now_ms: int, failure_earliest_ms: int | None, safety_margin_h: float,
             horizon_days: float) -> int:
    """The latest a visit may end: before the failure minus the margin."""
    if failure_earliest_ms is None:
        return now_ms + int(horizon_days * DAY_MS)
    return failure_earliest_ms - int(safety_margin_h * HOUR_MS)


@cache
def holiday_calendar(country: str, year: int,
                     subdivision: str | None = None) -> holidays.HolidayBase:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``, built once;
    none for a country the ``holidays`` package does not know."""
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        return holidays.HolidayBase()


def working_windows(tech: Technician, start_ms: int, end_ms: int,
                    slot_minutes: int) -> Iterator[Slot]:
    """The technician's bookable windows lying wholly within ``[start_ms, end_ms]``."""
    tz = ZoneInfo(tech.timezone)
    day = dt.datetime.fromtimestamp(start_ms / 1000, tz).date()
    last = dt.datetime.fromtimestamp(end_ms / 1000, tz).date()
    step = dt.timedelta(minutes=slot_minutes)
    while day <= last:
        if day.weekday() in tech.workdays and day not in holiday_calendar(tech.country, day.year):
            t = dt.datetime.combine(day, dt.time(tech.work_start_h), tz)
            stop = dt.datetime.combine(day, dt.time(0), tz) + dt.timedelta(hours=tech.work_end_h)
            while t + step <= stop:
                s, e = int(t.timestamp() * 1000), int((t + step).timestamp() * 1000)
                if s >= start_ms and e <= end_ms:
                    yield Slot(s, e, tech.id)
                t += step
        day += dt.timedelta(days=1)


def candidate_slots(technicians: Iterable[Technician], skill: str, region: str,
                    taken: set[tuple[str, int]], earliest_ms: int, deadline_ms: int,
                    slot_minutes: int) -> list[Slot]:
    """Free windows, earliest first, of technicians in ``region`` who can do ``skill``.

    ``taken`` holds (technician id, window start) of existing bookings.
    """
    if deadline_ms <= earliest_ms:
        return []
    able = [t for t in technicians if t.region == region and t.can_do(skill)]
    slots = [s for t in able for s in working_windows(t, earliest_ms, deadline_ms, slot_minutes)
             if (s.technician_id, s.start_ms) not in taken]
    return sorted(slots)
