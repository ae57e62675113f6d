"""The faults a simulated heat pump can develop, and how bad each is at a given moment.

Every fault has an onset and a progression: its *severity* grows from 0 at onset
to 1 over ``progression_days`` along ``((t - onset) / progression) ** shape``
(a random shape > 1: slow at first, then faster, as real wear does). At severity 1
a mechanical fault makes the unit trip with the fault's error code, except:

* ``defrost_malfunction`` fails when the evaporator has iced up, which needs cold,
  humid weather (it may never fail in a mild spell);
* ``electronic`` fails at onset, with no precursor at all (unpredictable by design);
* sensor faults (``sensor_drift``, ``sensor_stuck``, ``sensor_dropout``) change only
  what one sensor reports, never the machine: they call for a remote check.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class FaultType(StrEnum):
    REFRIGERANT_LEAK = "refrigerant_leak"
    COMPRESSOR_WEAR = "compressor_wear"
    FAN_DEGRADATION = "fan_degradation"
    LOW_FLOW = "low_flow"  # clogged filter or weak circulation pump
    EXPANSION_VALVE = "expansion_valve"  # sticking electronic expansion valve
    DEFROST_MALFUNCTION = "defrost_malfunction"
    ELECTRONIC = "electronic"  # sudden control-board failure
    SENSOR_DRIFT = "sensor_drift"
    SENSOR_STUCK = "sensor_stuck"
    SENSOR_DROPOUT = "sensor_dropout"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What a fault does and what it costs: its error code and the right response."""

    fault: FaultType
    description: str
    progression_days: tuple[float, float]  # the range a progression is drawn from
    error_code: str | None  # reported when the unit trips
    error_message: str | None
    predictable: bool  # False: nothing shows before failure
    remedy: str  # "visit" or "remote_check"
    share: float  # share in the default fault mix
    signals: tuple[str, ...] = ()  # the signals that show it first

    @property
    def is_sensor_fault(self) -> bool:
        return self.remedy == "remote_check"


FAULTS: Final[dict[FaultType, FaultSpec]] = {
    s.fault: s
    for s in (
        FaultSpec(FaultType.REFRIGERANT_LEAK, "refrigerant leak: charge falls over weeks",
                  (14, 60), "E102", "low pressure cut-out", True, "visit", 0.17,
                  ("subcooling", "superheat", "low_pressure", "discharge_temp")),
        FaultSpec(FaultType.COMPRESSOR_WEAR, "compressor bearing and valve wear",
                  (30, 120), "E301", "compressor overcurrent", True, "visit", 0.14,
                  ("compressor_vibration", "compressor_current", "discharge_temp")),
        FaultSpec(FaultType.FAN_DEGRADATION, "outdoor fan motor degradation",
                  (14, 75), "E401", "outdoor fan motor fault", True, "visit", 0.11,
                  ("fan_rpm", "low_pressure")),
        FaultSpec(FaultType.LOW_FLOW, "clogged filter or weak circulation pump",
                  (10, 50), "E101", "high pressure cut-out", True, "visit", 0.14,
                  ("flow_lpm", "supply_temp", "high_pressure")),
        FaultSpec(FaultType.EXPANSION_VALVE, "sticking expansion valve (superheat hunting)",
                  (14, 60), "E501", "expansion valve fault", True, "visit", 0.10,
                  ("superheat", "low_pressure", "suction_temp")),
        FaultSpec(FaultType.DEFROST_MALFUNCTION, "defrost malfunction (evaporator icing)",
                  (7, 40), "E601", "evaporator icing, defrost failed", True, "visit", 0.09,
                  ("defrost", "low_pressure", "heat_output_w")),
        FaultSpec(FaultType.ELECTRONIC, "sudden control-board failure",
                  (0, 0), "E901", "control board failure", False, "visit", 0.09),
        FaultSpec(FaultType.SENSOR_DRIFT, "a sensor drifts away from the true value",
                  (20, 90), None, None, True, "remote_check", 0.06),
        FaultSpec(FaultType.SENSOR_STUCK, "a sensor reports one value forever",
                  (1, 1), None, None, True, "remote_check", 0.05),
        FaultSpec(FaultType.SENSOR_DROPOUT, "a sensor's readings go missing, more and more",
                  (10, 40), None, None, True, "remote_check", 0.04),
    )
}

#: Sensors a sensor fault can hit (drift only hits temperatures and pressures).
SENSOR_FAULT_SIGNALS: Final = (
    "outdoor_temp", "indoor_temp", "supply_temp", "return_temp", "hot_water_temp",
    "discharge_temp", "suction_temp", "high_pressure", "low_pressure", "flow_lpm",
)
DRIFT_SIGNALS: Final = tuple(s for s in SENSOR_FAULT_SIGNALS if s != "flow_lpm")

#: Ice (in "full frost loads") on the evaporator that makes the unit trip.
ICE_LIMIT: Final = 2.5


def fault_spec(name: str) -> FaultSpec:
    try:
        return FAULTS[FaultType(name)]
    except ValueError:
        known = ", ".join(f.value for f in FaultType)
        raise ValueError(f"unknown fault {name!r}: choose one of {known}") from None
