"""Residual views shared by the model detectors: z over the lookback, daily means, evidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detect.cohort import subtract
from detect.detector import DeviceWindow, Evidence
from detect.frame import DAY_MS, daily_means
from detect.normal import CHANNELS, NormalModel

MIN_RUNNING_HOURS = 12
#: A day's mean residual is judged only on this many scored hours: on a frosty day with the
#: backup heater on most of the time, the few hours left are neither many nor typical.
MIN_DAY_HOURS = 6
FULL_DAYS = 14.0  # residuals are computed once per window over this long, then sliced


@dataclass(frozen=True)
class Residuals:
    """``z[row, channel]`` over the lookback, with the hourly times and the model."""

    times_ms: np.ndarray
    z: np.ndarray
    expected: np.ndarray
    observed: np.ndarray
    model: NormalModel

    def last(self, start_ms: int) -> Residuals | None:
        """The rows from ``start_ms`` on (None with too few running hours)."""
        i = int(np.searchsorted(self.times_ms, start_ms))
        part = Residuals(self.times_ms[i:], self.z[i:], self.expected[i:], self.observed[i:],
                         self.model)
        return part if part.running_hours >= MIN_RUNNING_HOURS else None

    @property
    def running_hours(self) -> int:
        return int((~np.isnan(self.z).all(axis=1)).sum())

    def daily(self, now_ms: int, days: int) -> np.ndarray:
        """Daily means of z over the last ``days`` days, in units of the model's ``day_sd``
        (NaN on days with fewer than ``MIN_DAY_HOURS`` scored hours)."""
        return daily_means(self.times_ms, self.z, now_ms, days, MIN_DAY_HOURS) / self.model.day_sd

    def evidence(self, channels: list[str], days: float = 7.0) -> Evidence:
        """Observed against expected hourly values of ``channels`` over the last ``days``."""
        idx = [CHANNELS.index(c) for c in channels]
        names = tuple(signal_of(c) for c in channels)
        keep = self.times_ms >= self.times_ms[-1] - days * DAY_MS if len(self.times_ms) else []
        return Evidence.from_arrays(
            names, self.times_ms[keep],
            {n: self.observed[keep, i] for n, i in zip(names, idx, strict=True)},
            {n: self.expected[keep, i] for n, i in zip(names, idx, strict=True)})


def signal_of(channel: str) -> str:
    """The signal a residual channel is about (``sensor:supply_temp`` -> ``supply_temp``)."""
    return channel.split(":", 1)[-1]


def residuals(window: DeviceWindow, lookback_days: float) -> Residuals | None:
    """The window's residuals over the last ``lookback_days``, or None without enough data."""
    if window.model is None or len(window.hourly) == 0:
        return None
    key = ("residuals", FULL_DAYS)
    if key not in window.cache:
        window.cache[key] = _compute(window, max(FULL_DAYS, lookback_days))
    full = window.cache[key]
    if full is None or lookback_days >= FULL_DAYS:
        return full
    return full.last(window.now_ms - int(lookback_days * DAY_MS))


def _compute(window: DeviceWindow, lookback_days: float) -> Residuals | None:
    assert window.model is not None
    frame = window.hourly.between(int(window.now_ms - lookback_days * DAY_MS), window.now_ms)
    if len(frame) == 0:
        return None
    expected, observed, z = window.model.compare(frame)
    z = subtract(frame.times_ms, z, window.cohort)
    res = Residuals(frame.times_ms, z, expected, observed, window.model)
    return res if res.running_hours >= MIN_RUNNING_HOURS else None
