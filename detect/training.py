"""Training and retraining device models, and the fleet prior they start from.

A retrain fits on the last ``train_days`` of hourly history up to ``guard_days``
ago, keeping only hours the current model considers normal (every residual within
``max_z``), so a slowly developing fault is not learned as the new normal; a device
with a recent finding is not retrained at all (see :class:`RetrainPolicy`).
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
    guard_days: float = 2.0
    min_days: float = 5.0
    max_z: float = 4.0
    quiet_days: float = 14.0  # no retrain within this long after a model finding


def healthy_rows(frame: Frame, model: NormalModel | None, max_z: float) -> Frame:
    """The rows of ``frame`` that ``model`` finds normal (all of them without a model)."""
    if model is None or len(frame) == 0:
        return frame
    z = model.residuals(frame)
    with np.errstate(invalid="ignore"):
        bad = (np.abs(z) > max_z).any(axis=1)
    keep = ~bad
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
