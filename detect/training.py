"""Training and retraining device models, and the fleet prior they start from.

A retrain fits on the last ``train_days`` of hourly history up to ``guard_days``
ago, keeping only days the current model considers normal (every daily residual
within ``max_z`` usual daily wobbles), so a slowly developing fault is not learned as
the new normal; a device with a recent finding is not retrained at all (see
:class:`RetrainPolicy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from detect.errors import ModelError
from detect.frame import DAY_MS, Frame
from detect.normal import FleetPrior, NormalModel, fit_normal


@dataclass(frozen=True)
class RetrainPolicy:
    train_days: float = 60.0
    guard_days: float = 7.0
    min_days: float = 21.0
    max_z: float = 4.0
    quiet_days: float = 14.0  # no retrain within this long after a model finding


def healthy_rows(frame: Frame, model: NormalModel | None, max_z: float) -> Frame:
    """The rows of ``frame`` on days ``model`` finds normal (all of them without a model).

    A day is abnormal when the daily mean of any residual is more than ``max_z`` usual
    daily wobbles from normal; hours the model cannot judge (conditions it never saw)
    are kept, so a new season is learnt while a developing fault is not.
    """
    if model is None or len(frame) == 0 or not np.isfinite(max_z):
        return frame
    z = model.residuals(frame)
    day = frame.times_ms // DAY_MS
    days, index = np.unique(day, return_inverse=True)
    ok = ~np.isnan(z)
    cols = z.shape[1]
    cell = (index[:, None] * cols + np.arange(cols)[None, :]).ravel()
    sums = np.bincount(cell, np.where(ok, z, 0.0).ravel(), len(days) * cols)
    counts = np.bincount(cell, ok.ravel().astype(float), len(days) * cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums / counts).reshape(len(days), cols) / model.day_sd
    bad_day = (np.abs(np.nan_to_num(means)) > max_z).any(axis=1)
    keep = ~bad_day[index]
    return Frame(frame.device_id, frame.times_ms[keep],
                 {k: v[keep] for k, v in frame.columns.items()})


def retrain(hourly: Frame, now_ms: int, current: NormalModel | None, prior: FleetPrior | None,
            policy: RetrainPolicy = RetrainPolicy(),
            last_finding_ms: int | None = None) -> NormalModel | None:
    """A new model for ``hourly.device_id`` at ``now_ms``, or None when it should keep its own.

    None when: too little history, a recent finding, or not enough healthy hours.
    """
    if len(hourly) == 0:
        return None
    if last_finding_ms is not None and now_ms - last_finding_ms < policy.quiet_days * DAY_MS:
        return None
    stop = int(now_ms - policy.guard_days * DAY_MS) if current is not None else now_ms
    start = int(stop - policy.train_days * DAY_MS)
    if (stop - int(hourly.times_ms[0])) < policy.min_days * DAY_MS:
        return None
    data = healthy_rows(hourly.between(start, stop), current, policy.max_z)
    version = (current.version + 1) if current is not None else 1
    try:
        return fit_normal(data, stop, prior, version)
    except ModelError:
        return None


def fleet_prior(models: Iterable[NormalModel]) -> FleetPrior:
    return FleetPrior.from_models(list(models))
