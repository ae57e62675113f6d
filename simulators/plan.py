"""Which device gets which fault, when: drawn at random from a fault rate, or read from a file.

A plan file is JSON, a list of objects (or ``{"faults": [...]}``)::

    [{"device": "sim-00003", "fault": "refrigerant_leak", "onset_day": 20,
      "progression_days": 25},
     {"device": "sim-00007", "fault": "sensor_drift", "onset": "2026-02-01T00:00:00Z",
      "sensor": "supply_temp"}]

``onset`` is an ISO time, ``onset_day`` days after the run's start; a missing
``progression_days`` is drawn from the fault's usual range (``electronic`` faults
have none: they fail at onset); ``sensor`` only
applies to sensor faults (drawn at random when missing). A device has at most one fault.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulators.errors import FaultPlanError
from simulators.faults import DRIFT_SIGNALS, FAULTS, SENSOR_FAULT_SIGNALS, FaultType, fault_spec

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class PlannedFault:
    device_id: str
    fault: FaultType
    onset_s: float
    progression_s: float
    shape: float = 1.8  # severity = ((t - onset) / progression) ** shape
    sensor: str | None = None
    drift_per_day: float = 0.0  # sensor_drift only, in the sensor's unit


def _sensor_details(fault: FaultType, rng: np.random.Generator,
                    sensor: str | None) -> tuple[str | None, float]:
    if not FAULTS[fault].is_sensor_fault:
        return None, 0.0
    choices = DRIFT_SIGNALS if fault is FaultType.SENSOR_DRIFT else SENSOR_FAULT_SIGNALS
    if sensor is None:
        sensor = str(choices[int(rng.integers(len(choices)))])
    elif sensor not in choices:
        raise FaultPlanError(f"sensor {sensor!r} cannot have a {fault.value} fault: "
                             f"choose one of {', '.join(choices)}")
    scale = 0.03 if sensor.endswith("pressure") else 0.25
    rate = scale * float(rng.uniform(0.4, 1.6)) * float(rng.choice([-1.0, 1.0]))
    return sensor, rate if fault is FaultType.SENSOR_DRIFT else 0.0


def _draw(rng: np.random.Generator, device_id: str, fault: FaultType, onset_s: float,
          progression_days: float | None = None, sensor: str | None = None) -> PlannedFault:
    lo, hi = FAULTS[fault].progression_days
    days = float(rng.uniform(lo, hi)) if progression_days is None else float(progression_days)
    if hi == 0:  # sudden: fails at onset whatever the plan says
        days = 0.0
    shape = float(rng.uniform(1.3, 2.6))
    sensor, drift = _sensor_details(fault, rng, sensor)
    return PlannedFault(device_id, fault, float(onset_s), days * DAY, shape, sensor, drift)


def random_plan(device_ids: Sequence[str], start_s: float, end_s: float, fault_rate: float,
                seed: int, mix: dict[FaultType, float] | None = None) -> list[PlannedFault]:
    """Give each device a fault with probability ``fault_rate``, from the default mix.

    Onsets leave the first 30 % of the run (at least two days where possible) healthy, so
    detectors have a normal to learn; a progressive fault starts early enough to be
    at least half-way to failure by the end of the run when the run is long enough.
    """
    if not 0.0 <= fault_rate <= 1.0:
        raise FaultPlanError(f"fault rate {fault_rate} must be between 0 and 1")
    rng = np.random.default_rng([seed, 0xFA17])
    weights = mix or {f: s.share for f, s in FAULTS.items()}
    kinds = list(weights)
    p = np.array([weights[k] for k in kinds], dtype=float)
    p /= p.sum()
    span = end_s - start_s
    warmup = min(max(0.3 * span, 2 * DAY), 0.6 * span)
    plan = []
    for device_id in device_ids:
        hit, pick, when = rng.random(), int(rng.choice(len(kinds), p=p)), rng.random()
        if hit >= fault_rate:
            continue
        fault = kinds[pick]
        planned = _draw(rng, device_id, fault, 0.0)
        latest = end_s - 0.5 * planned.progression_s
        earliest = start_s + warmup
        onset = earliest + when * max(latest - earliest, 0.0)
        plan.append(replace(planned, onset_s=float(round(min(onset, end_s)))))
    return plan


def _parse_onset(entry: dict[str, Any], start_s: float, where: str) -> float:
    if "onset" in entry:
        text = str(entry["onset"]).replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise FaultPlanError(f"{where}: onset {entry['onset']!r} is not an ISO time "
                                 "like 2026-02-01T00:00:00Z") from None
        if moment.tzinfo is None:
            raise FaultPlanError(f"{where}: onset {entry['onset']!r} needs a time zone (add Z)")
        return moment.timestamp()
    if "onset_day" in entry:
        return start_s + float(entry["onset_day"]) * DAY
    raise FaultPlanError(f"{where}: give 'onset' (ISO time) or 'onset_day' (days after start)")


def parse_plan(data: Any, device_ids: Sequence[str], start_s: float,
               seed: int) -> list[PlannedFault]:
    """Turn decoded plan JSON into planned faults, checking every entry."""
    entries = data.get("faults") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise FaultPlanError("a fault plan is a JSON list of faults (or {\"faults\": [...]})")
    known = set(device_ids)
    rng = np.random.default_rng([seed, 0xF11E])
    plan: list[PlannedFault] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"fault plan entry {i + 1}"
        if not isinstance(entry, dict):
            raise FaultPlanError(f"{where} is not a JSON object")
        device = entry.get("device")
        if isinstance(device, int) and 0 <= device < len(device_ids):
            device = device_ids[device]
        if device not in known:
            raise FaultPlanError(f"{where}: device {device!r} is not in the fleet "
                                 f"({device_ids[0]} ... {device_ids[-1]})")
        if device in seen:
            raise FaultPlanError(f"{where}: device {device} already has a fault (one per device)")
        seen.add(str(device))
        try:
            fault = fault_spec(str(entry.get("fault"))).fault
        except ValueError as exc:
            raise FaultPlanError(f"{where}: {exc}") from None
        onset = _parse_onset(entry, start_s, where)
        days = entry.get("progression_days")
        try:
            plan.append(_draw(rng, str(device), fault, onset, days, entry.get("sensor")))
        except FaultPlanError as exc:
            raise FaultPlanError(f"{where}: {exc}") from None
    return plan


def load_plan(path: Path, device_ids: Sequence[str], start_s: float,
              seed: int) -> list[PlannedFault]:
    """Read a fault plan file (see the module docstring)."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FaultPlanError(f"fault plan {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise FaultPlanError(f"fault plan {path} is not readable JSON: {exc}") from None
    return parse_plan(data, device_ids, start_s, seed)
