"""The house: heat loss, thermal mass, thermostat schedule, heating curve, emitters, hot water.

All functions are vectorised over devices (``p`` holds per-device arrays).
"""

from __future__ import annotations

import numpy as np

from simulators.devices import DeviceParams
from simulators.weather import local_hour, season

NIGHT = (22.0, 6.0)  # setback hours, local time
TANK_LOSS_W_PER_K = 2.0
COLD_WATER = 10.0  # °C, mains water


def setpoint_now(p: DeviceParams, t_s: float) -> np.ndarray:
    """The thermostat setpoint in effect: lower at night for households with a setback."""
    h = float(local_hour(t_s))
    night = h >= NIGHT[0] or h < NIGHT[1]
    return p.setpoint - p.setback if night else p.setpoint


def heating_curve(p: DeviceParams, t_out_avg: np.ndarray, setpoint: np.ndarray,
                  t_in: np.ndarray) -> np.ndarray:
    """Weather-compensated supply target, corrected by the room sensor, within 20-60 °C."""
    target = setpoint + 2.0 + p.curve_slope * (setpoint - t_out_avg) + 1.5 * (setpoint - t_in)
    return np.clip(target, 20.0, 60.0)


def emitter_heat(p: DeviceParams, t_water: np.ndarray, t_in: np.ndarray,
                 circulating: np.ndarray) -> np.ndarray:
    """Heat (W) radiators or floor loops give the rooms; little without circulation."""
    excess = np.maximum(t_water - t_in, 0.0)
    return p.emitter_k * excess**p.emitter_n * np.where(circulating, 1.0, 0.15)


def free_gains(p: DeviceParams, t_s: float) -> np.ndarray:
    """Internal gains (people, appliances) and sun through the windows (W)."""
    h = float(local_hour(t_s))
    summer = (1.0 + float(season(t_s))) / 2.0
    daylight = max(0.0, np.cos(np.pi * (h - 13.0) / (8.0 + 5.0 * summer)))
    return p.gains_w + p.solar_w * (0.25 + 0.75 * summer) * daylight


def hot_water_draws(p: DeviceParams, rng: np.random.Generator, t_s: float,
                    dt: float) -> np.ndarray:
    """Litres of hot water drawn in the step: showers in the morning, dishes in the evening."""
    h = float(local_hour(t_s))
    if 6.0 <= h < 9.0:
        rate = 0.8
    elif 17.0 <= h < 22.0:
        rate = 0.6
    elif 9.0 <= h < 17.0:
        rate = 0.15
    else:
        rate = 0.03
    count = rng.poisson(rate * p.persons / 2.5 * dt / 3600.0)
    litres = rng.gamma(2.0 * np.maximum(count, 1), 11.0)
    return np.where(count > 0, litres, 0.0)


def tank_after_draws(p: DeviceParams, t_tank: np.ndarray, litres: np.ndarray) -> np.ndarray:
    """The tank temperature once ``litres`` were replaced by cold mains water (mixed)."""
    share = np.minimum(litres / p.tank_litres, 1.0) * 0.75
    return t_tank - share * (t_tank - COLD_WATER)


def other_heat(p: DeviceParams, failed: np.ndarray, setpoint: np.ndarray, t_in: np.ndarray,
               t_out: np.ndarray) -> np.ndarray:
    """Heat from the home's other sources once the heat pump has failed (W).

    A hybrid's boiler takes over fully; a primary heat pump's home has a stove
    that gives about 40 % of the need; a sole heat pump's home has nothing.
    """
    need = np.maximum(p.ua * (setpoint - t_out) + 2000.0 * (setpoint - t_in), 0.0)
    share = np.choose(p.role, [0.0, 0.4, 1.0])
    return np.where(failed, need * share, 0.0)


def tank_loss(t_tank: np.ndarray) -> np.ndarray:
    return TANK_LOSS_W_PER_K * (t_tank - 20.0)
