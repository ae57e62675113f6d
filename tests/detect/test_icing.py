"""The evaporator just after a defrost: post-defrost readings, the clean-coil reference, and
the icing detector that compares a unit with it and with its region."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from detect.after_defrost import (
    CHANNEL,
    COUNT,
    LEARN_DAYS,
    MARGIN_K,
    NO_REFERENCE,
    SUFFIX,
    DefrostReference,
    after_defrost_hourly,
    after_defrost_z,
    attach,
    fit_reference,
    from_raw,
)
from detect.detector import DeviceWindow, Score
from detect.diagnosis import diagnose
from detect.engine import Engine
from detect.frame import DAY_MS, HOUR_MS, Frame
from detect.icing import Icing
from ingest.reading import after_defrost_rows

MINUTE = 60_000
COEF = np.array([1.0, 0.03, -0.004])  # log bar at 0 °C and 0 Hz; per °C; per Hz
SD = 0.01


def test_the_first_running_reading_after_a_defrost_is_the_one_kept() -> None:
    hz = np.array([40.0, 40.0, 40.0, 0.0, 41.0, 42.0, 40.0, 0.0, 2.0, 40.0])
    defrost = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    # row 0 has no reading before it; row 7 is idle after a defrost, so row 8 is not "after"
    assert after_defrost_rows(hz, defrost).tolist() == [
        False, True, False, False, True, False, False, False, False, False]
    assert after_defrost_rows(np.array([]), np.array([])).tolist() == []


def test_post_defrost_readings_become_hourly_means_and_counts() -> None:
    times = np.arange(0, 3 * HOUR_MS, 10 * MINUTE, dtype=np.int64)
    n = len(times)
    defrost = np.zeros(n)
    defrost[[1, 3, 13]] = 1.0  # two defrosts end in hour 0, one in hour 2
    raw = Frame("hp-1", times, {"compressor_hz": np.full(n, 40.0), "defrost": defrost,
                                "low_pressure": np.arange(n, dtype=float),
                                "outdoor_temp": np.full(n, -2.0)})
    rows = from_raw(raw)
    assert rows.times_ms.tolist() == [2 * 10 * MINUTE, 4 * 10 * MINUTE, 14 * 10 * MINUTE]
    hourly = after_defrost_hourly(rows)
    assert hourly.times_ms.tolist() == [0, 2 * HOUR_MS]
    assert hourly["low_pressure" + SUFFIX].tolist() == [3.0, 14.0]
    assert hourly[COUNT].tolist() == [2.0, 1.0]
    means = Frame("hp-1", np.array([0, HOUR_MS, 2 * HOUR_MS]), {"x": np.ones(3)})
    joined = attach(means, hourly)
    assert joined["x"].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(joined["low_pressure" + SUFFIX][1])
    assert joined[COUNT][2] == 1.0


def defrost_hours(days: float, every_h: int = 3, ice: float = 0.0, ice_from_day: float = 1e9,
                  seed: int = 1, start_ms: int = 0) -> Frame:
    """Hourly rows of a unit defrosting every ``every_h`` hours: its post-defrost low
    pressure is its clean-coil pressure, ``ice`` scatters lower from ``ice_from_day``."""
    rng = np.random.default_rng(seed)
    times = np.arange(start_ms, start_ms + int(days * DAY_MS), every_h * HOUR_MS, dtype=np.int64)
    outdoor = rng.uniform(-8.0, 4.0, len(times))
    hz = rng.uniform(30.0, 70.0, len(times))
    log_low = COEF[0] + COEF[1] * outdoor + COEF[2] * hz + rng.normal(0, SD, len(times))
    log_low -= np.where(times >= start_ms + ice_from_day * DAY_MS, ice * SD, 0.0)
    return Frame("hp-1", times, {"low_pressure" + SUFFIX: np.exp(log_low),
                                 "outdoor_temp" + SUFFIX: outdoor,
                                 "compressor_hz" + SUFFIX: hz, COUNT: np.ones(len(times))})


def test_the_reference_is_learnt_from_the_first_days_of_defrosts() -> None:
    hours = defrost_hours(40)
    assert fit_reference(hours, (LEARN_DAYS - 1) * DAY_MS, 0) is None  # not over yet
    ref = fit_reference(hours, 30 * DAY_MS, 0)
    assert ref is not None and (ref.start_ms, ref.stop_ms) == (0, LEARN_DAYS * DAY_MS)
    assert ref.coef == pytest.approx(COEF, abs=0.003)
    assert ref.sd == pytest.approx(SD, rel=0.2)
    later = fit_reference(hours, 40 * DAY_MS, 15 * DAY_MS)  # a re-baselined device
    assert later is not None and later.start_ms >= 15 * DAY_MS
    assert fit_reference(defrost_hours(40, every_h=48), 40 * DAY_MS, 0) is None  # 10 hours
    z = after_defrost_z(defrost_hours(40, ice=12, ice_from_day=30), ref)
    assert abs(np.mean(z[:100])) < 0.5 and np.mean(z[-30:]) < -10


def test_a_reference_survives_its_array_form() -> None:
    ref = fit_reference(defrost_hours(30, start_ms=1_700_000_000_000),
                        1_700_000_000_000 + 30 * DAY_MS, 0)
    assert ref is not None
    back = DefrostReference.from_array(ref.as_array())
    assert back is not None and back.coef.tolist() == ref.coef.tolist()
    assert (back.sd, back.start_ms, back.stop_ms, back.outdoor) == (
        ref.sd, ref.start_ms, ref.stop_ms, ref.outdoor)
    assert back.xtx_inv.tolist() == ref.xtx_inv.tolist()
    assert DefrostReference.from_array(NO_REFERENCE) is None


def test_far_from_what_was_learnt_the_reference_is_less_sure_or_silent() -> None:
    """A line learnt on a few mild weeks: its prediction is less certain away from them, and
    a cold snap far colder than anything learnt on is not judged at all."""
    ref = fit_reference(defrost_hours(30), 30 * DAY_MS, 0)
    assert ref is not None and ref.outdoor[0] == pytest.approx(-8.0, abs=0.2)
    hz = np.array([50.0, 50.0, 50.0])
    near, far, cold = ref.scale(np.array([-2.0, -12.0, -30.0]), hz)
    assert ref.sd < near < far < cold
    assert ref.judged(np.array([-2.0, ref.outdoor[0] - MARGIN_K + 0.1,
                                ref.outdoor[0] - MARGIN_K - 0.1])).tolist() == [
        True, True, False]
    hours = defrost_hours(30)
    snap = Frame("hp-1", hours.times_ms,
                 dict(hours.columns) | {"outdoor_temp" + SUFFIX: np.full(len(hours), -25.0)})
    assert np.isnan(after_defrost_z(snap, ref)).all()


class _Model:
    """Just what the icing detector reads of a device model."""

    version = 1

    def __init__(self, ref: DefrostReference | None) -> None:
        self.defrost = ref


def icing_window(hours: Frame, now_ms: int, region: float = 0.0,
                 ref: DefrostReference | None = None, cohort: bool = True) -> DeviceWindow:
    ref = ref or fit_reference(defrost_hours(LEARN_DAYS + 1), (LEARN_DAYS + 1) * DAY_MS, 0)
    times = np.arange(0, now_ms, HOUR_MS, dtype=np.int64)
    cohort_frame = Frame("cohort", times, {CHANNEL: np.full(len(times), region)}) \
        if cohort else Frame.empty("cohort")
    return DeviceWindow("hp-1", now_ms, Frame.empty("hp-1"),
                        hours.between(now_ms - 14 * DAY_MS, now_ms), model=_Model(ref),  # type: ignore[arg-type]
                        cohort=cohort_frame)


def test_ice_left_after_each_defrost_scores_over_the_threshold() -> None:
    now = 40 * DAY_MS
    clean = Icing().score(icing_window(defrost_hours(40), now))
    iced = Icing().score(icing_window(defrost_hours(40, ice=12, ice_from_day=35), now))
    assert clean[0].value < 2.0
    assert iced[0].value >= Icing().threshold
    assert iced[0].details["after_defrost"] < -Icing().threshold
    evidence = iced[0].resolved_evidence()
    assert evidence is not None and evidence.signals == ("low_pressure",)
    observed, expected = evidence.observed["low_pressure"], evidence.expected["low_pressure"]
    assert len(observed) == len(expected) > 0
    assert observed[-1] is not None and expected[-1] is not None
    assert observed[-1] < expected[-1]  # less pressure than its clean coil


def test_what_the_whole_region_shows_is_not_icing() -> None:
    """A cold, humid spell (or a reference extrapolated into it) lowers every unit nearby."""
    now = 40 * DAY_MS
    hours = defrost_hours(40, ice=12, ice_from_day=35)
    assert Icing().score(icing_window(hours, now, region=-12.0))[0].value < 2.0


def test_no_reference_or_no_region_means_no_score() -> None:
    now = 40 * DAY_MS
    hours = defrost_hours(40, ice=12, ice_from_day=35)
    window = icing_window(hours, now)
    assert Icing().score(replace(window, model=None)) == []
    assert Icing().score(replace(window, model=_Model(None))) == []  # type: ignore[arg-type]
    assert Icing().score(icing_window(hours, now, cohort=False)) == []
    # hours before the last days do not count: a unit that stopped defrosting has no level
    assert Icing().score(icing_window(hours.between(0, 30 * DAY_MS), now)) == []


def test_icing_is_a_defrost_malfunction_for_a_visit(by_fault) -> None:  # type: ignore[no-untyped-def]
    diag = diagnose("defrost_icing", {}, {})
    assert diag.fault == "defrost_malfunction" and diag.remedy == "visit"
    assert "defrost_icing" in Engine().thresholds  # a default detector
    engine = Engine(detectors=[Icing()])
    now = 40 * DAY_MS
    window = icing_window(defrost_hours(40, ice=12, ice_from_day=35), now)
    model = replace(by_fault["none"].model(), defrost=window.model.defrost)  # type: ignore[union-attr]
    window = replace(window, model=model)
    assert engine.run(window, "model") == []  # two runs in a row, as every model detector
    later = replace(window, now_ms=now + HOUR_MS, cache={})
    findings = [f for f in engine.run(later, "model") if f.detector == "defrost_icing"]
    assert len(findings) == 1 and findings[0].diagnosis.fault == "defrost_malfunction"


def test_a_signature_of_another_machine_fault_names_that_fault() -> None:
    """A leak or a weak fan also lowers the pressure after a defrost; the signature says which."""
    score = Score("defrost_icing", "hp-1", 0, 12.0, ("low_pressure",))
    engine = Engine()
    leak = {"sensor:high_pressure": -4.0, "heat_output_per_hz": -3.0,
            "sensor:suction_temp": 2.5, "superheat": 2.0, "low_pressure": -1.5}
    fan = {"fan_rpm": -6.0, "low_pressure": -1.5, "suction_temp": -1.5}
    assert engine.diagnosis(score, leak).fault == "refrigerant_leak"
    assert engine.diagnosis(score, fan).fault == "fan_degradation"
    assert engine.diagnosis(score, None).fault == "defrost_malfunction"
    assert engine.diagnosis(score, {}).fault == "defrost_malfunction"
    ice = {"suction_temp": -3.0, "sensor:outdoor_temp": 2.5, "low_pressure": -2.5}
    assert engine.diagnosis(score, ice).fault == "defrost_malfunction"


def test_a_stuck_sensor_is_not_icing() -> None:
    now = 40 * DAY_MS
    hours = defrost_hours(40, ice=12, ice_from_day=35)
    for name in ("low_pressure" + SUFFIX, "outdoor_temp" + SUFFIX):
        stuck = hours[name].copy()
        stuck[hours.times_ms >= 36 * DAY_MS] = stuck[hours.times_ms >= 36 * DAY_MS][0]
        columns = dict(hours.columns) | {name: stuck}
        frame = Frame("hp-1", hours.times_ms, columns)
        assert Icing().score(icing_window(frame, now)) == []
