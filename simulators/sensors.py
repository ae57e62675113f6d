"""From true physical values to what the sensors report: calibration, noise, quantisation.

Sensor faults act here, on the report only, never on the machine:

* drift adds ``drift_per_day`` times the days since onset;
* a stuck sensor repeats the value it showed at onset;
* dropouts blank the value (the signal is missing from the reading) in a share
  of readings that grows from 2 % at onset to 70 % at full severity.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ingest.contract import SIGNALS
from simulators.devices import SIGNAL_INDEX, SIGNAL_NAMES

DAY = 86_400.0

#: (noise standard deviation, quantisation step) per signal, in the signal's unit.
RESOLUTION: Final[dict[str, tuple[float, float]]] = {
    "outdoor_temp": (0.1, 0.1),
    "indoor_temp": (0.05, 0.1),
    "supply_temp": (0.1, 0.1),
    "return_temp": (0.1, 0.1),
    "hot_water_temp": (0.1, 0.1),
    "compressor_hz": (0.0, 1.0),
    "compressor_current": (0.05, 0.1),
    "compressor_vibration": (0.0, 0.01),
    "power_w": (15.0, 10.0),
    "heat_output_w": (60.0, 10.0),
    "backup_heater_w": (0.0, 1.0),
    "high_pressure": (0.05, 0.01),
    "low_pressure": (0.03, 0.01),
    "discharge_temp": (0.3, 0.1),
    "suction_temp": (0.15, 0.1),
    "superheat": (0.1, 0.1),
    "subcooling": (0.1, 0.1),
    "fan_rpm": (0.0, 10.0),
    "flow_lpm": (0.2, 0.1),
    "defrost": (0.0, 1.0),
}

NOISE_SD = np.array([RESOLUTION[s][0] for s in SIGNAL_NAMES])
STEP = np.array([RESOLUTION[s][1] for s in SIGNAL_NAMES])
LOW = np.array([SIGNALS[s].minimum for s in SIGNAL_NAMES])
HIGH = np.array([SIGNALS[s].maximum for s in SIGNAL_NAMES])

NO_SENSOR_FAULT, DRIFT, STUCK, DROPOUT = 0, 1, 2, 3


def measure(true_values: np.ndarray, calibration: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Add calibration offsets and noise, clip to the contract's range, quantise."""
    raw = true_values + calibration + NOISE_SD * z
    return np.round(np.clip(raw, LOW, HIGH) / STEP) * STEP


class SensorFaults:
    """The sensor faults of a fleet, as arrays (at most one per device)."""

    def __init__(self, n: int) -> None:
        self.kind = np.zeros(n, dtype=np.int8)
        self.column = np.zeros(n, dtype=np.int64)
        self.onset_s = np.full(n, np.inf)
        self.progression_s = np.ones(n)
        self.drift_per_day = np.zeros(n)
        self.stuck_value = np.full(n, np.nan)
        self._rows = np.arange(n)

    def add(self, device: int, kind: int, signal: str, onset_s: float, progression_s: float,
            drift_per_day: float) -> None:
        self.kind[device] = kind
        self.column[device] = SIGNAL_INDEX[signal]
        self.onset_s[device] = onset_s
        self.progression_s[device] = max(progression_s, 1.0)
        self.drift_per_day[device] = drift_per_day

    def apply(self, values: np.ndarray, t_s: float, u: np.ndarray) -> np.ndarray:
        """Bend ``values`` (devices x signals, in place) by the active sensor faults.

        ``u`` holds one uniform random number per device (used for dropouts).
        """
        active = (self.kind != NO_SENSOR_FAULT) & (t_s >= self.onset_s)
        if not active.any():
            return values
        rows, cols = self._rows[active], self.column[active]
        kind = self.kind[active]
        current = values[rows, cols]
        elapsed = t_s - self.onset_s[active]
        drifted = current + self.drift_per_day[active] * elapsed / DAY
        stuck = self.stuck_value[active]
        first = (kind == STUCK) & np.isnan(stuck)
        stuck = np.where(first, current, stuck)
        self.stuck_value[rows] = stuck
        share = 0.02 + 0.68 * np.minimum(elapsed / self.progression_s[active], 1.0)
        dropped = np.where(u[active] < share, np.nan, current)
        values[rows, cols] = np.select([kind == DRIFT, kind == STUCK, kind == DROPOUT],
                                       [drifted, stuck, dropped], current)
        return values
