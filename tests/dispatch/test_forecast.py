"""The outdoor temperature forecast for a site (the simulator's weather in the demo)."""

from __future__ import annotations

from dispatch.forecast import FixedForecast, NoForecast, SimulatedForecast, TemperatureForecast
from simulators.climate import CLIMATES
from simulators.weather import Weather

START_S = 1_768_176_000.0


def test_every_forecast_implements_the_interface() -> None:
    weather = Weather([CLIMATES["lulea"]], START_S, seed=1)
    for f in (NoForecast(), FixedForecast(-3.0), SimulatedForecast(weather)):
        assert isinstance(f, TemperatureForecast)


def test_the_simulated_forecast_gives_the_coldest_hour_ahead_for_the_sites_climate() -> None:
    weather = Weather([CLIMATES["lulea"], CLIMATES["malmo"]], START_S, seed=1)
    forecast = SimulatedForecast(weather)
    now_ms = int((START_S + 86_400) * 1000)
    lulea = forecast.min_temp("lulea", now_ms, now_ms + 3 * 86_400_000)
    malmo = forecast.min_temp("malmo", now_ms, now_ms + 3 * 86_400_000)
    assert lulea is not None and malmo is not None and lulea < malmo
    shorter = forecast.min_temp("lulea", now_ms, now_ms + 3_600_000)
    assert shorter is not None and shorter >= lulea


def test_an_unknown_climate_or_a_time_before_the_weather_has_no_forecast() -> None:
    forecast = SimulatedForecast(Weather([CLIMATES["oslo"]], START_S, seed=1))
    assert forecast.min_temp("atlantis", int(START_S * 1000), int(START_S * 1000) + 1) is None
    assert forecast.min_temp("oslo", 0, 1) is None
