"""Sensor health: stuck, dropping out or drifting sensors. A bad sensor needs a remote check,
not a van, so these detectors name the sensor rather than a mechanical fault.

* :class:`StuckSensor` -- hourly means that do not change at all for ``hours``
  while the unit runs: a live sensor always wobbles a little.
* :class:`SensorDropout` -- a signal missing from readings that carry the others.
* :class:`SensorDrift` -- a sensor's consistency residual (the sensor against
  what the *other* signals say it should read) trending steadily one way, beyond
  what the weather explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.detector import Cadence, DeviceWindow, Evidence, Score
from detect.frame import HOUR_MS, daily_means
from detect.normal import CHANNELS
from detect.residuals import MIN_DAY_HOURS, Residuals, residuals

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
    """Steady trend of a sensor's consistency residual beyond the weather: total drift over
    the lookback, in usual-daily-wobble units, counted only when the trend explains the
    movement the outdoor temperature leaves (partial R² >= 0.6).

    A consistency model is a line fitted on the days it saw; as the season moves on, how
    two sensors relate shifts with the weather, and that misfit trends too (spring warms
    day by day). It follows the outdoor temperature, cold day and mild day alike; a
    drifting sensor follows the calendar. So each day's mean residual is fitted on the day
    *and* the day's mean outdoor temperature, and only the day's own part counts. On the
    nine study fleets the highest score of a unit before any fault, two runs in a row, fell
    from 87 to 48 (the threshold is 60); see the README's Detect section. The outdoor
    sensor's own residual is fitted on the outdoor temperature the other signals imply,
    not on its own reading.

    Every score also carries each sensor's trend, ``details["trends"][sensor] =
    (signed total drift, partial R²)``, even when none is convincing (a score of 0 then):
    the engine asks it whether a residual vote that names a sensor shows that sensor
    drifting (:attr:`detect.engine.Engine.sensor_trend`).
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
        weather = _outdoor(res, window.now_ms, self.lookback_days, _SENSOR_COLS)
        slope, r2, n = _trends(daily[:, _SENSOR_COLS], weather)
        signed = slope * (self.lookback_days - 1)
        total = np.abs(signed)
        trends = {name: (round(float(t), 3), round(float(q), 3))
                  for name, t, q in zip(_SENSORS, signed, r2, strict=True)}
        ok = (r2 >= self.min_r2) & (n >= self.lookback_days // 2)
        if not ok.any():
            return [Score(self.name, window.device_id, window.now_ms, 0.0, (), {},
                          {"trends": trends})]
        i = int(np.argmax(np.where(ok, total, -1.0)))
        best, best_ch, best_slope = float(total[i]), CHANNELS[_SENSOR_COLS[i]], float(slope[i])
        sensor = _SENSORS[i]
        return [Score(self.name, window.device_id, window.now_ms, best, (sensor,),
                      {best_ch: best_slope * self.lookback_days},
                      {"sensor": sensor, "slope_per_day": round(best_slope, 3), "trends": trends},
                      lambda: res.evidence([best_ch]))]


_OUTDOOR: Final = CHANNELS.index("sensor:outdoor_temp")
#: the sensor-consistency channels (``sensor:<name>``) and the sensor each one is about
_SENSOR_COLS: Final = [c for c, ch in enumerate(CHANNELS) if ch.startswith("sensor:")]
_SENSORS: Final = tuple(CHANNELS[c].split(":", 1)[1] for c in _SENSOR_COLS)


def _outdoor(res: Residuals, now_ms: int, days: int, cols: list[int]) -> np.ndarray:
    """Daily mean outdoor temperature over the scored hours, one column per channel of
    ``cols``: as read, except for the outdoor sensor's own channel, which gets what the
    other signals say it should read."""
    both = np.column_stack([res.observed[:, _OUTDOOR], res.expected[:, _OUTDOOR]])
    seen, implied = daily_means(res.times_ms, both, now_ms, days, MIN_DAY_HOURS).T
    return np.column_stack([implied if c == _OUTDOOR else seen for c in cols])


def _trends(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of ``y`` (rows are days, NaN skipped): the slope per row and its partial
    R² in a least-squares fit of ``y`` on the row index and a covariate ``x`` (same shape),
    and the point count. Frisch-Waugh: the index and ``y`` less their regressions on ``x``.
    A column whose ``x`` does not vary is fitted on the index alone."""
    t = np.arange(len(y), dtype=float)[:, None]
    ok = ~np.isnan(y) & ~np.isnan(x)
    n = ok.sum(axis=0)
    safe_n = np.maximum(n, 1)

    def centred(a: np.ndarray) -> np.ndarray:
        return np.where(ok, a - np.where(ok, a, 0.0).sum(axis=0) / safe_n, 0.0)

    dt, dy, dx = centred(t), centred(y), centred(x)
    sxx = (dx**2).sum(axis=0)
    varies = sxx > 1e-9
    safe = np.where(varies, sxx, 1.0)
    dt = dt - np.where(varies, (dx * dt).sum(axis=0) / safe, 0.0) * dx
    dy = dy - np.where(varies, (dx * dy).sum(axis=0) / safe, 0.0) * dx
    stt, syy, sty = (dt**2).sum(axis=0), (dy**2).sum(axis=0), (dt * dy).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(stt > 1e-9, sty / stt, 0.0)
        r2 = np.where((stt > 1e-9) & (syy > 0), sty**2 / (stt * syy), 0.0)
    return slope, r2, n
