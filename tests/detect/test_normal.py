"""The learned normal: healthy residuals stay small, faults move the right residuals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from detect.errors import ModelError
from detect.frame import DAY_MS, Frame
from detect.normal import CHANNELS, CONDITIONS, HEALTH, FleetPrior, fit_normal


def _mean_z(history, model, day_from: float, day_to: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    start = history.start_ms + int(day_from * DAY_MS)
    z = model.residuals(history.hourly.between(start, history.start_ms + int(day_to * DAY_MS)))
    with warnings.catch_warnings():  # a channel without a scored hour is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(z, axis=0) / model.day_sd
    return dict(zip(CHANNELS, means, strict=True))


def test_a_healthy_device_stays_near_its_normal_on_unseen_days(by_fault) -> None:  # type: ignore[no-untyped-def]
    """A week the model never saw: every residual within a few usual daily wobbles."""
    h = by_fault["none"]
    z = _mean_z(h, h.model(20), 20, 27)
    assert max(abs(v) for v in z.values()) < 4


def test_low_flow_shows_as_a_flow_residual(by_fault) -> None:  # type: ignore[no-untyped-def]
    """Weeks into a clogging filter, flow is far below what the conditions call for."""
    h = by_fault["low_flow"]
    z = _mean_z(h, h.model(20), 30, 34)
    assert z["flow_lpm"] < -5


def test_compressor_wear_shows_as_vibration(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["compressor_wear"]
    z = _mean_z(h, h.model(20), 32, 36)
    assert z["vibration_per_hz"] > 3


def test_conditions_never_seen_are_not_judged(by_fault) -> None:  # type: ignore[no-untyped-def]
    """An hour far outside the training range of the conditions has no residual."""
    h = by_fault["none"]
    model = h.model(20)
    frame = h.hourly.between(h.start_ms + 25 * DAY_MS, h.start_ms + 26 * DAY_MS)
    cold = {k: v.copy() for k, v in frame.columns.items()}
    cold["outdoor_temp"] = cold["outdoor_temp"] - 40.0
    z = model.residuals(Frame(frame.device_id, frame.times_ms, cold))
    assert np.isnan(z).all()


def test_too_little_history_is_refused_with_the_reason(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    with pytest.raises(ModelError, match="running hours"):
        fit_normal(h.hourly.between(h.start_ms, h.start_ms + 6 * 3_600_000), h.start_ms)


def test_the_fleet_prior_is_the_median_of_device_models(histories) -> None:  # type: ignore[no-untyped-def]
    """A prior from three models lies between them; a flat prior is zeros."""
    models = [h.model(15) for h in list(histories.values())[:3]]
    prior = FleetPrior.from_models(models)
    stack = np.stack([m.health_coef for m in models])
    assert np.all(prior.health >= stack.min(axis=0) - 1e-12)
    assert np.all(prior.health <= stack.max(axis=0) + 1e-12)
    assert prior.devices == 3 and not FleetPrior.flat().health.any()


def test_a_new_device_with_a_fleet_prior_predicts_better_than_without(histories) -> None:  # type: ignore[no-untyped-def]
    """Four days of own history: the fleet prior beats plain ridge on the next week."""
    hs = list(histories.values())
    prior = FleetPrior.from_models([h.model(20) for h in hs[1:8]])
    new = hs[-1]
    two_days = new.hourly.between(new.start_ms, new.start_ms + 4 * DAY_MS)
    stop = new.start_ms + 4 * DAY_MS
    week = new.hourly.between(stop, stop + 7 * DAY_MS)

    def error(p: FleetPrior | None) -> float:
        exp, obs = fit_normal(two_days, stop, p).expected(week)
        rel = np.abs(exp - obs) / (np.abs(obs) + 1.0)
        return float(np.nanmean(rel[:, : len(CHANNELS) // 2]))

    assert error(prior) < error(None)


def test_each_health_signal_keeps_the_quadratic_terms_only_where_they_predict_better(by_fault):  # type: ignore[no-untyped-def]
    """Chosen on held-out days: a fan whose speed follows the compressor alone gets a
    straight line in the conditions; a flow that bends with the outdoor temperature
    keeps its curve. (The hours are shuffled, so the held-out days cover the same
    conditions: on a colder late week, the curve is extrapolated and often loses.)"""
    h = by_fault["none"]
    frame = h.hourly.between(h.start_ms, h.start_ms + 20 * DAY_MS)
    rng = np.random.default_rng(3)
    order = rng.permutation(len(frame))
    columns = {name: values[order] for name, values in frame.columns.items()}
    hz, out = columns["compressor_hz"], columns["outdoor_temp"]
    columns["fan_rpm"] = 300.0 + 12.0 * hz + rng.normal(0.0, 2.0, len(frame))
    columns["flow_lpm"] = 20.0 + 0.04 * (out - 5.0) ** 2 + rng.normal(0.0, 0.05, len(frame))
    model = fit_normal(Frame(frame.device_id, frame.times_ms, columns), frame.times_ms[-1] + 1)
    quad = np.abs(model.health_coef[:, len(CONDITIONS):])
    assert not quad[HEALTH.index("fan_rpm")].any()
    assert quad[HEALTH.index("flow_lpm")].max() > 0.05
