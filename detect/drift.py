"""Drift and change detection on residuals: EWMA and two-sided CUSUM per residual channel.

Both read the learned normal's residuals (:mod:`detect.normal`), never raw values,
so weather is not an anomaly; both are scaled by the model's ``day_sd`` (the usual
day-to-day wobble of this device's residuals), so a score of 1 means "one usual
day's wobble".

* :class:`ResidualEwma` -- exponentially weighted mean of hourly residuals
  (Roberts 1959); quick to show a level shift, its signed values are the
  fault *signature* diagnosis reads.
* :class:`ResidualCusum` -- Page's CUSUM (1954) over daily means with slack ``k``:
  accumulates small persistent shifts, forgets noise.

>>> import numpy as np
>>> from detect.drift import cusum
>>> float(cusum(np.array([0.0, 0.2, 3.0, 3.0, 3.0]), k=1.0)[-1])
6.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from detect.detector import Cadence, DeviceWindow, Score
from detect.frame import HOUR_MS
from detect.normal import CHANNELS
from detect.residuals import residuals, signal_of

TOP: Final = 3


def ewma(z: np.ndarray, times_ms: np.ndarray, halflife_h: float) -> np.ndarray:
    """The EWMA of ``z`` (rows x channels) at the last row; NaN rows and gaps decay it."""
    if len(z) == 0:
        return np.zeros(z.shape[1])
    age_h = (times_ms[-1] - times_ms) / HOUR_MS
    w = np.where(np.isnan(z), 0.0, (0.5 ** (age_h / halflife_h))[:, None])
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(np.nan_to_num(z) * w, axis=0) / total, 0.0)


def cusum(u: np.ndarray, k: float) -> np.ndarray:
    """Upper CUSUM path of ``u`` (rows = time, optionally columns; NaN skipped):
    ``S = max(0, S + u - k)``."""
    s = np.zeros(u.shape[1:])
    out = np.zeros(u.shape)
    for i in range(len(u)):
        s = np.where(np.isnan(u[i]), s, np.maximum(0.0, s + u[i] - k))
        out[i] = s
    return out


def _score(name: str, window: DeviceWindow, per_channel: np.ndarray, signed: np.ndarray,
           res_evidence: object) -> list[Score]:
    order = np.argsort(-per_channel)
    top = [CHANNELS[i] for i in order[:TOP] if per_channel[i] > 0]
    shift = {c: round(float(v), 3) for c, v in zip(CHANNELS, signed, strict=True)
             if np.isfinite(v)}
    return [Score(name, window.device_id, window.now_ms, float(per_channel[order[0]]),
                  tuple(signal_of(c) for c in top), shift,
                  {"channel": CHANNELS[order[0]]},
                  (lambda: res_evidence(top)) if top else None)]  # type: ignore[operator]


@dataclass(frozen=True)
class ResidualEwma:
    """Largest |EWMA| of a residual channel, in usual-daily-wobble units."""

    halflife_h: float = 24.0
    lookback_days: float = 7.0
    threshold: float = 40.0
    name: str = "residual_ewma"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        res = residuals(window, self.lookback_days)
        if res is None:
            return []
        level = ewma(res.z, res.times_ms, self.halflife_h) / res.model.day_sd
        level = np.nan_to_num(level)
        return _score(self.name, window, np.abs(level), level, res.evidence)


@dataclass(frozen=True)
class ResidualCusum:
    """Largest two-sided CUSUM over daily residual means, in usual-daily-wobble units."""

    k: float = 1.0
    lookback_days: int = 14
    threshold: float = 225.0
    name: str = "residual_cusum"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        res = residuals(window, self.lookback_days)
        if res is None:
            return []
        daily = res.daily(window.now_ms, self.lookback_days)
        up = cusum(daily, self.k)[-1]
        down = cusum(-daily, self.k)[-1]
        signed = np.where(up >= down, up, -down)
        return _score(self.name, window, np.maximum(up, down), signed, res.evidence)
