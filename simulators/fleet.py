"""A fleet of simulated heat pumps, stepped together: one vectorised step = one reading each.

>>> fleet = Fleet(n_devices=3, seed=7, start_s=1_767_225_600.0, interval_s=60.0)
>>> frame = fleet.step()
>>> frame.values.shape, frame.ts_ms
((3, 20), 1767225600000)

Pure and deterministic: time comes from ``start_s`` and ``interval_s``, never the
wall clock, and separate random streams (weather, households, process noise,
sensor noise) keep a device's healthy behaviour identical whatever faults the
plan gives other devices, or it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.contract import Mode
from simulators import heatpump as hp
from simulators import house
from simulators.climate import CLIMATES
from simulators.devices import CP_WATER, SIGNAL_NAMES, build_fleet
from simulators.fault_table import KINDS, FaultTable
from simulators.faults import FAULTS, ICE_LIMIT, FaultType
from simulators.ground_truth import GroundTruth, build_ground_truth
from simulators.models import saturation_pressure
from simulators.plan import PlannedFault
from simulators.sensors import measure
from simulators.weather import Weather

MODES: tuple[Mode, ...] = tuple(Mode)
M = {m: np.int8(i) for i, m in enumerate(MODES)}
SPIN_UP_S = 3 * 86_400.0
MAX_SUBSTEP_S = 300.0
NOTICE_AFTER_S = 3600.0  # an hour of cold house or cold water
_ZERO_WHEN_OFF = np.isin(SIGNAL_NAMES, ("compressor_hz", "compressor_current", "backup_heater_w",
                                        "fan_rpm", "defrost", "heat_output_w", "flow_lpm"))


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """An error code raised by device ``device`` (an index into the fleet)."""

    device: int
    code: str
    severity: str
    message: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Frame:
    """One reading per device at ``t_s``: ``values[device, signal]`` (NaN: missing)."""

    t_s: float
    values: np.ndarray
    mode: np.ndarray  # indices into MODES
    seq: np.ndarray
    events: tuple[DeviceEvent, ...]
    truth: dict[str, np.ndarray]  # the simulator's true state, for tests and evaluation

    @property
    def ts_ms(self) -> int:
        return round(self.t_s * 1000)


class Fleet:
    """``n_devices`` heat pumps with their houses, weather and planned faults."""

    def __init__(self, n_devices: int, seed: int, start_s: float, interval_s: float = 60.0,
                 plan: Sequence[PlannedFault] = (), climates: list[str] | None = None,
                 id_prefix: str = "sim") -> None:
        if not 1.0 <= interval_s <= 3600.0:
            raise ValueError(f"interval {interval_s} s must be between 1 s and 1 h")
        self.seed, self.start_s, self.interval_s = seed, float(start_s), float(interval_s)
        self.devices, self.p, names = build_fleet(n_devices, seed, climates, id_prefix)
        self.climates = [CLIMATES[c] for c in names]
        self.faults = FaultTable(self.device_ids, plan)
        self.weather = self.new_weather()
        self._household_rng = np.random.default_rng([seed, 0xD4])
        self._process_rng = np.random.default_rng([seed, 0x9C])
        self._sensor_rng = np.random.default_rng([seed, 0x5E])
        n, p = n_devices, self.p
        temp, _ = self.weather.at(self.weather.start_s)
        t_out = temp[p.climate] + p.local_offset
        self.t_in = p.setpoint.copy()
        self.t_w = np.full(n, 30.0)
        self.t_tank = p.dhw_target - 2.0
        self.t_out_avg = t_out.copy()
        self.supply, self.ret = self.t_w.copy(), self.t_w.copy()
        self.discharge = t_out + 5.0
        self.frost, self.ice, self.defrost_left = np.zeros(n), np.zeros(n), np.zeros(n)
        self.comp_on, self.dhw_on = np.zeros(n, bool), np.zeros(n, bool)
        self.dm = np.zeros(n)
        self.failed = np.zeros(n, bool)
        self.failure_s, self.notice_s = np.full(n, np.nan), np.full(n, np.nan)
        self.discomfort_s = np.zeros(n)
        self.seq = np.zeros(n, dtype=np.int64)
        t = self.weather.start_s
        while t < self.start_s - 1e-6:  # settle houses and tanks before the first reading
            dt = min(MAX_SUBSTEP_S, self.start_s - t)
            t += dt
            self._physics(t, dt)
        self.t_s = self.start_s

    @property
    def device_ids(self) -> list[str]:
        return [d.device_id for d in self.devices]

    def new_weather(self) -> Weather:
        """A weather of its own with the same skies as this fleet's (same climates, start and
        seed): for a reader, such as a forecast, that must not move the fleet's one on."""
        return Weather(self.climates, self.start_s - SPIN_UP_S, self.seed)

    def step(self) -> Frame:
        """Advance one interval and return every device's reading at the new time.

        The first call returns the readings at ``start_s``.
        """
        t, dt = self.t_s, self.interval_s
        if t > self.start_s:
            substeps = int(np.ceil(dt / MAX_SUBSTEP_S))
            for k in range(1, substeps):
                self._physics(t - dt + k * dt / substeps, dt / substeps)
            frame = self._physics(t, dt / substeps, emit=True)
        else:
            frame = self._physics(t, 1.0, emit=True)
        self.t_s = t + dt
        assert frame is not None
        return frame

    def ground_truth(self, end_s: float | None = None) -> GroundTruth:
        """Who had which fault, and when it began, was noticed and failed (so far)."""
        return build_ground_truth(self, self.t_s - self.interval_s if end_s is None else end_s)

    def _physics(self, t: float, dt: float, emit: bool = False) -> Frame | None:
        p, ft = self.p, self.faults
        temp, humidity = self.weather.at(t)
        t_out = temp[p.climate] + p.local_offset
        rh = humidity[p.climate]
        sev = ft.severity(t)
        fx = ft.effects(sev)

        iced = ft.is_kind(FaultType.DEFROST_MALFUNCTION) & (self.ice >= ICE_LIMIT)
        trip = ~self.failed & ((ft.trips_at_full & (sev >= 1.0)) | iced)
        events: tuple[DeviceEvent, ...] = ()
        if trip.any():
            self.failed |= trip
            self.failure_s[trip] = t
            events = tuple(self._error_event(int(i)) for i in np.flatnonzero(trip))
        ok = ~self.failed

        self.t_out_avg += (t_out - self.t_out_avg) * (1.0 - np.exp(-dt / (6 * 3600.0)))
        setpoint = house.setpoint_now(p, t)
        season_on = self.t_out_avg < 17.0
        target = house.heating_curve(p, self.t_out_avg, setpoint, self.t_in)

        litres = house.hot_water_draws(p, self._household_rng, t, dt)
        self.t_tank = house.tank_after_draws(p, self.t_tank, litres)
        self.dhw_on = ok & ((self.dhw_on & (self.t_tank < p.dhw_target))
                            | (self.t_tank < p.dhw_target - 6.0))
        in_def = ok & (self.defrost_left > 0)
        dhw = self.dhw_on & ~in_def
        heating = ok & season_on & ~self.dhw_on & ~in_def
        self.comp_on = heating & np.where(self.comp_on, self.supply <= target + 3.0,
                                          self.supply < target - 2.0)

        circulating = ok & (season_on | self.dhw_on | in_def)
        flow = np.where(circulating, p.flow_nom * (1.0 - 0.6 * fx.flow**1.2), 0.0)
        mcp = flow / 60.0 * CP_WATER
        penalty = hp.evaporator_penalty(fx, self.ice + 0.5 * self.frost)
        per_hz = hp.heat_per_hz(p, fx, t_out, self.supply, penalty)
        wanted = mcp * (target - self.ret) + p.c_water * (target - self.supply) / 900.0
        hz = np.where(self.comp_on, np.clip(wanted / per_hz, p.hz_min, p.hz_max), 0.0)
        tank_need = (p.dhw_target + 0.5 - self.t_tank) * p.tank_litres * CP_WATER / dt
        hz = np.where(dhw, np.clip(tank_need / per_hz, p.hz_min, 0.8 * p.hz_max), hz)
        hz = np.where(in_def, 0.55 * p.hz_max, np.round(hz))
        running = (hz > 0) & ~in_def
        q_hp = np.where(running, hz * per_hz, 0.0)

        # degree-minutes: the heat deficit the backup heater answers once the compressor is flat out
        flat_out = self.comp_on & (hz >= p.hz_max - 0.5)
        deficit = (self.supply - target) * dt / 60.0
        self.dm = np.where(heating, np.clip(self.dm + deficit, -1500, 60), self.dm)
        self.dm = np.where(heating & ~flat_out, np.maximum(self.dm, -390.0), self.dm)
        stages = np.clip(np.floor((-self.dm - 400.0) / 200.0) + 1.0, 0.0, p.backup_max_w / 3000.0)
        backup = np.where(flat_out & (self.supply < target + 1.0), stages * 3000.0, 0.0)

        q_loop = np.where(dhw, 0.0, q_hp) + backup + np.where(in_def, -0.5 * p.capacity_w, 0.0)
        q_tank = np.where(dhw, q_hp, 0.0)
        q_emit = house.emitter_heat(p, self.t_w, self.t_in, circulating & ~self.dhw_on)
        q_other = house.other_heat(p, self.failed, setpoint, self.t_in, t_out)
        gains = house.free_gains(p, t)
        self.t_w = self.t_w + (q_loop - q_emit) * dt / p.c_water
        q_house = q_emit + gains + q_other - p.ua * (self.t_in - t_out)
        self.t_in = self.t_in + q_house * dt / p.c_house
        boiler = np.where(self.failed & (p.role == 2) & (self.t_tank < p.dhw_target), 3000.0, 0.0)
        self.t_tank = self.t_tank + (q_tank + boiler - house.tank_loss(self.t_tank)) * dt / (
            p.tank_litres * CP_WATER)
        safe = np.maximum(mcp, 1e-9)
        half = np.where(mcp > 0, q_loop / (2 * safe), 0.0)
        self.supply = np.where(dhw, self.t_tank + 3.0 + q_tank / (2 * safe), self.t_w + half)
        self.ret = np.where(dhw, self.supply - q_tank / safe, self.t_w - half)

        load = hz / p.hz_max
        self.frost += np.where(running, hp.frost_rate(t_out, rh, load) * dt / 3600.0, 0.0)
        melt = np.maximum(t_out - 2.0, 0.0) * dt / 7200.0
        self.frost = np.maximum(self.frost - melt, 0.0)
        self.ice = np.maximum(self.ice - 0.3 * melt, 0.0)
        frosted = self.frost >= 1.0 - 0.25 * np.minimum(self.ice, 2)
        start_defrost = running & (t_out < 6.0) & frosted
        self.defrost_left = np.maximum(self.defrost_left - dt, 0.0)
        if start_defrost.any():
            eff = 1.0 - 0.85 * fx.defrost
            left_behind = self.ice * (1 - 0.5 * eff) + self.frost * (1 - eff)
            self.defrost_left = np.where(start_defrost, 240.0 + 60 * self.frost + 90 * self.ice,
                                         self.defrost_left)
            self.ice = np.where(start_defrost, left_behind, self.ice)
            self.frost = np.where(start_defrost, 0.0, self.frost)

        z = self._process_rng.standard_normal((4, p.n))
        cyc = hp.cycle(p, fx, hz, self.supply, t_out, penalty, t, z)
        t_eq = t_out + 0.3 * (self.t_w - t_out)
        t_high = np.where(running, cyc.t_cond, np.where(in_def, np.maximum(t_out, 0) + 8, t_eq + 1))
        t_low = np.where(running, cyc.t_evap, np.where(in_def, self.t_w - 12.0, t_eq))
        suction = np.where(running, cyc.t_evap + cyc.superheat,
                           np.where(in_def, self.t_w - 8.0, t_eq + 1.0))
        superheat = np.where(running, cyc.superheat, np.where(in_def, 4.0, suction - t_eq))
        subcooling = np.where(running, cyc.subcooling, np.where(in_def, 1.0, 0.0))
        dis_target = np.where(running, cyc.discharge_target,
                              np.where(in_def, np.maximum(t_out, 0) + 35,
                                       np.maximum(t_out, t_eq) + 3))
        tau = np.where(running | in_def, 240.0, 1500.0)
        self.discharge += (dis_target - self.discharge) * (1.0 - np.exp(-dt / tau))
        fan = np.where(running, cyc.fan_rpm, 0.0)
        p_comp = np.where(running, q_hp / cyc.cop, np.where(in_def, 0.2 * p.capacity_w, 0.0))
        power = (p_comp + hp.fan_power(p, fan) + np.where(flow > 0, hp.PUMP_W, 0.0)
                 + hp.CONTROLS_W + backup)
        heat_out = np.where(dhw, q_tank, np.maximum(q_loop, 0.0))

        self._track_notice(t, dt, sev)
        if not emit:
            return None
        self.seq += 1
        mode = np.where(heating & (self.comp_on | (backup > 0)), M[Mode.HEATING], M[Mode.STANDBY])
        mode = np.where(dhw, M[Mode.HOT_WATER], mode)
        mode = np.where(in_def, M[Mode.DEFROST], mode)
        mode = np.where(self.failed, M[Mode.FAULT], mode).astype(np.int8)
        a, b = p.ref_a, p.ref_b
        true = np.stack([
            t_out, self.t_in, self.supply, self.ret, self.t_tank, hz,
            p_comp * cyc.current_factor / p.volts, hp.vibration(p, fx, hz, z[3]), power, heat_out,
            backup, saturation_pressure(t_high, a, b), saturation_pressure(t_low, a, b),
            self.discharge, suction, superheat, subcooling, fan, flow, in_def.astype(float),
        ], axis=1)
        values = measure(true, p.calibration, self._sensor_rng.standard_normal(true.shape))
        values[(true == 0) & _ZERO_WHEN_OFF] = 0.0
        ft.sensors.apply(values, t, self._sensor_rng.random(p.n))
        truth = {"outdoor_temp": t_out, "humidity": rh, "indoor_temp": self.t_in.copy(),
                 "cop": np.where(running, cyc.cop, np.nan), "heat_pump_w": q_hp,
                 "severity": sev, "failed": self.failed.copy(), "ice": self.ice.copy(),
                 "setpoint": setpoint, "values": true}
        return Frame(t, values, mode, self.seq.copy(), events, truth)

    def _track_notice(self, t: float, dt: float, severity: np.ndarray) -> None:
        """Record when the customer first notices: an hour of a cold house or cold tap water.

        Only discomfort the fault can cause counts: after the unit failed, or once a
        fault that cuts capacity (leak, fan, flow, valve, icing) is at least half-way.
        Heavy hot-water use or an undersized unit in a cold snap would happen anyway.
        """
        lowest = self.p.setpoint - self.p.setback
        uncomfortable = (self.t_in < lowest - 2.0) | (self.t_tank < 35.0)
        self.discomfort_s = np.where(uncomfortable, self.discomfort_s + dt, 0.0)
        ft = self.faults
        caused = self.failed | (ft.cuts_capacity & (severity >= 0.5))
        new = caused & np.isnan(self.notice_s) & (self.discomfort_s >= NOTICE_AFTER_S)
        self.notice_s[new] = t

    def _error_event(self, device: int) -> DeviceEvent:
        spec = FAULTS[KINDS[int(self.faults.kind[device])]]
        return DeviceEvent(device, spec.error_code or "E999", "fault",
                           spec.error_message or "unit stopped")
