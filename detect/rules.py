"""Rules for hard facts: device error codes, a device gone silent, physical limits approached.

No learning here: each rule reads raw facts from the window and scores how far past
its line the device is (``>= 1`` means over the line, the default threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from detect.detector import Cadence, DeviceWindow, Evidence, Score
from detect.frame import HOUR_MS

#: Warning levels well inside the units' protective cut-outs: (signal, "max"|"min", level).
LIMITS: Final = (
    ("discharge_temp", "max", 130.0),
    ("superheat", "max", 30.0),
    ("compressor_vibration", "max", 11.0),
    ("supply_temp", "max", 80.0),
)
_ACTIVE_SEVERITIES: Final = frozenset({"fault", "alarm"})


@dataclass(frozen=True)
class ErrorCodes:
    """An active fault or alarm code the device itself reported in the last ``lookback_h``."""

    lookback_h: float = 6.0
    threshold: float = 1.0
    name: str = "error_code"
    cadence: Cadence = "quick"

    def score(self, window: DeviceWindow) -> list[Score]:
        since = window.now_ms - self.lookback_h * HOUR_MS
        hits = [e for e in window.events if e.active and e.severity in _ACTIVE_SEVERITIES
                and since <= e.ts_ms <= window.now_ms]
        if not hits:
            return []
        last = hits[-1]
        return [Score(self.name, window.device_id, window.now_ms, 1.0, (),
                      details={"code": last.code, "message": last.message,
                               "event_ms": last.ts_ms})]


@dataclass(frozen=True)
class Silence:
    """No reading for longer than ``silence_after_s``: score is the silent time over that."""

    silence_after_s: float = 1800.0
    threshold: float = 1.0
    name: str = "silence"
    cadence: Cadence = "quick"

    def score(self, window: DeviceWindow) -> list[Score]:
        if window.last_reading_ms is None:
            return []
        silent_s = max(0.0, (window.now_ms - window.last_reading_ms) / 1000.0)
        return [Score(self.name, window.device_id, window.now_ms,
                      silent_s / self.silence_after_s, (),
                      details={"silent_s": round(silent_s, 1),
                               "last_reading_ms": window.last_reading_ms})]


@dataclass(frozen=True)
class PhysicalLimits:
    """How close a signal came to its warning level in the recent readings.

    Uses the third most extreme reading, so one glitch is not a finding.
    """

    limits: tuple[tuple[str, str, float], ...] = field(default=LIMITS)
    threshold: float = 1.0
    name: str = "physical_limit"
    cadence: Cadence = "quick"

    def score(self, window: DeviceWindow) -> list[Score]:
        recent = window.recent
        worst, worst_name, worst_value = 0.0, "", np.nan
        for signal, side, level in self.limits:
            values = recent[signal]
            values = values[~np.isnan(values)]
            if len(values) < 3:
                continue
            third = np.sort(values)[-3] if side == "max" else np.sort(values)[2]
            ratio = third / level if side == "max" else level / max(third, 1e-9)
            if ratio > worst:
                worst, worst_name, worst_value = float(ratio), signal, float(third)
        if not worst_name:
            return []
        level = next(lv for s, _, lv in self.limits if s == worst_name)
        return [Score(self.name, window.device_id, window.now_ms, worst, (worst_name,),
                      details={"signal": worst_name, "value": worst_value, "level": level},
                      evidence=Evidence.from_arrays((worst_name,), recent.times_ms,
                                                    {worst_name: recent[worst_name]}))]
