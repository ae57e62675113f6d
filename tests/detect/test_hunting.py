"""The hunting detector and the within-hour scatter it reads."""

from __future__ import annotations

import numpy as np
import pytest

from detect.detector import DeviceWindow
from detect.diagnosis import diagnose
from detect.frame import DAY_MS, HOUR_MS, SCATTER_AGGREGATES, Frame, downsample, with_scatter
from detect.hunting import Hunting

from .conftest import DeviceHistory, window_at


def scatter_window(values: np.ndarray, days: int = 10) -> DeviceWindow:
    t = np.arange(0, days * DAY_MS, HOUR_MS)
    return DeviceWindow("hp-1", days * DAY_MS, Frame.empty("hp-1"),
                        Frame("hp-1", t, {"superheat_scatter": values}))


def hourly_scatter(raw: Frame) -> np.ndarray:
    means = downsample(raw, HOUR_MS, ["superheat"])
    reads = {a: downsample(raw, HOUR_MS, ["superheat"], a) for a in SCATTER_AGGREGATES}
    return with_scatter(means, reads, ["superheat"])["superheat_scatter"]


@pytest.mark.parametrize("per_hour", [4, 6, 60])
def test_the_scatter_estimates_the_spread_whatever_the_reading_rate(per_hour: int) -> None:
    """A range grows with the number of values in it; the d2-scaled range does not."""
    rng = np.random.default_rng(per_hour)
    n = 24 * 20 * per_hour
    t = np.arange(n, dtype=np.int64) * (HOUR_MS // per_hour)
    raw = Frame("hp-1", t, {"superheat": 5.0 + 0.5 * rng.standard_normal(n),
                            "compressor_hz": np.full(n, 40.0), "defrost": np.zeros(n)})
    assert np.median(hourly_scatter(raw)) == pytest.approx(0.5, rel=0.1)


def test_stopped_and_defrosting_readings_do_not_count() -> None:
    t = np.arange(6, dtype=np.int64) * 600_000
    raw = Frame("hp-1", t, {"superheat": np.array([5.0, 5.2, 30.0, 4.9, -8.0, 5.1]),
                            "compressor_hz": np.array([40.0, 40, 0, 40, 40, 40]),
                            "defrost": np.array([0.0, 0, 0, 0, 1, 0])})
    scatter = hourly_scatter(raw)
    assert scatter[0] == pytest.approx(0.3 / 2.059, rel=1e-3)  # 4 running values, range 0.3


def test_an_hour_with_one_running_reading_has_no_scatter() -> None:
    t = np.array([0, 600_000], dtype=np.int64)
    raw = Frame("hp-1", t, {"superheat": np.array([5.0, 9.0]),
                            "compressor_hz": np.array([40.0, 0.0]), "defrost": np.zeros(2)})
    assert np.isnan(hourly_scatter(raw)).all()


def test_a_steady_device_scores_one_however_noisy_its_sensor() -> None:
    for level in (0.2, 1.0, 3.0):
        (score,) = Hunting().score(scatter_window(np.full(240, level)))
        assert score.value == pytest.approx(1.0)


def test_two_days_of_hunting_score_their_rise_over_the_usual_scatter() -> None:
    values = np.full(240, 0.3)
    values[-48:] = 1.2
    (score,) = Hunting().score(scatter_window(values))
    assert score.value == pytest.approx(4.0)
    assert score.value >= Hunting().threshold
    assert score.details == {"signal": "superheat", "scatter": 1.2, "usual": 0.3}
    evidence = score.resolved_evidence()
    assert evidence is not None and evidence.signals == ("superheat_scatter",)


def test_a_rise_already_under_way_does_not_raise_its_own_yardstick() -> None:
    """The usual level is a low quantile of the earlier days, not their mean."""
    values = np.repeat(np.array([0.3] * 8 + [0.5, 0.8, 1.2, 1.2]), 24)
    (score,) = Hunting().score(scatter_window(values, days=12))
    assert score.value == pytest.approx(4.0)


def test_a_few_odd_hours_are_not_hunting() -> None:
    """A start or a weather front scatters some hours; a hunting valve scatters nearly all."""
    values = np.full(240, 0.3)
    values[-48::4] = 3.0  # every fourth hour of the last two days
    (score,) = Hunting().score(scatter_window(values))
    assert score.value == pytest.approx(1.0)


def test_too_little_history_gives_no_score() -> None:
    assert Hunting().score(scatter_window(np.full(8 * 24, 0.3), days=8)) == []  # 6 days before
    values = np.full(240, 0.3)
    values[-48:-12] = np.nan  # 12 hours of scatter in the last two days are enough...
    assert Hunting().score(scatter_window(values))
    values[-48:-11] = np.nan  # ...11 are not
    assert Hunting().score(scatter_window(values)) == []


def test_hunting_is_diagnosed_as_a_sticking_expansion_valve_needing_a_visit() -> None:
    diag = diagnose("superheat_hunting", {}, {"signal": "superheat"})
    assert (diag.fault, diag.remedy) == ("expansion_valve", "visit")


def test_a_sticking_valve_is_found_hunting_before_it_fails_and_a_healthy_twin_is_not(
        by_fault: dict[str, DeviceHistory]) -> None:
    valve, healthy = by_fault["expansion_valve"], by_fault["none"]
    hunting = Hunting()

    def top(history: DeviceHistory, first: float, last: float) -> float:
        return max((s.value for d in np.arange(first, last, 0.25)
                    for s in hunting.score(window_at(history, float(d)))), default=0.0)

    assert top(valve, 10.0, 20.0) < hunting.threshold  # healthy before the onset
    assert top(valve, 20.0, 38.0) >= hunting.threshold  # it fails on day 40
    assert top(healthy, 10.0, 38.0) < hunting.threshold
