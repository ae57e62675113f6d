"""The climates a simulated site can be in: Nordic cities with their typical weather.

Figures are rounded from long-term normals (monthly means, daily ranges, winter
humidity) and the design outdoor temperatures used to size heat pumps there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Climate:
    """One place's weather statistics."""

    name: str
    lat: float
    lon: float
    annual_mean: float  # °C
    seasonal_amplitude: float  # K, half the July-January difference
    daily_amplitude: float  # K, half the typical day-night difference (summer)
    anomaly_sd: float  # K, day-to-day weather anomaly in winter
    design_temp: float  # °C, the cold a heating system is sized for
    cold_snaps_per_winter: float  # expected number of cold snaps November-March
    cold_snap_depth: float  # K, typical extra cold during a snap
    winter_humidity: float  # mean relative humidity in winter, 0-1
    summer_humidity: float


CLIMATES: Final[dict[str, Climate]] = {
    c.name: c
    for c in (
        Climate("malmo", 55.60, 13.00, 8.6, 8.6, 3.5, 3.5, -16.0, 3.0, 8.0, 0.88, 0.72),
        Climate("stockholm", 59.33, 18.07, 7.4, 10.5, 4.0, 4.5, -20.0, 4.0, 10.0, 0.87, 0.68),
        Climate("oslo", 59.91, 10.75, 6.6, 11.0, 5.0, 5.0, -22.0, 4.0, 11.0, 0.84, 0.68),
        Climate("lulea", 65.58, 22.15, 2.4, 14.0, 5.0, 6.5, -30.0, 5.0, 13.0, 0.86, 0.70),
    )
}

#: How a fleet is spread over the climates by default (shares add up to 1).
DEFAULT_CLIMATE_MIX: Final[dict[str, float]] = {
    "stockholm": 0.35,
    "malmo": 0.25,
    "oslo": 0.25,
    "lulea": 0.15,
}


def climate(name: str) -> Climate:
    """The climate called ``name``; the error lists the known ones."""
    try:
        return CLIMATES[name.lower()]
    except KeyError:
        known = ", ".join(CLIMATES)
        raise ValueError(f"unknown climate {name!r}: choose one of {known}") from None
