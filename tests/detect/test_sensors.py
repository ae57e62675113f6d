"""Sensor checks: stuck, dropping out and drifting sensors call for a remote check."""

from __future__ import annotations

import numpy as np
import pytest

from detect.detector import DeviceWindow
from detect.diagnosis import diagnose
from detect.frame import HOUR_MS, Frame
from detect.normal import CHANNELS
from detect.sensors import SensorDrift, SensorDropout, StuckSensor, _trends

NOW = 1_800_000_000_000


def test_a_sensor_repeating_one_value_while_the_unit_runs_is_stuck() -> None:
    times = NOW - np.arange(12, 0, -1) * HOUR_MS
    hz = np.linspace(20, 60, 12)
    frame = Frame("hp", times, {"compressor_hz": hz, "supply_temp": np.full(12, 41.3),
                                "return_temp": np.linspace(30, 35, 12)})
    [score] = StuckSensor().score(DeviceWindow("hp", NOW, Frame.empty("hp"), frame))
    assert score.value >= StuckSensor().threshold
    assert score.details["sensor"] == "supply_temp"


def test_readings_missing_one_signal_are_a_dropout() -> None:
    n = 30
    flow = np.full(n, 20.0)
    flow[[3, 9, 17]] = np.nan
    recent = Frame("hp", np.arange(n) * 60_000, {"flow_lpm": flow, "supply_temp": np.ones(n)})
    [score] = SensorDropout().score(DeviceWindow("hp", NOW, recent, Frame.empty("hp")))
    assert score.value == 3 / 30 and score.value >= SensorDropout().threshold


def test_sensor_faults_are_diagnosed_as_remote_checks() -> None:
    for detector in ("sensor_stuck", "sensor_dropout", "sensor_drift"):
        diag = diagnose(detector, {}, {"sensor": "supply_temp"})
        assert diag.remedy == "remote_check"
        assert diag.sensor == "supply_temp"


def test_the_stuck_sensor_device_is_caught_and_the_healthy_one_is_not(by_fault, make_window):  # type: ignore[no-untyped-def]
    stuck = StuckSensor().score(make_window(by_fault["sensor_stuck"], 30))
    assert stuck and stuck[0].value >= StuckSensor().threshold
    assert StuckSensor().score(make_window(by_fault["none"], 30)) == []


def test_a_drifting_sensor_trends_against_the_other_signals(by_fault, make_window):  # type: ignore[no-untyped-def]
    """Weeks into a drift, the drifting sensor's consistency residual trends steadily."""
    scores = SensorDrift().score(make_window(by_fault["sensor_drift"], 37))
    healthy = SensorDrift().score(make_window(by_fault["none"], 37))
    assert scores and scores[0].value > max([s.value for s in healthy], default=0.0)
    # every score carries each sensor's trend (the engine asks it about a vote's sensor)
    [drift] = scores
    total, r2 = drift.details["trends"][drift.details["sensor"]]
    assert abs(total) == pytest.approx(drift.value, abs=1e-3) and r2 >= SensorDrift().min_r2
    for score in (drift, *healthy):
        assert set(score.details["trends"]) == {
            c.split(":", 1)[1] for c in CHANNELS if c.startswith("sensor:")}


def test_a_trend_that_follows_the_weather_is_not_a_drift() -> None:
    """Spring warms day by day, and a consistency misfit that follows the outdoor
    temperature trends with it; a drifting sensor trends whatever the weather does."""
    rng = np.random.default_rng(3)
    day = np.arange(14.0)
    outdoor = -5.0 + 0.6 * day + rng.normal(0.0, 1.2, 14)  # warming, with weather systems
    misfit = 0.8 * outdoor + rng.normal(0.0, 0.3, 14)
    drift = 0.5 * day + rng.normal(0.0, 0.3, 14)
    y = np.column_stack([misfit, drift])
    slope, r2, n = _trends(y, np.column_stack([outdoor, outdoor]))
    assert np.corrcoef(day, misfit)[0, 1] ** 2 > 0.6  # on the calendar alone it is one
    assert r2[0] < 0.3 and abs(slope[0]) < 0.1
    assert r2[1] > 0.9 and slope[1] == pytest.approx(0.5, abs=0.05)
    assert n.tolist() == [14, 14]
