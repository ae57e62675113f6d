"""The air-to-water heat pump's refrigeration cycle, vectorised over devices.

A semi-empirical model, physically consistent rather than exact:

* condensing temperature sits a few kelvin above the supply water, evaporating
  temperature several kelvin below the outdoor air, both gaps growing with load;
* COP is a share (``eta``, ~0.5) of the Carnot COP between them, so it falls with
  colder air and rises with lower supply temperature, and dips at part load;
* pressures are saturation pressures of the unit's refrigerant at those
  temperatures; suction = evaporating + superheat; discharge follows the
  temperature lift;
* faults bend these relations (see :class:`FaultEffects`): a leak starves the
  evaporator (superheat up, subcooling down, low pressure down, discharge up,
  capacity and COP down); wear raises vibration and current; a weak fan cuts
  airflow; low water flow raises condensing pressure; a sticking valve makes
  superheat hunt; ice on the evaporator lowers the evaporating temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulators.devices import DeviceParams
from simulators.models import KELVIN

FAN_MIN_SHARE = 0.35
FAN_W_PER_KW = 12.0  # fan power at full speed per kW of capacity
PUMP_W = 45.0
CONTROLS_W = 12.0


@dataclass(frozen=True, slots=True)
class FaultEffects:
    """Severity (0-1) of each mechanical fault per device; 0 where a device has none."""

    leak: np.ndarray
    wear: np.ndarray
    fan: np.ndarray
    flow: np.ndarray
    valve: np.ndarray
    defrost: np.ndarray


def airflow(fx: FaultEffects) -> np.ndarray:
    """Air through the evaporator against a healthy fan at the same command."""
    return 1.0 - 0.5 * fx.fan**1.2


def evaporator_penalty(fx: FaultEffects, ice: np.ndarray) -> np.ndarray:
    """Extra kelvin between air and evaporating refrigerant from ice, airflow and charge."""
    return 3.0 * np.minimum(ice, 4.0) + 8.0 * fx.leak**1.3 + 6.0 * (1.0 / airflow(fx) - 1.0)


def heat_per_hz(p: DeviceParams, fx: FaultEffects, t_out: np.ndarray, supply: np.ndarray,
                penalty: np.ndarray) -> np.ndarray:
    """Heat (W) each compressor hertz delivers at these conditions."""
    f_air = np.clip(1.0 + 0.012 * (t_out - 7.0) - 0.025 * penalty, 0.3, 1.2)
    f_water = 1.0 - 0.006 * (supply - 35.0)
    return p.capacity_w / p.hz_rated * f_air * f_water * (1.0 - 0.45 * fx.leak**1.5)


@dataclass(frozen=True, slots=True)
class Cycle:
    t_cond: np.ndarray
    t_evap: np.ndarray
    superheat: np.ndarray
    subcooling: np.ndarray
    cop: np.ndarray
    discharge_target: np.ndarray
    fan_rpm: np.ndarray
    current_factor: np.ndarray


def cycle(p: DeviceParams, fx: FaultEffects, hz: np.ndarray, supply: np.ndarray,
          t_out: np.ndarray, penalty: np.ndarray, t_s: float, z: np.ndarray) -> Cycle:
    """The running cycle at compressor speed ``hz``; ``z`` is (3, n) process noise."""
    load = hz / p.hz_max
    t_cond = supply + 1.5 + 3.5 * load + 9.0 * fx.flow**1.5
    phase = 2.0 * np.pi * t_s / p.hunt_period_s + p.vib_res_hz
    hunt = fx.valve * (2.0 + 7.0 * fx.valve) * np.sin(phase)
    t_evap = t_out - (2.5 + 5.5 * load) - penalty - 0.35 * hunt
    superheat = (p.superheat_target + 12.0 * fx.leak**1.5 + 2.0 * fx.valve + hunt
                 + 0.3 * z[0])
    subcooling = p.subcooling_nom * (1.0 - 0.9 * fx.leak**1.2) + 0.2 * z[1]
    lift = np.maximum(t_cond - t_evap, 8.0)
    carnot = (t_cond + KELVIN) / lift
    part_load = 1.0 - 0.18 * (load - 0.4) ** 2
    health = (1.0 - 0.30 * fx.leak**1.5) * (1.0 - 0.15 * fx.wear**1.2) * (1.0 - 0.05 * fx.valve)
    small_lift = 1.0 - 0.012 * np.maximum(30.0 - lift, 0.0)  # losses dominate at small lifts
    cop = np.clip(p.eta * carnot * part_load * small_lift * health, 1.0, 7.0)
    discharge = (t_cond + 8.0 + 0.45 * lift + 0.9 * (superheat - 5.0) + 12.0 * fx.wear**1.5)
    rpm_cmd = p.fan_rpm_max * (FAN_MIN_SHARE + (1 - FAN_MIN_SHARE) * load)
    fan_rpm = np.maximum(rpm_cmd * airflow(fx) + (4.0 + 60.0 * fx.fan) * z[2], 0.0)
    current_factor = 1.0 + 0.25 * fx.wear**1.5
    return Cycle(t_cond, t_evap, superheat, subcooling, cop, discharge, fan_rpm, current_factor)


def vibration(p: DeviceParams, fx: FaultEffects, hz: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Compressor vibration (mm/s RMS): speed, a resonance, wear; lognormal scatter."""
    load = hz / p.hz_max
    resonance = 1.2 * np.exp(-(((hz - p.vib_res_hz) / 5.0) ** 2))
    running = p.vib_base * (0.5 + 0.9 * load) + resonance
    worn = running * (1.0 + 2.2 * fx.wear**1.5) + 1.5 * fx.wear**2
    return np.where(hz > 0, worn * np.exp(0.08 * z), 0.05 * np.exp(0.3 * z))


def fan_power(p: DeviceParams, rpm: np.ndarray) -> np.ndarray:
    return FAN_W_PER_KW * p.capacity_w / 1000.0 * (rpm / p.fan_rpm_max) ** 3


def frost_rate(t_out: np.ndarray, rh: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Frost loads per hour on a running evaporator: only in cold, humid air.

    Needs relative humidity above 60 % and air below 6 °C; strongest around 0 °C,
    weaker in very cold air, which holds little water.
    """
    humid = np.clip((rh - 0.6) / 0.35, 0.0, 1.0)
    cold = np.clip((6.0 - t_out) / 5.0, 0.0, 1.0)
    dryness = np.exp(0.05 * np.minimum(t_out, 0.0))
    return humid * cold * dryness * (0.3 + load) / 0.6
