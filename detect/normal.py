"""A learned normal per device: what each signal should read under the current conditions.

Two regressions, fitted on the device's own healthy hourly history with scikit-learn's
:class:`~sklearn.linear_model.Ridge`:

* **health**: each health signal (pressures, temperatures, vibration, fan speed,
  flow, power, ...) from the operating conditions (outdoor temperature, supply
  temperature, compressor speed, defrost share), with quadratic terms. A cold
  snap moves the conditions and the prediction with them; a leak moves the
  residual.
* **consistency**: each sensor from all the *other* signals (linear). A sensor
  that drifts or sticks disagrees with the rest while the machine is fine.

Coefficients are fitted on standardised data as a correction to a **fleet prior**
(the median coefficients of the fleet's models), so a new device with little
history starts from what is normal for heat pumps in general (ridge shrinks
towards the prior; with more own data, the device's own behaviour wins).

Residuals are divided by robust training-residual scales: ``z`` is "standard
deviations from this device's normal". ``day_sd`` is the scale of *daily means* of
``z`` in training, which absorbs the slow, correlated misfit of any model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.linear_model import Ridge

from detect.errors import ModelError
from detect.frame import DAY_MS, Frame, daily_means

CONDITIONS: Final = ("outdoor_temp", "supply_temp", "compressor_hz", "defrost")
HEALTH: Final = ("subcooling", "superheat", "low_pressure", "high_pressure", "discharge_temp",
                 "suction_temp", "compressor_vibration", "compressor_current", "fan_rpm",
                 "flow_lpm", "power_w", "heat_output_w")
SENSORS: Final = ("outdoor_temp", "indoor_temp", "supply_temp", "return_temp", "hot_water_temp",
                  "discharge_temp", "suction_temp", "high_pressure", "low_pressure")
ALL_SIGNALS: Final = tuple(dict.fromkeys(CONDITIONS + HEALTH + SENSORS))
#: Residual channels: health signals by name, sensor consistency as ``sensor:<name>``.
CHANNELS: Final = HEALTH + tuple(f"sensor:{s}" for s in SENSORS)
RUNNING_HZ: Final = 5.0  # an hour counts as "running" above this mean compressor speed
MIN_ROWS: Final = 24
_N_POLY = len(CONDITIONS) + len(CONDITIONS) * (len(CONDITIONS) + 1) // 2
_IU = np.triu_indices(len(CONDITIONS))


def _poly(z: np.ndarray) -> np.ndarray:
    """Linear and quadratic terms (squares and pairwise products) of standardised conditions."""
    quad = (z[:, :, None] * z[:, None, :])[:, _IU[0], _IU[1]]
    return np.hstack([z, quad])


@dataclass(frozen=True)
class FleetPrior:
    """Median standardised coefficients over the fleet's models."""

    health: np.ndarray  # (len(HEALTH), _N_POLY)
    sensor: np.ndarray  # (len(SENSORS), len(ALL_SIGNALS))
    devices: int

    @classmethod
    def flat(cls) -> FleetPrior:
        """No prior knowledge: shrink towards zero (plain ridge)."""
        return cls(np.zeros((len(HEALTH), _N_POLY)), np.zeros((len(SENSORS), len(ALL_SIGNALS))),
                   0)

    @classmethod
    def from_models(cls, models: list[NormalModel]) -> FleetPrior:
        if not models:
            return cls.flat()
        return cls(np.nanmedian(np.stack([m.health_coef for m in models]), axis=0),
                   np.nanmedian(np.stack([m.sensor_coef for m in models]), axis=0), len(models))


@dataclass(frozen=True)
class NormalModel:
    """One device's normal: standardisation, coefficients, residual scales, covariance."""

    device_id: str
    version: int
    trained_until_ms: int
    rows: int
    x_mu: np.ndarray  # (len(ALL_SIGNALS),) means of every signal, running hours
    x_sd: np.ndarray
    health_coef: np.ndarray  # standardised, (len(HEALTH), _N_POLY)
    sensor_coef: np.ndarray  # standardised, (len(SENSORS), len(ALL_SIGNALS)), own column 0
    z_sd: np.ndarray  # (len(CHANNELS),) robust residual scale in standardised units
    day_sd: np.ndarray  # (len(CHANNELS),) scale of daily means of z
    precision: np.ndarray  # (len(CHANNELS), len(CHANNELS)) of daily-mean z; zeros if unknown

    def expected(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """Expected and observed values per channel: two ``(len(frame), len(CHANNELS))`` arrays.

        Rows where the compressor did not run are NaN (nothing to compare).
        """
        raw = frame.matrix(ALL_SIGNALS)
        s = (raw - self.x_mu) / self.x_sd
        running = raw[:, ALL_SIGNALS.index("compressor_hz")] >= RUNNING_HZ
        cond = _poly(s[:, [ALL_SIGNALS.index(c) for c in CONDITIONS]])
        h_idx = [ALL_SIGNALS.index(h) for h in HEALTH]
        s_idx = [ALL_SIGNALS.index(x) for x in SENSORS]
        health = cond @ self.health_coef.T
        filled = np.where(np.isnan(s), 0.0, s)
        sensor = filled @ self.sensor_coef.T
        exp_std = np.hstack([health, sensor])
        idx = h_idx + s_idx
        expected = exp_std * self.x_sd[idx] + self.x_mu[idx]
        observed = raw[:, idx]
        bad = ~running | np.isnan(cond).any(axis=1)
        expected[bad] = np.nan
        observed = np.where(bad[:, None], np.nan, observed)
        return expected, observed

    def residuals(self, frame: Frame) -> np.ndarray:
        """``z``: (observed - expected) in units of this device's residual scale, per channel."""
        expected, observed = self.expected(frame)
        idx = [ALL_SIGNALS.index(h) for h in HEALTH] + [ALL_SIGNALS.index(x) for x in SENSORS]
        return (observed - expected) / (self.x_sd[idx] * self.z_sd)

    def with_version(self, version: int) -> NormalModel:
        return replace(self, version=version)


def _mad_sd(values: np.ndarray) -> np.ndarray:
    med = np.nanmedian(values, axis=0)
    return 1.4826 * np.nanmedian(np.abs(values - med), axis=0)


def fit_normal(frame: Frame, now_ms: int, prior: FleetPrior | None = None,
               version: int = 1, alpha: float = 30.0) -> NormalModel:
    """Fit ``frame.device_id``'s normal on hourly means in ``frame`` (healthy history).

    Raises :class:`ModelError` with fewer than ``MIN_ROWS`` running hours.
    """
    prior = prior or FleetPrior.flat()
    raw = frame.matrix(ALL_SIGNALS)
    hz = raw[:, ALL_SIGNALS.index("compressor_hz")]
    cond_idx = [ALL_SIGNALS.index(c) for c in CONDITIONS]
    rows = (hz >= RUNNING_HZ) & ~np.isnan(raw[:, cond_idx]).any(axis=1)
    if rows.sum() < MIN_ROWS:
        raise ModelError(f"device {frame.device_id} has {int(rows.sum())} running hours; "
                         f"a model needs at least {MIN_ROWS}")
    data = raw[rows]
    with np.errstate(invalid="ignore"):
        x_mu = np.nanmean(data, axis=0)
        x_sd = np.nanstd(data, axis=0)
    x_mu = np.where(np.isnan(x_mu), 0.0, x_mu)
    x_sd = np.where(np.isnan(x_sd) | (x_sd < 1e-6), 1.0, x_sd)
    s = (data - x_mu) / x_sd
    cond = _poly(s[:, cond_idx])
    health = np.zeros_like(prior.health)
    for k, name in enumerate(HEALTH):
        y = s[:, ALL_SIGNALS.index(name)]
        ok = ~np.isnan(y)
        if ok.sum() < MIN_ROWS:
            health[k] = prior.health[k]
            continue
        target = y[ok] - cond[ok] @ prior.health[k]
        health[k] = prior.health[k] + Ridge(alpha=alpha).fit(cond[ok], target).coef_
    filled = np.where(np.isnan(s), 0.0, s)
    sensor = np.zeros_like(prior.sensor)
    for k, name in enumerate(SENSORS):
        j = ALL_SIGNALS.index(name)
        y = s[:, j]
        ok = ~np.isnan(y)
        if ok.sum() < MIN_ROWS:
            continue
        others = filled[ok].copy()
        others[:, j] = 0.0
        target = y[ok] - others @ prior.sensor[k]
        coef = prior.sensor[k] + Ridge(alpha=alpha).fit(others, target).coef_
        coef[j] = 0.0
        sensor[k] = coef
    model = NormalModel(frame.device_id, version, now_ms, int(rows.sum()), x_mu, x_sd, health,
                        sensor, np.ones(len(CHANNELS)), np.ones(len(CHANNELS)),
                        np.zeros((len(CHANNELS), len(CHANNELS))))
    z = model.residuals(Frame(frame.device_id, frame.times_ms[rows],
                              {n: data[:, i] for i, n in enumerate(ALL_SIGNALS)}))
    z_sd = np.maximum(np.nan_to_num(_mad_sd(z), nan=1.0), 0.02)
    model = replace(model, z_sd=z_sd)
    return replace(model, **_daily_scales(model.residuals(frame), frame.times_ms, now_ms))


def _daily_scales(z: np.ndarray, times_ms: np.ndarray, now_ms: int) -> dict[str, np.ndarray]:
    days = max(1, int((now_ms - int(times_ms[0])) // DAY_MS) + 1) if len(times_ms) else 1
    daily = daily_means(times_ms, z, now_ms, days)
    full = daily[~np.isnan(daily).any(axis=1)]
    n_ch = z.shape[1]
    if len(full) < 7:
        return {"day_sd": np.full(n_ch, 1.0), "precision": np.zeros((n_ch, n_ch))}
    centred = full - np.median(full, axis=0)
    day_sd = np.maximum(np.sqrt(np.mean(centred**2, axis=0)), 0.25)
    precision = LedoitWolf(assume_centered=True).fit(centred / day_sd).precision_
    return {"day_sd": day_sd, "precision": precision}
