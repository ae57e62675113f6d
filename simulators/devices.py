"""The simulated fleet's devices: who they are (identity, metadata) and how each one is built.

Houses are sized from a design heat load and the climate's design temperature;
the installer picks the smallest model that roughly covers it (some undersize, so
the backup heater runs in cold snaps). Every unit then differs a little:
refrigeration efficiency, water flow (installation quality), heating-curve
setting, setpoint and night setback, hot-water habits, vibration signature and
sensor calibration. Parameters are arrays over devices, for vectorised stepping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ingest.contract import SIGNALS, HeatSourceRole
from simulators.climate import CLIMATES, DEFAULT_CLIMATE_MIX
from simulators.models import MODELS, REFRIGERANTS

SIGNAL_NAMES: tuple[str, ...] = tuple(SIGNALS)
SIGNAL_INDEX = {name: i for i, name in enumerate(SIGNAL_NAMES)}
ROLES = (HeatSourceRole.SOLE, HeatSourceRole.PRIMARY, HeatSourceRole.HYBRID)
CP_WATER = 4186.0  # J/(kg K); a litre of water is taken as a kilogram


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device's identity and the retained metadata it publishes."""

    index: int
    device_id: str
    site: str
    model: str
    climate: str
    meta: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class DeviceParams:
    """Per-device constants, each an array over the fleet."""

    climate: np.ndarray  # index into the run's climate list
    local_offset: np.ndarray  # K, the site against the regional weather
    capacity_w: np.ndarray
    hz_min: np.ndarray
    hz_rated: np.ndarray
    hz_max: np.ndarray
    ref_a: np.ndarray
    ref_b: np.ndarray
    volts: np.ndarray  # effective V for current: 230*pf, or sqrt(3)*400*pf
    backup_max_w: np.ndarray
    fan_rpm_max: np.ndarray
    eta: np.ndarray  # share of Carnot COP reached
    ua: np.ndarray  # W/K
    c_house: np.ndarray  # J/K
    emitter_k: np.ndarray  # W/K^n
    emitter_n: np.ndarray
    c_water: np.ndarray  # J/K of the heating circuit
    flow_nom: np.ndarray  # l/min
    curve_slope: np.ndarray  # K supply per K outdoor
    setpoint: np.ndarray
    setback: np.ndarray  # K lower at night
    gains_w: np.ndarray
    solar_w: np.ndarray
    dhw_target: np.ndarray
    tank_litres: np.ndarray
    persons: np.ndarray
    superheat_target: np.ndarray
    subcooling_nom: np.ndarray
    vib_base: np.ndarray
    vib_res_hz: np.ndarray
    hunt_period_s: np.ndarray  # expansion-valve hunting period (used when it sticks)
    role: np.ndarray  # index into ROLES
    calibration: np.ndarray  # (devices, signals) sensor offsets

    @property
    def n(self) -> int:
        return len(self.capacity_w)


def device_ids(n: int, id_prefix: str = "sim") -> list[str]:
    """The ids of a fleet of ``n``: ``<prefix>-00000``, ``<prefix>-00001``, ..."""
    return [f"{id_prefix}-{i:05d}" for i in range(n)]


def build_fleet(n: int, seed: int, climates: list[str] | None = None,
                id_prefix: str = "sim") -> tuple[list[DeviceInfo], DeviceParams, list[str]]:
    """Build ``n`` devices. Returns their infos, their parameters and the climate list used."""
    if n < 1:
        raise ValueError("a fleet needs at least one device")
    rng = np.random.default_rng([seed, 0xF1EE7])
    mix = DEFAULT_CLIMATE_MIX
    if climates:
        mix = {c: DEFAULT_CLIMATE_MIX.get(c, 0.25) for c in climates}
    names = list(mix)
    for name in names:
        if name not in CLIMATES:
            raise ValueError(f"unknown climate {name!r}: choose from {', '.join(CLIMATES)}")
    p = np.array([mix[c] for c in names])
    clim = rng.choice(len(names), size=n, p=p / p.sum())
    design_temp = np.array([CLIMATES[names[c]].design_temp for c in clim])

    design_load = np.clip(rng.lognormal(np.log(7000.0), 0.35, n), 3000, 16000)
    sizing = rng.uniform(0.8, 1.1, n)
    models = list(MODELS.values())
    caps = np.array([m.capacity_kw * 1000 for m in models])
    model_idx = np.searchsorted(caps, design_load * sizing).clip(0, len(models) - 1)
    pick = [models[i] for i in model_idx]

    def arr(values: list[float]) -> np.ndarray:
        return np.asarray(values, dtype=float)

    floor = rng.random(n) < 0.4
    design_supply = np.where(floor, rng.uniform(32, 38, n), rng.uniform(45, 55, n))
    emitter_n = np.where(floor, 1.1, 1.3)
    ua = design_load / (21.0 - design_temp)
    emitter_k = design_load / (design_supply - 2.5 - 21.0) ** emitter_n
    refr = [REFRIGERANTS[m.refrigerant] for m in pick]
    cap_w = arr([m.capacity_kw * 1000 for m in pick])
    flow_nom = cap_w / (CP_WATER * 5.0) * 60.0 * rng.uniform(0.85, 1.15, n)
    calibration = np.zeros((n, len(SIGNAL_NAMES)))
    for name, sd in (("outdoor_temp", 0.4), ("indoor_temp", 0.3), ("supply_temp", 0.2),
                     ("return_temp", 0.2), ("hot_water_temp", 0.4), ("discharge_temp", 0.8),
                     ("suction_temp", 0.3), ("high_pressure", 0.08), ("low_pressure", 0.04),
                     ("flow_lpm", 0.3)):
        calibration[:, SIGNAL_INDEX[name]] = rng.normal(0, sd, n)

    params = DeviceParams(
        climate=clim,
        local_offset=rng.normal(0, 0.8, n),
        capacity_w=cap_w,
        hz_min=arr([m.hz_min for m in pick]),
        hz_rated=arr([m.hz_rated for m in pick]),
        hz_max=arr([m.hz_max for m in pick]),
        ref_a=arr([r.a for r in refr]),
        ref_b=arr([r.b for r in refr]),
        volts=arr([230 * 0.96 if m.phases == 1 else 3**0.5 * 400 * 0.95 for m in pick]),
        backup_max_w=arr([m.backup_kw * 1000 for m in pick]),
        fan_rpm_max=arr([m.fan_rpm_max for m in pick]) * rng.uniform(0.97, 1.03, n),
        eta=np.clip(rng.normal(0.50, 0.02, n), 0.44, 0.56),
        ua=ua,
        c_house=ua * rng.uniform(40, 120, n) * 3600,
        emitter_k=emitter_k,
        emitter_n=emitter_n,
        c_water=(cap_w / 1000 * 15 + 50) * rng.uniform(0.8, 1.2, n) * 4186.0,
        flow_nom=flow_nom,
        curve_slope=(design_supply - 23.0) / (21.0 - design_temp) * rng.uniform(0.98, 1.12, n),
        setpoint=np.round(rng.normal(21.0, 0.8, n).clip(19, 23) * 2) / 2,
        setback=np.where(rng.random(n) < 0.35, rng.uniform(1, 3, n), 0.0),
        gains_w=rng.uniform(250, 600, n),
        solar_w=rng.uniform(300, 1500, n),
        dhw_target=rng.uniform(48, 55, n),
        tank_litres=rng.choice([180.0, 200.0, 250.0, 300.0], n),
        persons=rng.integers(1, 6, n).astype(float),
        superheat_target=rng.uniform(4.0, 7.0, n),
        subcooling_nom=rng.uniform(3.0, 6.0, n),
        vib_base=rng.uniform(1.0, 2.4, n),
        vib_res_hz=rng.uniform(35, 95, n),
        hunt_period_s=rng.uniform(20, 60, n) * 60,
        role=rng.choice(3, size=n, p=[0.65, 0.25, 0.10]),
        calibration=calibration,
    )
    infos = []
    installed = rng.integers(int(datetime(2015, 1, 1, tzinfo=UTC).timestamp() // 86400),
                             int(datetime(2025, 6, 1, tzinfo=UTC).timestamp() // 86400), n)
    vulnerable = rng.random(n) < 0.08
    ids = device_ids(n, id_prefix)
    for i in range(n):
        m, c = pick[i], CLIMATES[names[clim[i]]]
        device_id = ids[i]
        meta = {
            "model": m.name,
            "firmware": m.firmware[i % len(m.firmware)],
            "installed": datetime.fromtimestamp(int(installed[i]) * 86400, UTC).date().isoformat(),
            "capacity_kw": m.capacity_kw,
            "heat_source_role": ROLES[int(params.role[i])].value,
            "refrigerant": m.refrigerant,
            "location": {"climate": c.name, "lat": round(c.lat + float(rng.normal(0, 0.05)), 3),
                         "lon": round(c.lon + float(rng.normal(0, 0.08)), 3)},
            "household": {"vulnerable": bool(vulnerable[i]), "persons": int(params.persons[i])},
        }
        infos.append(DeviceInfo(i, device_id, f"{c.name}-{i:05d}", m.name, c.name, meta))
    return infos, params, names
