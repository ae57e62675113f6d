"""A multivariate detector: Hotelling's T² of recent residual means against the device's normal.

Some faults move several residuals a little each, none enough alone; T² weighs the
joint move against the usual *co*-movement of this device's residuals (the model's
daily-mean precision matrix, a Ledoit-Wolf shrinkage estimate). The score is T²
divided by the number of channels, so about 1 is normal.

Hotelling (1931); Ledoit & Wolf (2004), "A well-conditioned estimator for
large-dimensional covariance matrices".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detect.detector import Cadence, DeviceWindow, Score
from detect.normal import CHANNELS
from detect.residuals import residuals, signal_of


@dataclass(frozen=True)
class ResidualT2:
    """T² per channel of the mean residual over the last ``days`` days."""

    days: int = 2
    threshold: float = 175.0
    name: str = "residual_t2"
    cadence: Cadence = "model"

    def score(self, window: DeviceWindow) -> list[Score]:
        res = residuals(window, self.days)
        if res is None or not res.model.precision.any():
            return []
        means = res.daily(window.now_ms, self.days)  # already in usual-daily-wobble units
        seen = np.isfinite(means)
        if not seen.any():
            return []
        u = np.where(seen, means, 0.0).sum(axis=0) / np.maximum(seen.sum(axis=0), 1)
        u = np.where(seen.any(axis=0), u, np.nan)
        ok = np.isfinite(u)
        if ok.sum() < 3:
            return []
        p = res.model.precision[np.ix_(ok, ok)]
        v = u[ok]
        t2 = float(v @ p @ v) / ok.sum()
        contrib = np.zeros(len(CHANNELS))
        contrib[ok] = v * (p @ v)
        order = np.argsort(-np.abs(contrib))[:3]
        top = [CHANNELS[i] for i in order]
        shift = {c: round(float(x), 3) for c, x in zip(CHANNELS, u, strict=True)
                 if np.isfinite(x)}
        return [Score(self.name, window.device_id, window.now_ms, max(t2, 0.0),
                      tuple(signal_of(c) for c in top), shift, {"channels": top},
                      lambda: res.evidence(top))]
