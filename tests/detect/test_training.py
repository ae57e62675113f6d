"""Retraining: a new season is learnt, a developing fault is not."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from detect.after_defrost import LEARN_DAYS, attach
from detect.drift import ResidualEwma
from detect.frame import DAY_MS, Frame
from detect.labels import Label
from detect.normal import FleetPrior, fit_normal
from detect.training import fits_as_well, healthy_rows, misfit, retrain


def test_retraining_needs_enough_history(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    now = h.start_ms + 5 * DAY_MS
    assert retrain(h.hourly.between(h.start_ms, now), now, None, None) is None


def test_the_first_model_is_the_baseline_and_retrains_keep_it(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    day21 = h.start_ms + 21 * DAY_MS
    first = retrain(h.hourly.between(h.start_ms, day21), day21, None, None)
    assert first is not None and first.version == 1 and first.baseline_ms == day21
    later = h.start_ms + 38 * DAY_MS
    new = retrain(h.hourly.between(h.start_ms, later), later, first, None)
    assert new is None or (new.version == 2 and new.baseline_ms == day21)


def test_a_developing_fault_is_never_learnt_as_normal(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """Weekly retrains during compressor wear leave the alarm as loud as the baseline's."""
    h = by_fault["compressor_wear"]
    day21 = h.start_ms + 21 * DAY_MS
    model = retrain(h.hourly.between(h.start_ms, day21), day21, None, None)
    first = model
    for day in (28, 35):
        now = h.start_ms + day * DAY_MS
        model = retrain(h.hourly.between(h.start_ms, now), now, model, None) or model
    window = make_window(h, 37)
    loud = ResidualEwma().score(replace(window, model=first, cache={}))[0].value
    after = ResidualEwma().score(replace(window, model=model, cache={}))[0].value
    assert after >= 0.8 * loud


def test_no_retrain_right_after_a_finding(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    now = h.start_ms + 30 * DAY_MS
    assert retrain(h.hourly, now, h.model(20), None, last_finding_ms=now - DAY_MS) is None


def test_days_of_a_developing_fault_are_left_out_of_training(by_fault) -> None:  # type: ignore[no-untyped-def]
    """The current model flags the low-flow days; the healthy device keeps nearly all days."""
    faulty, healthy = by_fault["low_flow"], by_fault["none"]
    start, stop = faulty.start_ms + 20 * DAY_MS, faulty.start_ms + 36 * DAY_MS
    kept_faulty = healthy_rows(faulty.hourly.between(start, stop), faulty.model(20), 4.0)
    kept_healthy = healthy_rows(healthy.hourly.between(start, stop), healthy.model(20), 4.0)
    assert len(kept_faulty) < 0.8 * len(faulty.hourly.between(start, stop))
    assert len(kept_healthy) > 0.8 * len(healthy.hourly.between(start, stop))


def test_a_new_device_gets_a_provisional_model_from_the_fleet_prior(histories) -> None:  # type: ignore[no-untyped-def]
    """Two days of history: no baseline yet, but a model leaning on the fleet's normal;
    without a fleet prior it waits."""
    hs = list(histories.values())
    prior = FleetPrior.from_models([h.model(20) for h in hs[1:7]])
    new = hs[-1]
    day3 = new.start_ms + 3 * DAY_MS
    model = retrain(new.hourly.between(new.start_ms, day3), day3, None, prior)
    assert model is not None and model.baseline_ms == 0
    assert retrain(new.hourly.between(new.start_ms, day3), day3, None, None) is None
    day22 = new.start_ms + 22 * DAY_MS
    grown = retrain(new.hourly.between(new.start_ms, day22), day22, model, prior)
    assert grown is not None and grown.baseline_ms == day22 and grown.version == 2


def test_a_refit_that_explains_recent_days_worse_is_not_adopted(by_fault) -> None:  # type: ignore[no-untyped-def]
    """Champion and challenger: a bent normal never replaces one that still works."""
    h = by_fault["none"]
    current = h.model(20)
    recent = h.hourly.between(h.start_ms + 28 * DAY_MS, h.start_ms + 35 * DAY_MS)
    assert fits_as_well(current, current, recent, worse_by=1.0)
    bent = replace(current, health_coef=current.health_coef * 1.5 + 0.3)
    assert misfit(bent.residuals(recent), recent.times_ms, bent.day_sd) > misfit(
        current.residuals(recent), recent.times_ms, current.day_sd) + 1.0
    assert not fits_as_well(bent, current, recent, worse_by=1.0)
    assert fits_as_well(bent, current, recent.between(0, 1), worse_by=1.0)  # nothing to judge


def test_hours_with_the_backup_heater_on_are_not_learnt(by_fault) -> None:  # type: ignore[no-untyped-def]
    """Its power and heat are not the pump's: a model never fits them."""
    h = by_fault["none"]
    now = h.start_ms + 21 * DAY_MS
    hourly = h.hourly.between(h.start_ms, now)
    plain = fit_normal(hourly, now)
    on = np.zeros(len(hourly), bool)
    on[::3] = True
    heated = Frame(hourly.device_id, hourly.times_ms,
                   hourly.columns | {"backup_heater_w": np.where(on, 3000.0, 0.0),
                                     "power_w": hourly["power_w"] + np.where(on, 3000.0, 0.0)})
    model = fit_normal(heated, now)
    assert model.rows < plain.rows
    unheated = Frame(hourly.device_id, hourly.times_ms[~on],
                     {k: v[~on] for k, v in heated.columns.items()})
    assert np.allclose(model.x_mu, fit_normal(unheated, now).x_mu)


def test_hours_the_model_cannot_judge_are_kept_even_on_a_day_it_finds_abnormal(by_fault) -> None:  # type: ignore[no-untyped-def]
    """A cold spell beyond the training range is the new season: its hours stay in training
    even when the judged hours of the same day look abnormal (else winter is never learnt,
    and the misfit of an autumn model raises false alarms all winter)."""
    faulty = by_fault["low_flow"]
    start, stop = faulty.start_ms + 30 * DAY_MS, faulty.start_ms + 36 * DAY_MS
    model = faulty.model(20)
    frame = faulty.hourly.between(start, stop)
    cold = frame.columns["outdoor_temp"] - 30.0  # far colder than anything it was trained on
    shifted = Frame(frame.device_id, frame.times_ms, {**frame.columns, "outdoor_temp": cold})
    mixed = Frame(frame.device_id, frame.times_ms,
                  {**frame.columns,
                   "outdoor_temp": np.where(np.arange(len(frame)) % 2 == 0, cold,
                                            frame.columns["outdoor_temp"])})
    assert model.novel(shifted).all()
    assert len(healthy_rows(frame, model, 4.0)) < 0.8 * len(frame)  # the fault's days go
    kept = healthy_rows(mixed, model, 4.0)
    novel = model.novel(mixed)
    assert set(mixed.times_ms[novel]) <= set(kept.times_ms)  # the cold hours all stay
    assert len(kept) < len(mixed)  # the judged hours of bad days still go


def _ewma(model, window) -> float:  # type: ignore[no-untyped-def]
    return float(ResidualEwma().score(replace(window, model=model, cache={}))[0].value)


def test_a_visit_that_found_nothing_rebaselines_the_device(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """The technician found the machine sound: what it does now is its normal, so the next
    retrain learns the flagged days instead of raising the same alarm again."""
    h = by_fault["compressor_wear"]  # here: a unit whose model misreads it, as far as we know
    day21, day36 = h.start_ms + 21 * DAY_MS, h.start_ms + 36 * DAY_MS
    first = retrain(h.hourly.between(h.start_ms, day21), day21, None, None)
    assert first is not None
    hourly = h.hourly.between(h.start_ms, day36)
    sound = Label(h.device_id, "machine", "no_fault", h.start_ms + 30 * DAY_MS, day36 - DAY_MS)
    model = retrain(hourly, day36, first, None, labels=[sound])
    assert model is not None and model.baseline_ms == day36 and model.version == first.version + 1
    window = make_window(h, 37)
    assert _ewma(model, window) < 0.5 * _ewma(first, window)
    # without the label, or with one that says nothing about the machine, it stays loud
    for labels in ([], [replace(sound, problem="connectivity")], [replace(sound, label="cleared")]):
        plain = retrain(hourly, day36, first, None, labels=labels) or first
        assert plain.baseline_ms == day21 and _ewma(plain, window) >= 0.8 * _ewma(first, window)


def test_the_hours_of_a_confirmed_fault_are_never_learnt(by_fault, make_window) -> None:  # type: ignore[no-untyped-def]
    """A first baseline fitted after a repair leaves out the days the fault was there."""
    h = by_fault["low_flow"]
    day36 = h.start_ms + 36 * DAY_MS
    hourly = h.hourly.between(h.start_ms, day36)
    fixed = Label(h.device_id, "machine", "fault", h.start_ms + 20 * DAY_MS, day36)
    clean = retrain(hourly, day36, None, None, labels=[fixed])
    blind = retrain(hourly, day36, None, None)
    assert clean is not None and blind is not None and clean.rows < blind.rows
    window = make_window(h, 35)
    assert _ewma(clean, window) > 2 * _ewma(blind, window)


def _with_defrosts(h, ice_from_day: float = 1e9):  # type: ignore[no-untyped-def]
    """``h``'s hourly rows with a post-defrost reading every third hour (synthetic: a clean
    coil, iced from ``ice_from_day``)."""
    from tests.detect.test_icing import defrost_hours

    days = (int(h.hourly.times_ms[-1]) - h.start_ms) / DAY_MS + 1
    return attach(h.hourly, defrost_hours(days, ice=12, ice_from_day=ice_from_day,
                                          start_ms=h.start_ms))


def test_the_clean_coil_reference_is_learnt_once_and_kept(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    hourly = _with_defrosts(h, ice_from_day=30)
    day21, day36 = h.start_ms + 21 * DAY_MS, h.start_ms + 36 * DAY_MS
    first = retrain(hourly.between(h.start_ms, day21), day21, None, None)
    assert first is not None and first.defrost is not None
    assert h.start_ms + DAY_MS <= first.defrost.start_ms < h.start_ms + 2 * DAY_MS
    assert first.defrost.stop_ms == first.defrost.start_ms + LEARN_DAYS * DAY_MS
    later = retrain(hourly.between(h.start_ms, day36), day36, first, None)
    assert later is None or later.defrost is first.defrost  # the iced days are not learnt
    # a device without a reference yet gets one as a new version of the same normal
    bare = replace(first, defrost=None)
    gained = retrain(hourly.between(h.start_ms, day21), day21, bare, None)
    assert gained is not None and gained.version == first.version + 1
    assert gained.defrost is not None and gained.health_coef is first.health_coef
    # without post-defrost readings (no frost yet) there is none, and nothing changes
    assert retrain(h.hourly.between(h.start_ms, day21), day21, None, None).defrost is None  # type: ignore[union-attr]


def test_a_visit_that_found_nothing_relearns_the_clean_coil(by_fault) -> None:  # type: ignore[no-untyped-def]
    h = by_fault["none"]
    hourly = _with_defrosts(h)
    day21, day36 = h.start_ms + 21 * DAY_MS, h.start_ms + 36 * DAY_MS
    first = retrain(hourly.between(h.start_ms, day21), day21, None, None)
    assert first is not None and first.defrost is not None
    sound = Label(h.device_id, "machine", "no_fault", h.start_ms + 30 * DAY_MS, day36 - DAY_MS)
    model = retrain(hourly.between(h.start_ms, day36), day36, first, None, labels=[sound])
    assert model is not None and model.defrost is not None
    assert model.defrost.start_ms >= day36 - LEARN_DAYS * DAY_MS
