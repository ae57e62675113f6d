"""Outdoor weather per climate: seasons, days and nights, weather systems, cold snaps, humidity.

The weather of each climate is an hourly series generated ahead in 30-day chunks
from the run's start, so a forecast can be derived from the weather that will
really happen, plus an error that grows with lead time. Temperature is

    annual mean + seasonal cycle + daily cycle + slow anomaly (weather systems,
    Ornstein-Uhlenbeck, tau 3.5 d) + fast anomaly (tau 8 h) + cold snap

(the deepest of the cold snaps under way: overlapping snaps do not add up)

and relative humidity follows the season (humid winters), the day (dry
afternoons) and its own anomaly. Values between the hours are interpolated.
Pure and deterministic: the same seed and start give the same weather, whatever
the fleet looks like.

>>> from simulators.climate import CLIMATES
>>> w = Weather([CLIMATES["stockholm"]], start_s=1_767_225_600.0, seed=1)  # 2026-01-01
>>> temp, rh = w.at(1_767_225_600.0 + 3 * 86_400)
>>> bool(-35 < temp[0] < 12 and 0.25 <= rh[0] <= 1.0)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulators.climate import Climate

HOUR = 3600.0
DAY = 86_400.0
YEAR_DAYS = 365.2422
CHUNK_HOURS = 30 * 24
LOCAL_UTC_OFFSET_H = 1.0  # Nordic standard time; daylight saving is ignored


def season(t_s: np.ndarray | float) -> np.ndarray:
    """-1 in the coldest week (around 20 January), +1 in the warmest (around 20 July)."""
    days = np.asarray(t_s, dtype=float) / DAY
    return np.asarray(-np.cos(2 * np.pi * ((days % YEAR_DAYS) - 20.0) / YEAR_DAYS))


def local_hour(t_s: np.ndarray | float) -> np.ndarray:
    """Hour of the local day, 0-24 (fractional)."""
    return np.asarray((np.asarray(t_s, dtype=float) / HOUR + LOCAL_UTC_OFFSET_H) % 24.0)


@dataclass(frozen=True, slots=True)
class Forecast:
    """An hourly forecast issued at ``issued_s`` for one climate."""

    climate: str
    issued_s: float
    times_s: np.ndarray  # the hours forecast for
    temp: np.ndarray  # °C
    humidity: np.ndarray  # 0-1

    def min_temp(self, hours: float) -> float:
        """The coldest forecast temperature within ``hours`` of issue."""
        mask = self.times_s <= self.issued_s + hours * HOUR
        return float(self.temp[mask].min()) if mask.any() else float("nan")


class Weather:
    """Hourly weather for a few climates, from ``start_s`` on, generated lazily."""

    def __init__(self, climates: Sequence[Climate], start_s: float, seed: int) -> None:
        self.climates = list(climates)
        self.start_s = float(start_s) - float(start_s) % HOUR
        self._seed = seed
        self._chunks_made = 0
        self._temp = np.empty((len(self.climates), 0))
        self._rh = np.empty((len(self.climates), 0))
        n = len(self.climates)
        self._slow = np.zeros(n)
        self._fast = np.zeros(n)
        self._rh_noise = np.zeros(n)
        self._snaps: list[list[tuple[float, float, float]]] = [[] for _ in range(n)]
        self._mean = np.array([c.annual_mean for c in self.climates])
        self._amp = np.array([c.seasonal_amplitude for c in self.climates])
        self._daily = np.array([c.daily_amplitude for c in self.climates])
        self._sd = np.array([c.anomaly_sd for c in self.climates])
        self._rh_winter = np.array([c.winter_humidity for c in self.climates])
        self._rh_summer = np.array([c.summer_humidity for c in self.climates])

    def _ensure(self, hours: int) -> None:
        while self._temp.shape[1] < hours + 2:
            self._generate_chunk()

    def _generate_chunk(self) -> None:
        rng = np.random.default_rng([self._seed, 0x5EA7, self._chunks_made])
        self._chunks_made += 1
        n, h0 = len(self.climates), self._temp.shape[1]
        times = self.start_s + (h0 + np.arange(CHUNK_HOURS)) * HOUR
        temp = np.empty((n, CHUNK_HOURS))
        rh = np.empty((n, CHUNK_HOURS))
        a_slow, a_fast, a_rh = np.exp(-1 / (3.5 * 24)), np.exp(-1 / 8), np.exp(-1 / 18)
        shocks = rng.standard_normal((CHUNK_HOURS, 3, n))
        snap_draw = rng.random((CHUNK_HOURS, n))
        snap_shape = rng.random((CHUNK_HOURS, 2, n))
        rate = np.array([c.cold_snaps_per_winter for c in self.climates]) / (171 * 24)
        depth = np.array([c.cold_snap_depth for c in self.climates])
        for k, t in enumerate(times):
            s = float(season(t))
            summer = (1 + s) / 2
            sd = self._sd * (1 - 0.45 * summer)
            self._slow = a_slow * self._slow + sd * np.sqrt(1 - a_slow**2) * shocks[k, 0]
            self._fast = a_fast * self._fast + 1.0 * np.sqrt(1 - a_fast**2) * shocks[k, 1]
            self._rh_noise = a_rh * self._rh_noise + 0.06 * np.sqrt(1 - a_rh**2) * shocks[k, 2]
            snap = np.zeros(n)
            for c in range(n):
                if s < -0.1 and snap_draw[k, c] < rate[c]:
                    length = 48 + 144 * snap_shape[k, 0, c]
                    dep = depth[c] * (0.6 + 0.8 * snap_shape[k, 1, c])
                    self._snaps[c].append((t, length * HOUR, dep))
                self._snaps[c] = [sn for sn in self._snaps[c] if t < sn[0] + sn[1]]
                for begin, length_s, dep in self._snaps[c]:
                    # snaps that overlap are one cold air mass: the deepest sets the cold
                    # (summed, two could take Luleå below -50 °C, past Sweden's record)
                    ramp = min(1.0, (t - begin) / (18 * HOUR), (begin + length_s - t) / (18 * HOUR))
                    snap[c] = min(snap[c], -dep * max(0.0, ramp))
            daily = np.cos(2 * np.pi * (float(local_hour(t)) - 15.0) / 24.0)
            temp[:, k] = (self._mean + self._amp * s + self._daily * (0.5 + 0.5 * summer) * daily
                          + self._slow + self._fast + snap)
            base_rh = self._rh_winter * (1 - summer) + self._rh_summer * summer
            rh[:, k] = base_rh - (0.04 + 0.10 * summer) * daily + self._rh_noise
        self._temp = np.concatenate([self._temp, temp], axis=1)
        self._rh = np.concatenate([self._rh, np.clip(rh, 0.25, 1.0)], axis=1)

    def at(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Temperature (°C) and relative humidity (0-1) of every climate at ``t_s``."""
        x = (t_s - self.start_s) / HOUR
        if x < 0:
            raise ValueError("weather is only known from the start of the run on")
        i = int(x)
        self._ensure(i + 1)
        f = x - i
        temp = self._temp[:, i] * (1 - f) + self._temp[:, i + 1] * f
        rh = self._rh[:, i] * (1 - f) + self._rh[:, i + 1] * f
        return temp, rh

    def forecast(self, climate_index: int, issued_s: float, hours: int = 120) -> Forecast:
        """The forecast issued at ``issued_s``: the real weather plus an error growing with lead.

        Temperature error is a random walk, about 1.2 K after a day and 2.7 K after
        five days, different (but reproducible) for each issue hour.
        """
        first = int(np.ceil((issued_s - self.start_s) / HOUR))
        self._ensure(first + hours + 1)
        idx = first + np.arange(1, hours + 1)
        rng = np.random.default_rng([self._seed, 0xF0CA, climate_index, max(first, 0)])
        err = np.cumsum(rng.standard_normal(hours) * 1.2 / np.sqrt(24))
        rh_err = np.cumsum(rng.standard_normal(hours) * 0.04 / np.sqrt(24))
        return Forecast(
            climate=self.climates[climate_index].name,
            issued_s=float(issued_s),
            times_s=self.start_s + idx * HOUR,
            temp=self._temp[climate_index, idx] + err,
            humidity=np.clip(self._rh[climate_index, idx] + rh_err, 0.25, 1.0),
        )
