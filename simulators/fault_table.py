"""A fault plan as arrays over the fleet, so severities are computed for all devices at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulators.faults import FaultType
from simulators.heatpump import FaultEffects
from simulators.plan import PlannedFault
from simulators.sensors import DRIFT, DROPOUT, STUCK, SensorFaults

KINDS: tuple[FaultType, ...] = tuple(FaultType)
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
NONE = -1
_SENSOR_KIND = {FaultType.SENSOR_DRIFT: DRIFT, FaultType.SENSOR_STUCK: STUCK,
                FaultType.SENSOR_DROPOUT: DROPOUT}
#: Faults that trip the unit when severity reaches 1 (defrost trips on ice instead).
TRIP_AT_FULL = np.array([k in (FaultType.REFRIGERANT_LEAK, FaultType.COMPRESSOR_WEAR,
                               FaultType.FAN_DEGRADATION, FaultType.LOW_FLOW,
                               FaultType.EXPANSION_VALVE, FaultType.ELECTRONIC) for k in KINDS])


#: Faults that cost heating capacity before the unit fails (so a customer may notice early).
CUTS_CAPACITY = (FaultType.REFRIGERANT_LEAK, FaultType.FAN_DEGRADATION, FaultType.LOW_FLOW,
                 FaultType.EXPANSION_VALVE, FaultType.DEFROST_MALFUNCTION)


class FaultTable:
    """Per-device fault kind, onset, progression and shape (``kind == -1``: healthy)."""

    def __init__(self, device_ids: Sequence[str], plan: Sequence[PlannedFault]) -> None:
        n = len(device_ids)
        index = {d: i for i, d in enumerate(device_ids)}
        self.kind = np.full(n, NONE, dtype=np.int64)
        self.onset_s = np.full(n, np.inf)
        self.progression_s = np.ones(n)
        self.shape = np.ones(n)
        self.sensors = SensorFaults(n)
        self.plan = list(plan)
        for f in plan:
            i = index[f.device_id]
            if self.kind[i] != NONE:
                raise ValueError(f"device {f.device_id} has two faults planned; one per device")
            self.kind[i] = KIND_INDEX[f.fault]
            self.onset_s[i] = f.onset_s
            self.progression_s[i] = f.progression_s
            self.shape[i] = f.shape
            if f.fault in _SENSOR_KIND and f.sensor is not None:
                self.sensors.add(i, _SENSOR_KIND[f.fault], f.sensor, f.onset_s, f.progression_s,
                                 f.drift_per_day)
        self._masks = {k: self.kind == KIND_INDEX[k] for k in KINDS}
        self.trips_at_full = (self.kind != NONE) & TRIP_AT_FULL[np.maximum(self.kind, 0)]
        self.cuts_capacity = np.isin(self.kind, [KIND_INDEX[k] for k in CUTS_CAPACITY])

    def severity(self, t_s: float) -> np.ndarray:
        """0 before onset, rising to 1 at onset + progression (instantly for no progression)."""
        elapsed = t_s - self.onset_s
        with np.errstate(invalid="ignore"):
            frac = np.where(self.progression_s > 1.0, elapsed / np.maximum(self.progression_s, 1.0),
                            np.where(elapsed >= 0, 1.0, 0.0))
        return np.where(self.kind == NONE, 0.0, np.clip(frac, 0.0, 1.0) ** self.shape)

    def effects(self, severity: np.ndarray) -> FaultEffects:
        m = self._masks

        def of(kind: FaultType) -> np.ndarray:
            return np.where(m[kind], severity, 0.0)

        return FaultEffects(
            leak=of(FaultType.REFRIGERANT_LEAK),
            wear=of(FaultType.COMPRESSOR_WEAR),
            fan=of(FaultType.FAN_DEGRADATION),
            flow=of(FaultType.LOW_FLOW),
            valve=of(FaultType.EXPANSION_VALVE),
            defrost=of(FaultType.DEFROST_MALFUNCTION),
        )

    def is_kind(self, kind: FaultType) -> np.ndarray:
        return self._masks[kind]
