"""Priority with reasons: how bad this failure would be for this customer, and how soon (pure).

The score (0-100) is a weighted mean of factors, each between 0 and 1:

==================== =====================================================================
time_to_failure      1 when failure is predicted now, 0 at a week or more (0.2 if unknown)
confidence           the diagnosis' confidence
cold_ahead           coldest forecast temperature before the failure: 0 at +5 °C, 1 at -20 °C
weekend_or_holiday   1 if the failure window touches a weekend or a public holiday
sole_heat_source     1 if the heat pump is the home's only heat, 0.5 primary, 0 hybrid
vulnerable_household 1 for a vulnerable household (elderly, infants, medical needs)
==================== =====================================================================

The weights come from :class:`config.DispatchSettings`; every factor is written on the
ticket with its value, weight, points and a one-line reason, so a planner can see why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from dispatch.booking import DAY_MS, HOUR_MS, holiday_calendar

ROLE_VALUE: Final = {"sole": 1.0, "primary": 0.5, "hybrid": 0.0}


class Level(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    weight: float
    reason: str

    @property
    def points(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True)
class Priority:
    score: float
    level: Level
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, object]:
        return {"score": self.score, "level": self.level.value, "factors": [
            {"name": f.name, "value": round(f.value, 3), "weight": f.weight,
             "points": round(f.points, 2), "reason": f.reason} for f in self.factors]}


@dataclass(frozen=True)
class Impact:
    """What priority needs to know, all plain data (time passed in)."""

    now_ms: int
    confidence: float
    failure_earliest_ms: int | None = None
    failure_expected_ms: int | None = None
    failure_latest_ms: int | None = None
    min_forecast_temp: float | None = None
    heat_source_role: str | None = None
    vulnerable: bool = False
    country: str = "SE"
    subdivision: str | None = None
    timezone: str = "Europe/Stockholm"


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def hard_days(start_ms: int, end_ms: int, country: str, timezone: str,
              subdivision: str | None = None) -> list[str]:
    """Weekend days and public holidays (local dates) between two instants, described."""
    tz = ZoneInfo(timezone)
    first = dt.datetime.fromtimestamp(start_ms / 1000, tz).date()
    last = dt.datetime.fromtimestamp(end_ms / 1000, tz).date()
    out: list[str] = []
    day = first
    while day <= last and len(out) < 14:
        name = holiday_calendar(country, day.year, subdivision).get(day)
        if name:
            out.append(f"{day.isoformat()} ({name})")
        elif day.weekday() >= 5:
            out.append(f"{day.isoformat()} ({day.strftime('%A')})")
        day += dt.timedelta(days=1)
    return out


def prioritise(impact: Impact, weights: Mapping[str, float], urgent_at: float,
               high_at: float) -> Priority:
    """Score ``impact`` (see the module docstring)."""
    factors: list[Factor] = []

    def add(name: str, value: float, reason: str) -> None:
        factors.append(Factor(name, round(_clamp(value), 4), float(weights.get(name, 0.0)),
                              reason))

    now = impact.now_ms
    if impact.failure_expected_ms is not None:
        hours = max(0.0, (impact.failure_expected_ms - now) / HOUR_MS)
        add("time_to_failure", 1 - hours / (7 * 24), f"failure predicted in {hours:.0f} h")
    else:
        add("time_to_failure", 0.2, "no failure time predicted")
    add("confidence", impact.confidence, f"diagnosis confidence {impact.confidence:.2f}")
    if impact.min_forecast_temp is not None:
        t = impact.min_forecast_temp
        add("cold_ahead", (5.0 - t) / 25.0, f"coldest forecast before failure {t:.1f} °C")
    else:
        add("cold_ahead", 0.0, "no forecast for the site")
    start = impact.failure_earliest_ms if impact.failure_earliest_ms is not None else now
    end = impact.failure_latest_ms if impact.failure_latest_ms is not None else now + 3 * DAY_MS
    start, end = max(start, now), min(max(end, start), max(start, now) + 7 * DAY_MS)
    days = hard_days(start, end, impact.country, impact.timezone, impact.subdivision)
    add("weekend_or_holiday", 1.0 if days else 0.0,
        "failure window touches " + ", ".join(days[:3]) if days
        else "failure window on working days")
    role = impact.heat_source_role
    add("sole_heat_source", ROLE_VALUE.get(role or "", 0.5),
        f"heat pump is the {role} heat source" if role else "heat source role unknown")
    add("vulnerable_household", 1.0 if impact.vulnerable else 0.0,
        "vulnerable household" if impact.vulnerable else "no vulnerable household recorded")
    total_w = sum(f.weight for f in factors) or 1.0
    score = round(100.0 * sum(f.points for f in factors) / total_w, 1)
    level = Level.P1 if score >= urgent_at else Level.P2 if score >= high_at else Level.P3
    return Priority(score, level, tuple(factors))
