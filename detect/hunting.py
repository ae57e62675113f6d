"""Hunting: a control loop that oscillates within the hour while its hourly mean holds.

A sticking electronic expansion valve overshoots and undershoots, so the superheat it
controls swings by a few kelvin with a period of tens of minutes. Hourly means average
that away, and the learned normal (:mod:`detect.normal`) sees little until late. The
scatter *within* each hour does not: estimated from the hour's range of running readings
(:func:`detect.frame.with_scatter`: lowest, highest and count, all aggregated in the
store), it grows from the sensor's noise to several kelvin weeks before the valve fails.

:class:`Hunting` compares the last two days' scatter with the device's own usual
scatter before them, so a noisy sensor is not a finding: only a change is. Both sides
are low quantiles, so a few odd hours (a start, a weather front) do not count: a hunting
valve raises nearly every hour.

>>> from detect.frame import Frame, HOUR_MS, DAY_MS
>>> import numpy as np
>>> t = np.arange(0, 10 * DAY_MS, HOUR_MS)
>>> quiet = np.full(len(t), 0.3)
>>> hunting = np.where(t >= 8 * DAY_MS, 1.5, 0.3)
>>> def window(col):
...     return DeviceWindow("hp-1", 10 * DAY_MS, Frame.empty("hp-1"),
...                         Frame("hp-1", t, {"superheat_scatter": col}))
>>> Hunting().score(window(quiet))[0].value, Hunting().score(window(hunting))[0].value
(1.0, 5.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.detector import Cadence, DeviceWindow, Evidence, Score
from detect.frame import DAY_MS, SCATTER


@dataclass(frozen=True)
class Hunting:
    """Within-hour scatter of ``signal`` in the last ``recent_days`` over its usual level.

    The threshold and the quantiles were chosen on the tuning fleets (seeds 3 and 11):
    there the healthy units' highest score was 1.4 and every sticking valve scored over
    1.8 twelve to twenty-nine days before it failed.
    """

    signal: str = "superheat"
    threshold: float = 1.8
    name: str = "superheat_hunting"
    cadence: Cadence = "model"
    recent_days: int = 2
    #: hours with a scatter each day needs to count, and earlier days the usual level needs
    min_hours: int = 6
    min_days: int = 7
    #: the recent level: this quantile of the recent hours (low: odd hours do not count)
    recent_quantile: float = 0.25
    #: the usual level: this quantile of the earlier daily medians (low: a fault already
    #: creeping up in the lookback does not raise its own yardstick)
    quantile: float = 0.25
    #: a scatter below this (in the signal's unit) is noise however quiet the sensor
    floor: float = 0.1

    def score(self, window: DeviceWindow) -> list[Score]:
        hourly = window.hourly
        column = self.signal + SCATTER
        scatter = hourly[column]
        ok = ~np.isnan(scatter)
        times, values = hourly.times_ms[ok], scatter[ok]
        day = (window.now_ms - 1 - times) // DAY_MS
        recent = values[day < self.recent_days]
        if len(recent) < self.min_hours * self.recent_days:
            return []
        before = day >= self.recent_days
        earlier = [np.median(values[day == d]) for d in np.unique(day[before])
                   if np.count_nonzero(day == d) >= self.min_hours]
        if len(earlier) < self.min_days:
            return []
        usual = max(float(np.quantile(earlier, self.quantile)), self.floor)
        now = float(np.quantile(recent, self.recent_quantile))
        all_times = hourly.times_ms
        return [Score(self.name, window.device_id, window.now_ms, now / usual, (self.signal,),
                      details={"signal": self.signal, "scatter": round(now, 3),
                               "usual": round(usual, 3)},
                      evidence=lambda: Evidence.from_arrays(
                          (column,), all_times, {column: scatter},
                          {column: np.full(len(all_times), usual)}))]


#: The signals whose within-hour scatter is read (with their hourly means) for hunting.
SCATTER_SIGNALS: Final = (Hunting().signal,)
