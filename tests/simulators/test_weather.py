"""Weather: seasons, days and nights, cold snaps, humidity and forecasts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from simulators.climate import CLIMATES
from simulators.weather import DAY, HOUR, Weather

JAN_1_2026 = 1_767_225_600.0


def _year(seed: int = 1) -> tuple[Weather, np.ndarray, np.ndarray, np.ndarray]:
    w = Weather(list(CLIMATES.values()), JAN_1_2026, seed)
    times = JAN_1_2026 + np.arange(0, 365 * 24) * HOUR
    temps, rhs = zip(*(w.at(t) for t in times), strict=True)
    return w, times, np.array(temps), np.array(rhs)


def test_winters_are_colder_than_summers_and_the_north_colder_than_the_south() -> None:
    _, _, temp, _ = _year()
    names = list(CLIMATES)
    january, july = temp[: 31 * 24].mean(axis=0), temp[181 * 24 : 212 * 24].mean(axis=0)
    assert (july - january > 10).all()
    assert january[names.index("lulea")] < january[names.index("stockholm")] < january[
        names.index("malmo")]
    assert -18 < january[names.index("lulea")] < -4
    assert 14 < july[names.index("malmo")] < 21


def test_afternoons_are_warmer_than_nights() -> None:
    _, times, temp, _ = _year()
    hour = ((times / HOUR + 1) % 24).astype(int)
    assert (temp[hour == 15].mean(axis=0) - temp[hour == 4].mean(axis=0) > 2).all()


def test_weather_varies_from_day_to_day_with_cold_snaps() -> None:
    _, _, temp, _ = _year()
    daily = temp.reshape(365, 24, -1).mean(axis=1)
    winter = daily[:60]
    assert (winter.std(axis=0) > 3).all()
    assert (winter.min(axis=0) < winter.mean(axis=0) - 8).all()  # at least one hard cold spell


def test_humidity_is_a_share_and_winters_are_humid() -> None:
    _, _, _, rh = _year()
    assert rh.min() >= 0.25 and rh.max() <= 1.0
    assert (rh[: 31 * 24].mean(axis=0) > rh[181 * 24 : 212 * 24].mean(axis=0)).all()
    assert (rh[: 60 * 24].mean(axis=0) > 0.75).all()


def test_the_same_seed_gives_the_same_weather_and_another_seed_other_weather() -> None:
    a = Weather([CLIMATES["oslo"]], JAN_1_2026, 5)
    b = Weather([CLIMATES["oslo"]], JAN_1_2026, 5)
    c = Weather([CLIMATES["oslo"]], JAN_1_2026, 6)
    t = JAN_1_2026 + 40 * DAY + 1234.0
    assert np.array_equal(a.at(t)[0], b.at(t)[0]) and np.array_equal(a.at(t)[1], b.at(t)[1])
    assert not np.array_equal(a.at(t)[0], c.at(t)[0])


def test_forecasts_follow_the_real_weather_with_an_error_that_grows_with_lead() -> None:
    w = Weather([CLIMATES["stockholm"]], JAN_1_2026, 2)
    errors = []
    for day in range(60):
        issued = JAN_1_2026 + day * DAY
        f = w.forecast(0, issued, hours=120)
        actual = np.array([w.at(t)[0][0] for t in f.times_s])
        errors.append(f.temp - actual)
    err = np.abs(np.array(errors))
    assert err[:, :24].mean() < err[:, 96:].mean()
    assert err[:, :24].mean() < 1.5
    assert err[:, 96:].mean() < 4.0
    again = w.forecast(0, JAN_1_2026 + 3 * DAY, hours=48)
    assert np.array_equal(again.temp, w.forecast(0, JAN_1_2026 + 3 * DAY, hours=48).temp)
    assert again.min_temp(24) <= again.temp[:24].max()


def test_overlapping_cold_snaps_do_not_add_up() -> None:
    """Snaps that overlap are one cold air mass, as deep as the deepest of them; summed,
    two overlapping snaps took simulated Luleå to -54 °C, past Sweden's record (-52.6 °C)."""
    snappy = replace(CLIMATES["oslo"], cold_snaps_per_winter=400.0, anomaly_sd=0.0,
                     daily_amplitude=0.0)
    w = Weather([snappy], JAN_1_2026, 3)
    temp = np.array([w.at(t)[0][0] for t in JAN_1_2026 + np.arange(0, 60 * 24) * HOUR])
    deepest = 1.4 * snappy.cold_snap_depth  # the deepest snap a draw can give
    coldest_season = snappy.annual_mean - snappy.seasonal_amplitude
    assert temp.min() > coldest_season - deepest - 5.0  # 5 K: the fast anomaly's 5 sigma
    assert temp.min() < coldest_season - 0.8 * deepest  # snaps there are, and deep
