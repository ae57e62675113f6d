"""Outdoor temperature forecasts for a site: the :class:`TemperatureForecast` interface.

In production a weather service implements it; the demo and the tests use the
simulator's weather (:class:`SimulatedForecast`), whose forecast is the weather
that will really happen plus an error growing with lead time.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from simulators.weather import HOUR, Weather


@runtime_checkable
class TemperatureForecast(Protocol):
    def min_temp(self, climate: str | None, start_ms: int, end_ms: int) -> float | None:
        """The coldest forecast temperature (°C) at the site between two instants, if known."""
        ...


class NoForecast:
    """No forecast available: the cold factor scores zero."""

    def min_temp(self, climate: str | None, start_ms: int, end_ms: int) -> float | None:
        return None


class FixedForecast:
    """The same temperature everywhere (tests)."""

    def __init__(self, temp: float) -> None:
        self.temp = temp

    def min_temp(self, climate: str | None, start_ms: int, end_ms: int) -> float | None:
        return self.temp


class SimulatedForecast:
    """Forecasts from a simulator :class:`~simulators.weather.Weather`, per climate name."""

    def __init__(self, weather: Weather, max_hours: int = 120) -> None:
        self.weather = weather
        self.max_hours = max_hours
        self._index = {c.name: i for i, c in enumerate(weather.climates)}

    def min_temp(self, climate: str | None, start_ms: int, end_ms: int) -> float | None:
        i = self._index.get(climate or "")
        if i is None or start_ms / 1000 < self.weather.start_s:
            return None
        hours = max(1.0, min(float(self.max_hours), (end_ms - start_ms) / 1000 / HOUR))
        forecast = self.weather.forecast(i, start_ms / 1000, hours=int(self.max_hours))
        return forecast.min_temp(hours)
