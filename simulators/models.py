"""The heat-pump models a fleet is made of, and their refrigerants.

Saturation pressure follows Clausius-Clapeyron, ``ln p = a - b / T``, fitted at
0 °C and 50 °C to published tables (within a few percent from -30 to 60 °C).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

KELVIN = 273.15


@dataclass(frozen=True, slots=True)
class Refrigerant:
    name: str
    a: float
    b: float  # K


REFRIGERANTS: Final = {
    r.name: r
    for r in (
        Refrigerant("R32", 10.827, 2385.0),
        Refrigerant("R410A", 10.777, 2376.0),
        Refrigerant("R290", 9.859, 2268.0),
    )
}


def saturation_pressure(temp_c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Saturation pressure (bar absolute) at ``temp_c``, vectorised over per-device coefficients."""
    return np.exp(a - b / (temp_c + KELVIN))


@dataclass(frozen=True, slots=True)
class HeatPumpModel:
    """One air-to-water model. Capacity is rated at A7/W35 at ``hz_rated``."""

    name: str
    capacity_kw: float
    refrigerant: str
    hz_min: float
    hz_rated: float
    hz_max: float
    phases: int  # 1: 230 V, 3: 400 V
    backup_kw: float  # electric backup heater, in 3 kW steps
    fan_rpm_max: float
    firmware: tuple[str, ...]


MODELS: Final[dict[str, HeatPumpModel]] = {
    m.name: m
    for m in (
        HeatPumpModel("AW-6", 6.0, "R32", 20, 88, 110, 1, 6.0, 850, ("3.1.4", "3.2.1")),
        HeatPumpModel("AW-8", 8.0, "R32", 20, 92, 115, 1, 6.0, 900, ("3.1.4", "3.2.1", "3.3.0")),
        HeatPumpModel("AW-12", 12.0, "R290", 25, 96, 120, 3, 9.0, 950, ("1.8.2", "2.0.0")),
        HeatPumpModel("AW-16", 16.0, "R410A", 25, 88, 110, 3, 9.0, 1000, ("5.4.7",)),
    )
}
