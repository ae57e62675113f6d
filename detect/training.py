"""Training and retraining device models, and the fleet prior they start from.

A new device first gets a *provisional* model after ``prior_days``: its little
history fitted as a correction to the fleet prior. Once it has ``min_days`` of
history, its *baseline* is fitted: the normal it keeps. A retrain never re-learns
conditions the baseline already covers -- that is how a slowly developing fault
would creep into "normal", one week at a time -- it only *adds* hours under
conditions the current model has not seen (the first frost, a heat wave), on days
it does not find abnormal, up to ``guard_days`` ago. A device with a recent finding
is not retrained at all (see :class:`RetrainPolicy`). And a refit replaces the current
model only if it explains the ``guard_days`` it has not seen about as well
(:func:`fits_as_well`): a few extreme hours can bend a whole normal out of shape.

What technicians found feeds back (:mod:`detect.labels`): a confirmed fault's hours
are never learnt, and a visit that found nothing wrong re-baselines the device on its
recent history, so the misfit that raised the alarm becomes its normal.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from detect.after_defrost import LEARN_DAYS, fit_reference
from detect.errors import ModelError
from detect.frame import DAY_MS, Frame, concat, daily_means
from detect.labels import Label, fault_spans, sound_since
from detect.normal import FleetPrior, NormalModel, fit_normal


@dataclass(frozen=True)
class RetrainPolicy:
    train_days: float = 120.0
    guard_days: float = 7.0
    min_days: float = 21.0
    max_z: float = 4.0
    quiet_days: float = 14.0  # no retrain within this long after a model finding
    prior_days: float = 2.0  # a new device gets a provisional model from the fleet prior
    #: a refit is kept only if its mean daily misfit on the ``guard_days`` it did not see is
    #: at most this many usual daily wobbles worse than the current model's
    worse_by: float = 0.5


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
    # a bad day's verdict comes from the hours the model could judge; the hours it could
    # not (a colder spell than it was trained on) are the new season, kept all the same
    keep = ~bad_day[index] | model.novel(frame)
    return Frame(frame.device_id, frame.times_ms[keep],
                 {k: v[keep] for k, v in frame.columns.items()})


def retrain(hourly: Frame, now_ms: int, current: NormalModel | None, prior: FleetPrior | None,
            policy: RetrainPolicy = RetrainPolicy(),
            last_finding_ms: int | None = None,
            labels: Sequence[Label] = ()) -> NormalModel | None:
    """A new model for ``hourly.device_id`` at ``now_ms``, or None when it should keep its own.

    None when: too little history, a recent finding, nothing new to learn, or a fit
    that fails. ``labels`` are what technicians found on this device
    (:mod:`detect.labels`): hours of a confirmed fault are never learnt, and a visit
    that found it sound since the baseline re-baselines it on its recent history.

    The clean-coil reference (:mod:`detect.after_defrost`) is learnt once, from the first
    defrosts after the baseline's history begins, and kept by every later model; a
    re-baselined device learns it again from its recent defrosts. A model that only
    gains its reference is a new version of the current one.
    """
    hourly = _outside(hourly, fault_spans(labels))
    if len(hourly) == 0:
        return None
    model = _refit(hourly, now_ms, current, prior, policy, last_finding_ms, labels)
    base = model or current
    if base is None or base.baseline_ms == 0:
        return model
    kept = current.defrost if current is not None and base.baseline_ms == current.baseline_ms \
        else None
    ref = kept or fit_reference(hourly, now_ms, base.baseline_ms - LEARN_DAYS * DAY_MS)
    if model is None:
        return None if ref is kept else replace(base, version=base.version + 1, defrost=ref)
    return replace(model, defrost=ref)


def _refit(hourly: Frame, now_ms: int, current: NormalModel | None, prior: FleetPrior | None,
           policy: RetrainPolicy, last_finding_ms: int | None,
           labels: Sequence[Label]) -> NormalModel | None:
    """:func:`retrain`'s normal: a new fit, or None to keep the current one."""
    # found sound since its baseline: what it does now is its normal, the flagged days
    # included, so it gets a new baseline as a new device does (a finding does not wait)
    sound = (current is not None and current.baseline_ms > 0
             and sound_since(labels, current.baseline_ms) is not None)
    if (not sound and last_finding_ms is not None
            and now_ms - last_finding_ms < policy.quiet_days * DAY_MS):
        return None
    history_days = (now_ms - int(hourly.times_ms[0])) / DAY_MS
    if current is None or current.baseline_ms == 0 or sound:
        version = 1 if current is None else current.version + 1
        data = hourly.between(int(now_ms - policy.train_days * DAY_MS), now_ms)
        try:
            if history_days >= policy.min_days:
                return replace(fit_normal(data, now_ms, prior, version), baseline_ms=now_ms)
            if prior is not None and prior.devices >= 5 and history_days >= policy.prior_days:
                # provisional: mostly the fleet's normal, until the device has a baseline
                return fit_normal(data, now_ms, prior, version)
        except ModelError:
            pass
        return None
    stop = int(now_ms - policy.guard_days * DAY_MS)
    baseline = hourly.between(int(current.baseline_ms - policy.train_days * DAY_MS),
                              current.baseline_ms)
    later = healthy_rows(hourly.between(current.baseline_ms, stop), current, policy.max_z)
    new = _rows(later, current.novel(later)) if len(later) else later
    if len(new) == 0:
        return None
    data = concat(baseline, new)
    try:
        model = fit_normal(data, stop, prior, current.version + 1)
    except ModelError:
        return None
    # the day-to-day wobble was measured on the baseline; later hours may hold a fault
    model = replace(model, baseline_ms=current.baseline_ms, day_sd=current.day_sd,
                    precision=current.precision)
    return model if fits_as_well(model, current, hourly.between(stop, now_ms),
                                 policy.worse_by) else None


def _outside(frame: Frame, spans: Sequence[tuple[int, int]]) -> Frame:
    """``frame`` without its rows inside any ``[start, end]`` span."""
    if not spans or len(frame) == 0:
        return frame
    keep = np.ones(len(frame), dtype=bool)
    for start, end in spans:
        keep &= ~((frame.times_ms >= start) & (frame.times_ms <= end))
    return _rows(frame, keep)


def misfit(z: np.ndarray, times_ms: np.ndarray, day_sd: np.ndarray) -> float:
    """Mean |daily mean| of residuals ``z`` (rows at ``times_ms``), in usual daily wobbles
    (0 when no day has one)."""
    days = max(1, int((int(times_ms[-1]) - int(times_ms[0])) // DAY_MS) + 1)
    daily = daily_means(times_ms, z, int(times_ms[-1]) + 1, days) / day_sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(np.nanmean(np.abs(daily)))
    return value if np.isfinite(value) else 0.0


def fits_as_well(new: NormalModel, current: NormalModel, recent: Frame, worse_by: float) -> bool:
    """Whether ``new`` explains the recent days it was not trained on about as well as
    ``current`` (champion and challenger): a refit that learnt a few extreme hours badly
    bends the whole normal, and must not replace a model that still works.

    Compared on the hours both can judge; True when there are none.
    """
    if len(recent) == 0:
        return True
    z_new, z_current = new.residuals(recent), current.residuals(recent)
    either_blind = np.isnan(z_new).all(axis=1) | np.isnan(z_current).all(axis=1)
    if either_blind.all():
        return True
    z_new[either_blind] = np.nan
    z_current[either_blind] = np.nan
    return (misfit(z_new, recent.times_ms, new.day_sd)
            <= misfit(z_current, recent.times_ms, current.day_sd) + worse_by)


def _rows(frame: Frame, keep: np.ndarray) -> Frame:
    return Frame(frame.device_id, frame.times_ms[keep],
                 {k: v[keep] for k, v in frame.columns.items()})


def fleet_prior(models: Iterable[NormalModel]) -> FleetPrior:
    return FleetPrior.from_models(list(models))
