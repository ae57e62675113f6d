"""Diagnosis: the likely fault class and its confidence, from which residuals moved and how.

Each fault has a *signature*: the direction in which it pushes each residual
channel (a leak starves the evaporator: superheat up, subcooling and low pressure
down; a worn compressor vibrates and draws more current; ...). The observed shift
vector is compared with every signature by cosine similarity; the best match is the
diagnosis and its similarity the confidence. A sensor drifting alone matches the
one-sensor signature of that sensor; stuck and dropping sensors and device error
codes are diagnosed directly by their rules.

Every diagnosis says what the technician needs (skill, parts) and whether this is a
remote check (a sensor) or a visit (the machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.normal import CHANNELS, HEALTH, SENSORS

UNKNOWN: Final = "unknown"

#: The direction in which each machine fault moves the residuals, scaled so the largest
#: move is 1. Machine faults also break how the sensors agree with each other
#: (``sensor:<name>``: that sensor against what the others predict): a sticking valve or a
#: leak leaves suction warmer and the condensing pressure lower than the rest of the circuit
#: implies, a weak fan or an iced coil a colder evaporator than the outdoor air suggests.
#: These are the mean moves of simulated faults in their last week before failure (fleets of
#: seeds 3 and 7, cohort-corrected daily residuals; ``forewarn evaluate --seed 1`` is the
#: held-out check), kept where at least 0.3 of the largest; low flow keeps its physics one.
#: A weak fan's own speed is its largest move (about 2.5 times the next on the square-root
#: scale the diagnosis compares on); the airflow it costs moves the rest like ice does.
SIGNATURES: Final[dict[str, dict[str, float]]] = {
    "refrigerant_leak": {"sensor:high_pressure": -1.0, "heat_output_per_hz": -0.85,
                         "sensor:suction_temp": 0.75, "superheat": 0.65,
                         "sensor:low_pressure": 0.5, "sensor:return_temp": 0.45,
                         "sensor:outdoor_temp": 0.45, "low_pressure": -0.45},
    "compressor_wear": {"vibration_per_hz": 1.0, "current_per_hz": 0.65, "discharge_temp": 0.6,
                        "sensor:discharge_temp": 0.6, "sensor:return_temp": -0.45,
                        "sensor:supply_temp": -0.3},
    "fan_degradation": {"fan_rpm": -1.0, "sensor:outdoor_temp": 0.4,
                        "heat_output_per_hz": -0.4, "suction_temp": -0.38,
                        "low_pressure": -0.36, "sensor:suction_temp": -0.34},
    "low_flow": {"flow_lpm": -1.0, "high_pressure": 0.5, "discharge_temp": 0.3},
    "expansion_valve": {"sensor:high_pressure": -1.0, "sensor:suction_temp": 0.8,
                        "suction_temp": 0.65, "superheat": 0.55, "sensor:outdoor_temp": -0.55,
                        "sensor:low_pressure": 0.4},
    "defrost_malfunction": {"suction_temp": -1.0, "sensor:outdoor_temp": 0.9,
                            "low_pressure": -0.85, "heat_output_per_hz": -0.85,
                            "sensor:suction_temp": -0.8, "discharge_temp": 0.6,
                            "current_per_hz": -0.55, "sensor:return_temp": 0.55},
}

ERROR_CODES: Final = {"E101": "low_flow", "E102": "refrigerant_leak", "E301": "compressor_wear",
                      "E401": "fan_degradation", "E501": "expansion_valve",
                      "E601": "defrost_malfunction", "E901": "electronic"}


@dataclass(frozen=True)
class Service:
    skill: str
    parts: tuple[str, ...]
    remedy: str  # "visit" or "remote_check"


SERVICE: Final[dict[str, Service]] = {
    "refrigerant_leak": Service("refrigeration technician (F-gas certified)",
                                ("refrigerant charge", "leak detector", "brazing kit"), "visit"),
    "compressor_wear": Service("refrigeration technician",
                               ("compressor", "anti-vibration mounts"), "visit"),
    "fan_degradation": Service("electrician", ("outdoor fan motor", "fan capacitor"), "visit"),
    "low_flow": Service("heating installer", ("particle filter", "circulation pump"), "visit"),
    "expansion_valve": Service("refrigeration technician",
                               ("electronic expansion valve", "valve coil"), "visit"),
    "defrost_malfunction": Service("heat-pump technician",
                                   ("defrost sensor", "reversing valve"), "visit"),
    "electronic": Service("electrician", ("control board",), "visit"),
    "sensor_drift": Service("remote support", (), "remote_check"),
    "sensor_stuck": Service("remote support", (), "remote_check"),
    "sensor_dropout": Service("remote support", (), "remote_check"),
    "offline": Service("remote support", (), "remote_check"),
    UNKNOWN: Service("heat-pump technician", (), "visit"),
}


@dataclass(frozen=True)
class Diagnosis:
    """The likely fault, how sure (0-1), the sensor if it is one, and the service it needs."""

    fault: str
    confidence: float
    sensor: str | None
    skill: str
    parts: tuple[str, ...]
    remedy: str
    alternatives: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, fault: str, confidence: float, sensor: str | None = None,
           alternatives: tuple[tuple[str, float], ...] = ()) -> Diagnosis:
        svc = SERVICE.get(fault, SERVICE[UNKNOWN])
        parts = svc.parts + ((f"{sensor} sensor",) if sensor else ())
        return cls(fault, round(float(confidence), 3), sensor, svc.skill, parts, svc.remedy,
                   alternatives)


def _vectors() -> tuple[list[tuple[str, str | None]], np.ndarray]:
    labels: list[tuple[str, str | None]] = []
    rows = []
    for fault, sig in SIGNATURES.items():
        labels.append((fault, None))
        rows.append([sig.get(c, 0.0) for c in CHANNELS])
    for sensor in SENSORS:
        labels.append(("sensor_drift", sensor))
        own = {f"sensor:{sensor}": 1.0}
        if sensor in HEALTH:
            own[sensor] = 0.7
        rows.append([own.get(c, 0.0) for c in CHANNELS])
    m = np.array(rows)
    return labels, m / np.linalg.norm(m, axis=1, keepdims=True)


_LABELS, _MATRIX = _vectors()


def diagnose_shift(shift: Mapping[str, float]) -> Diagnosis:
    """The signature closest to ``shift`` (residual channel -> signed move)."""
    v = np.array([float(shift.get(c, 0.0)) for c in CHANNELS])
    v = np.sign(v) * np.sqrt(np.abs(v))  # one huge residual must not drown the pattern
    norm = np.linalg.norm(v)
    if norm == 0 or not np.isfinite(norm):
        return Diagnosis.of(UNKNOWN, 0.0)
    sims = _MATRIX @ (v / norm)
    order = np.argsort(-sims)
    best = int(order[0])
    fault, sensor = _LABELS[best]
    alts = tuple((_label(_LABELS[i]), round(float(sims[i]), 3)) for i in order[1:3])
    return Diagnosis.of(fault, max(0.0, float(sims[best])), sensor, alts)


def _label(label: tuple[str, str | None]) -> str:
    fault, sensor = label
    return f"{fault}:{sensor}" if sensor else fault


def diagnose(detector: str, shift: Mapping[str, float],
             details: Mapping[str, object]) -> Diagnosis:
    """Diagnose a fired detector: rules name their fault, model detectors go by signature."""
    if detector == "error_code":
        code = str(details.get("code", ""))
        return Diagnosis.of(ERROR_CODES.get(code, UNKNOWN), 0.95 if code in ERROR_CODES else 0.3)
    if detector == "silence":
        return Diagnosis.of("offline", 0.9)
    if detector in ("sensor_stuck", "sensor_dropout"):
        return Diagnosis.of(detector, 0.95, str(details.get("sensor")))
    if detector == "sensor_drift":
        return Diagnosis.of("sensor_drift", 0.8, str(details.get("sensor")))
    if detector == "defrost_icing":  # ice a defrost left behind
        return Diagnosis.of("defrost_malfunction", 0.85)
    if detector == "superheat_hunting":  # the valve that sets the superheat is sticking
        return Diagnosis.of("expansion_valve", 0.85)
    return diagnose_shift(shift)
