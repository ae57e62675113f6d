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
from detect.normal import CHANNELS
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
    threshold: float = 60.0
    name: str = "sensor_drift"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        res = residuals(window, self.lookback_days)
        if res is None:
            return []
        daily = res.daily(window.now_ms, self.lookback_days)
        cols = [c for c, ch in enumerate(CHANNELS) if ch.startswith("sensor:")]
        slope, r2, n = _trends(daily[:, cols])
        total = np.abs(slope) * (self.lookback_days - 1)
        ok = (r2 >= self.min_r2) & (n >= self.lookback_days // 2)
        best, best_ch, best_slope = 0.0, "", 0.0
        if ok.any():
            i = int(np.argmax(np.where(ok, total, -1.0)))
            best, best_ch, best_slope = float(total[i]), CHANNELS[cols[i]], float(slope[i])
        if not best_ch:
            return []
        sensor = best_ch.split(":", 1)[1]
        return [Score(self.name, window.device_id, window.now_ms, best, (sensor,),
                      {best_ch: best_slope * self.lookback_days},
                      {"sensor": sensor, "slope_per_day": round(best_slope, 3)},
                      lambda: res.evidence([best_ch]))]


def _trends(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares slope, R² and point count of each column of ``y`` (NaN skipped)."""
    x = np.arange(len(y), dtype=float)[:, None] * np.ones((1, y.shape[1]))
    ok = ~np.isnan(y)
    n = ok.sum(axis=0)
    safe_n = np.maximum(n, 1)
    xm = np.where(ok, x, 0.0).sum(axis=0) / safe_n
    ym = np.where(ok, y, 0.0).sum(axis=0) / safe_n
    dx = np.where(ok, x - xm, 0.0)
    dy = np.where(ok, y - ym, 0.0)
    sxx, syy, sxy = (dx**2).sum(axis=0), (dy**2).sum(axis=0), (dx * dy).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(sxx > 0, sxy / sxx, 0.0)
        r2 = np.where((sxx > 0) & (syy > 0), sxy**2 / (sxx * syy), 0.0)
    return slope, r2, n
