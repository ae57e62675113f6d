"""Sensor health: stuck, dropping out or drifting sensors. A bad sensor needs a remote check,
not a van, so these detectors name the sensor rather than a mechanical fault.

* :class:`StuckSensor` -- hourly means that do not change at all for ``hours``
  while the unit runs: a live sensor always wobbles a little.
* :class:`SensorDropout` -- a signal missing from readings that carry the others.
* :class:`SensorDrift` -- a sensor's consistency residual (the sensor against
  what the *other* signals say it should read) trending steadily one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.detector import Cadence, DeviceWindow, Evidence, Score
from detect.frame import HOUR_MS
from detect.residuals import residuals

#: Sensors that can fail on their own (the device contract's measured temperatures,
#: pressures and flow).
WATCHED: Final = ("outdoor_temp", "indoor_temp", "supply_temp", "return_temp",
                  "hot_water_temp", "discharge_temp", "suction_temp", "high_pressure",
                  "low_pressure", "flow_lpm")


@dataclass(frozen=True)
class StuckSensor:
    """Longest run of identical hourly means (in hours) over ``hours``, for a running unit."""

    hours: int = 12
    threshold: float = 1.0
    name: str = "sensor_stuck"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        frame = window.hourly.between(window.now_ms - self.hours * HOUR_MS, window.now_ms)
        if len(frame) < self.hours * 0.75:
            return []
        hz = frame["compressor_hz"]
        if not (np.nan_to_num(hz) > 0).any():
            return []
        out = []
        for signal in WATCHED:
            values = frame[signal]
            if np.isnan(values).any() or len(values) < 2:
                continue
            if np.ptp(values) <= 1e-9 * max(1.0, abs(float(values[0]))):
                out.append(Score(self.name, window.device_id, window.now_ms,
                                 len(values) / (self.hours * 0.75), (signal,),
                                 {f"sensor:{signal}": 1.0},
                                 {"sensor": signal, "value": float(values[0])},
                                 Evidence.from_arrays((signal,), frame.times_ms,
                                                      {signal: values})))
        return out


@dataclass(frozen=True)
class SensorDropout:
    """Share of recent readings missing a signal that the rest of the reading has."""

    min_missing: int = 2
    threshold: float = 0.04
    name: str = "sensor_dropout"
    cadence: Cadence = "quick"

    def score(self, window: DeviceWindow) -> list[Score]:
        recent = window.recent
        if len(recent) < 10:
            return []
        present = np.zeros(len(recent), bool)
        for col in recent.columns.values():
            present |= ~np.isnan(col)
        out = []
        for signal in WATCHED:
            col = recent[signal]
            if np.isnan(col).all():
                continue  # a device without this sensor
            missing = int((np.isnan(col) & present).sum())
            if missing >= self.min_missing:
                out.append(Score(self.name, window.device_id, window.now_ms,
                                 missing / int(present.sum()), (signal,),
                                 {f"sensor:{signal}": 1.0},
                                 {"sensor": signal, "missing": missing,
                                  "readings": int(present.sum())}))
        return out


@dataclass(frozen=True)
class SensorDrift:
    """Steady trend of a sensor's consistency residual: total drift over the lookback, in
    usual-daily-wobble units, counted only when the trend explains the movement (R² >= 0.6).
    """

    lookback_days: int = 14
    min_r2: float = 0.6
    threshold: float = 8.0
    name: str = "sensor_drift"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        res = residuals(window, self.lookback_days)
        if res is None:
            return []
        from detect.normal import CHANNELS

        daily = res.daily(window.now_ms, self.lookback_days)
        days = np.arange(self.lookback_days, dtype=float)
        best, best_ch, best_slope = 0.0, "", 0.0
        for c, channel in enumerate(CHANNELS):
            if not channel.startswith("sensor:"):
                continue
            y = daily[:, c]
            ok = ~np.isnan(y)
            if ok.sum() < self.lookback_days // 2:
                continue
            slope, icpt = np.polyfit(days[ok], y[ok], 1)
            fit = slope * days[ok] + icpt
            ss = float(((y[ok] - y[ok].mean()) ** 2).sum())
            r2 = 1.0 - float(((y[ok] - fit) ** 2).sum()) / ss if ss > 0 else 0.0
            total = abs(slope) * (self.lookback_days - 1)
            if r2 >= self.min_r2 and total > best:
                best, best_ch, best_slope = total, channel, float(slope)
        if not best_ch:
            return []
        sensor = best_ch.split(":", 1)[1]
        return [Score(self.name, window.device_id, window.now_ms, best, (sensor,),
                      {best_ch: best_slope * self.lookback_days},
                      {"sensor": sensor, "slope_per_day": round(best_slope, 3)},
                      lambda: res.evidence([best_ch]))]
