"""Icing: a defrost that leaves ice behind, seen in the evaporator just after each defrost.

A failing defrost melts less of the coil each time; the ice it leaves lowers the
evaporating pressure right after the defrost, when a healthy coil is clean (see
:mod:`detect.after_defrost`). Over days the ice builds up until the unit trips on it.
Hourly means and the learned normal see little of it until late: a healthy coil frosts
up between defrosts too, and a day's mean dilutes the ice of its cold, humid hours.

:class:`Icing` takes each post-defrost hour's residual against the device's clean-coil
reference, less the median of its region that hour (the weather frosts every coil
nearby alike, and the reference extrapolates alike into colder weather), and averages
the last ``days`` days (each day's mean of its post-defrost hours, at least
``min_hours`` of them). The score is how far below its reference that leaves the
device, in the reference's scatter.

>>> Icing().threshold
6.0
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from detect.after_defrost import CHANNEL, SUFFIX, after_defrost_z, readings
from detect.detector import Cadence, DeviceWindow, Evidence, Score
from detect.frame import DAY_MS, Frame, daily_means


@dataclass(frozen=True)
class Icing:
    """Post-defrost low pressure below the device's clean-coil reference, beyond its region's.

    The threshold is the lowest at which, re-deciding the nine study fleets' recorded
    scores, no unit without ice (or before its fault began) was flagged; 39 of their 45
    defrost malfunctions were then flagged by it at least 48 h ahead (see the README's
    Detect section).
    """

    threshold: float = 6.0
    name: str = "defrost_icing"
    cadence: Cadence = "model"
    days: int = 2
    min_hours: int = 2
    #: how far back the evidence goes
    evidence_days: int = 14

    def score(self, window: DeviceWindow) -> list[Score]:
        ref = window.model.defrost if window.model is not None else None
        cohort = window.cohort
        if ref is None or cohort is None or CHANNEL not in cohort.columns:
            return []
        hourly = window.hourly
        z = after_defrost_z(hourly, ref)
        ok = ~np.isnan(z)
        if not ok.any():
            return []
        times = hourly.times_ms[ok]
        if self._stuck(hourly, window.now_ms):
            return []
        region = cohort.at(times, (CHANNEL,))[:, 0]
        relative = z[ok] - region  # NaN where too few of the region defrosted that hour
        daily = daily_means(times, relative[:, None], window.now_ms, self.days,
                            self.min_hours)[:, 0]
        if np.isnan(daily).all():
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            level = float(np.nanmean(daily))
        since = window.now_ms - self.evidence_days * DAY_MS

        def evidence() -> Evidence:
            keep = (times >= since) & ~np.isnan(region)
            low, outdoor, hz = (v[ok][keep] for v in readings(hourly)[:3])
            expected = np.exp(ref.expected_log(outdoor, hz)
                              + region[keep] * ref.scale(outdoor, hz))
            return Evidence.from_arrays(("low_pressure",), times[keep], {"low_pressure": low},
                                        {"low_pressure": expected})

        counted = (times >= window.now_ms - self.days * DAY_MS) & ~np.isnan(relative)
        return [Score(self.name, window.device_id, window.now_ms, max(0.0, -level),
                      ("low_pressure",),
                      details={"after_defrost": round(level, 2), "hours": int(counted.sum())},
                      evidence=evidence)]

    def _stuck(self, hourly: Frame, now_ms: int) -> bool:
        """Whether the low pressure or outdoor sensor repeated one value after every recent
        defrost: a stuck sensor (:class:`~detect.sensors.StuckSensor`'s case), not ice."""
        recent = hourly.between(now_ms - self.days * DAY_MS, now_ms)
        for name in (CHANNEL, "outdoor_temp" + SUFFIX):
            values = recent[name][~np.isnan(recent[name])]
            if len(values) >= 3 and np.ptp(values) == 0:
                return True
        return False
