"""A learned normal per device: what each signal should read under the current conditions.

Two regressions, fitted on the device's own healthy hourly history with scikit-learn's
:class:`~sklearn.linear_model.Ridge`:

* **health**: each health signal (pressures, temperatures, vibration, fan speed,
  flow, power, ...) from the operating conditions (outdoor temperature, supply
  temperature, compressor speed), with quadratic terms where they predict days the
  fit did not see better than a straight line does. A cold snap moves the
  conditions and the prediction with them; a leak moves the residual. Defrosting
  is an operating state, not an input: its minutes are left out of every machine
  signal's hourly mean (``RUNNING_ONLY``). How much of an hour went to defrosting
  is the machine's own doing -- an iced-up evaporator defrosts more -- so as an
  input it would explain away the very fault it signals.
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

import warnings
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from detect.after_defrost import DefrostReference
from detect.errors import ModelError
from detect.frame import DAY_MS, Frame, daily_means
from ingest.reading import CONTEXT, RUNNING_HZ  # an hour with a running reading is running

CONDITIONS: Final = ("outdoor_temp", "supply_temp", "compressor_hz")
#: Signals that scale with the compressor speed are divided by it (their hourly means are
#: over running readings only, see ``RUNNING_ONLY``), so the ratio is what the machine
#: delivers per turn of the compressor. Not the fan: its speed is a floor plus a share of
#: the compressor's (the controller's command), so per Hz it is a curve in 1/Hz that the
#: model fits badly (a residual scale of about 0.5 rpm/Hz, where the speed itself is
#: predicted to within 2 rpm and a failing fan's loss shows weeks earlier).
PER_HZ: Final = {"subcooling_per_hz": "subcooling", "vibration_per_hz": "compressor_vibration",
                 "current_per_hz": "compressor_current",
                 "power_per_hz": "power_w", "heat_output_per_hz": "heat_output_w"}
HEALTH: Final = ("subcooling_per_hz", "superheat", "low_pressure", "high_pressure",
                 "discharge_temp", "suction_temp", "vibration_per_hz", "current_per_hz",
                 "fan_rpm", "flow_lpm", "power_per_hz", "heat_output_per_hz")
SENSORS: Final = ("outdoor_temp", "indoor_temp", "supply_temp", "return_temp", "hot_water_temp",
                  "discharge_temp", "suction_temp", "high_pressure", "low_pressure")
ALL_SIGNALS: Final = tuple(dict.fromkeys(CONDITIONS + HEALTH + SENSORS))
#: The stored signals a model reads (the ``PER_HZ`` ratios are derived from them).
READ_SIGNALS: Final = tuple(sorted({PER_HZ.get(s, s) for s in ALL_SIGNALS} | {"backup_heater_w"}))
#: The machine's own signals (all but :data:`ingest.reading.CONTEXT`), averaged over the
#: hour's running readings only (:func:`ingest.reading.running`): idle and defrost minutes
#: would mix other states in. The context is averaged over every reading of an hour.
RUNNING_ONLY: Final = tuple(s for s in READ_SIGNALS if s not in CONTEXT)
#: What a model's hourly rows are; a saved model fitted on other rows is not used.
FEATURES: Final = ("hourly means, machine signals over running readings; fan speed itself; "
                   "conditions without the defrost share")
#: Residual channels: health signals by name, sensor consistency as ``sensor:<name>``.
CHANNELS: Final = HEALTH + tuple(f"sensor:{s}" for s in SENSORS)
MIN_ROWS: Final = 24
CLIP: Final = 6.0  # standardised inputs beyond this are treated as this
NOVELTY: Final = 0.5  # standardised margin beyond the training range that is still scored
HOLDOUT: Final = 0.25  # share of training days held out to measure day-to-day wobble
#: Saturation pressure is exponential in temperature: these are modelled as logarithms.
LOG_SIGNALS: Final = ("high_pressure", "low_pressure")
_LOG_COLS = np.array([s in LOG_SIGNALS for s in ALL_SIGNALS])
_N_POLY = len(CONDITIONS) + len(CONDITIONS) * (len(CONDITIONS) + 1) // 2
_IU = np.triu_indices(len(CONDITIONS))
_IDX = [ALL_SIGNALS.index(h) for h in HEALTH] + [ALL_SIGNALS.index(x) for x in SENSORS]


def _signals(frame: Frame) -> np.ndarray:
    """``frame``'s signals in ``ALL_SIGNALS`` order: pressures as logarithms, the ``PER_HZ``
    ratios derived."""
    hz = frame["compressor_hz"]
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = {name: np.where(hz >= RUNNING_HZ, frame[base] / hz, np.nan)
                   for name, base in PER_HZ.items()}
    raw = np.column_stack([derived[n] if n in derived else frame[n] for n in ALL_SIGNALS]) \
        if len(frame) else np.empty((0, len(ALL_SIGNALS)))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw[:, _LOG_COLS] = np.log(np.maximum(raw[:, _LOG_COLS], 1e-3))
    return raw


def _backup_on(frame: Frame) -> np.ndarray:
    """Rows where the electric backup heater ran: power and heat then describe more than the
    pump, so these hours are neither scored nor learnt from (a model would learn that a cold
    pump draws more per hertz)."""
    return np.asarray(np.nan_to_num(frame["backup_heater_w"]) > 0)


def _unlog(values: np.ndarray, columns: list[int]) -> np.ndarray:
    out = values.copy()
    logs = _LOG_COLS[columns]
    out[:, logs] = np.exp(out[:, logs])
    return out


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
    c_lo: np.ndarray  # (len(CONDITIONS),) standardised training range: no wild extrapolation
    c_hi: np.ndarray
    baseline_ms: int = 0  # end of the first, healthy training period (see detect.training)
    #: the clean coil just after a defrost (:mod:`detect.after_defrost`), once learnt
    defrost: DefrostReference | None = None

    def expected(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """Expected and observed values per channel: two ``(len(frame), len(CHANNELS))`` arrays.

        Rows where the compressor did not run, where the backup heater ran, or whose
        conditions lie outside what the model was trained on (a first cold snap), are
        NaN: nothing to compare with.
        """
        exp_t, obs_t = self._transformed(frame)
        return _unlog(exp_t, _IDX), _unlog(obs_t, _IDX)

    def _transformed(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        raw = _signals(frame)
        s = (raw - self.x_mu) / self.x_sd
        running = raw[:, ALL_SIGNALS.index("compressor_hz")] >= RUNNING_HZ
        c_std = s[:, [ALL_SIGNALS.index(c) for c in CONDITIONS]]
        with np.errstate(invalid="ignore"):
            novel = ((c_std < self.c_lo - NOVELTY) | (c_std > self.c_hi + NOVELTY)).any(axis=1)
        cond = _poly(np.clip(c_std, self.c_lo, self.c_hi))
        health = cond @ self.health_coef.T
        filled = np.clip(np.where(np.isnan(s), 0.0, s), -CLIP, CLIP)
        sensor = filled @ self.sensor_coef.T
        exp_std = np.hstack([health, sensor])
        expected = exp_std * self.x_sd[_IDX] + self.x_mu[_IDX]
        observed = raw[:, _IDX]
        backup = _backup_on(frame)
        bad = ~running | novel | backup | np.isnan(cond).any(axis=1)
        expected[bad] = np.nan
        observed = np.where(bad[:, None], np.nan, observed)
        # a sensor is only judged when the others are within the range seen in training
        with np.errstate(invalid="ignore"):
            wild = (np.abs(s) > CLIP).any(axis=1)
        expected[wild, len(HEALTH):] = np.nan
        observed[wild, len(HEALTH):] = np.nan
        return expected, observed

    def residuals(self, frame: Frame) -> np.ndarray:
        """``z``: (observed - expected) in units of this device's residual scale, per channel.

        (Pressures are compared as logarithms: relative deviations.)
        """
        expected, observed = self._transformed(frame)
        return self._z(expected, observed)

    def compare(self, frame: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`expected`'s expected and observed values and :meth:`residuals`' ``z``,
        from one pass over ``frame``."""
        exp_t, obs_t = self._transformed(frame)
        return _unlog(exp_t, _IDX), _unlog(obs_t, _IDX), self._z(exp_t, obs_t)

    def _z(self, expected: np.ndarray, observed: np.ndarray) -> np.ndarray:
        return (observed - expected) / (self.x_sd[_IDX] * self.z_sd)

    def novel(self, frame: Frame) -> np.ndarray:
        """Rows whose conditions lie outside what this model was trained on."""
        raw = _signals(frame)
        c_std = ((raw - self.x_mu) / self.x_sd)[:, [ALL_SIGNALS.index(c) for c in CONDITIONS]]
        with np.errstate(invalid="ignore"):
            return np.asarray(((c_std < self.c_lo - NOVELTY)
                               | (c_std > self.c_hi + NOVELTY)).any(axis=1))

    def with_version(self, version: int) -> NormalModel:
        return replace(self, version=version)


def _mad_sd(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(values, axis=0)
        return np.asarray(1.4826 * np.nanmedian(np.abs(values - med), axis=0))


def fit_normal(frame: Frame, now_ms: int, prior: FleetPrior | None = None,
               version: int = 1, alpha: float = 30.0) -> NormalModel:
    """Fit ``frame.device_id``'s normal on hourly means in ``frame`` (healthy history).

    The last quarter of the days is held out once, under a model fitted on the rest, for
    two things. **Which terms** each health signal gets: the quadratic terms in the
    conditions are kept only for a signal they predict better on those unseen days (a
    signal that follows the compressor speed alone, such as the fan's, only fits noise
    with them, and that noise returns as misfit on a colder week). **How much a day
    wobbles** (``day_sd``, ``precision``): measured on those days too, so it includes the
    misfit a model shows on days it has not seen. Raises :class:`ModelError` with fewer
    than ``MIN_ROWS`` running hours.
    """
    prior = prior or FleetPrior.flat()
    linear = np.zeros(len(HEALTH), dtype=bool)
    held: tuple[np.ndarray, np.ndarray] | None = None
    if len(frame) and (now_ms - int(frame.times_ms[0])) >= 8 * DAY_MS:
        cut = int(now_ms - HOLDOUT * (now_ms - int(frame.times_ms[0])))
        cut -= cut % DAY_MS
        try:
            head, late = frame.between(int(frame.times_ms[0]), cut), frame.between(cut, now_ms)
            early = _fit(head, cut, prior, version, alpha)
            simple = _fit(head, cut, prior, version, alpha, np.ones(len(HEALTH), dtype=bool))
            linear = _simpler_predicts_better(early, simple, late)
            early = _choose(early, simple, linear)
            held = early.residuals(late), late.times_ms
        except ModelError:
            pass
    model = _fit(frame, now_ms, prior, version, alpha, linear)
    scales, times = [model.residuals(frame)], [frame.times_ms]
    if held is not None:
        scales.append(held[0])
        times.append(held[1])
    day_sd, precision = _daily_scales(scales, times, now_ms)
    return replace(model, day_sd=day_sd, precision=precision)


def _simpler_predicts_better(full: NormalModel, simple: NormalModel,
                             late: Frame) -> np.ndarray:
    """Per health signal: does the model without quadratic terms predict ``late`` (days
    neither model saw) at least as well? Mean squared error (both models standardise
    alike, so the raw errors compare as the standardised ones); a signal with no scored
    hours keeps the quadratic terms."""
    n = len(HEALTH)
    errors = []
    for model in (full, simple):
        expected, observed = model._transformed(late)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            errors.append(np.nanmean((observed - expected)[:, :n] ** 2, axis=0))
    return np.asarray(np.nan_to_num(errors[1], nan=np.inf) <= np.nan_to_num(errors[0], nan=0.0))


def _choose(full: NormalModel, simple: NormalModel, linear: np.ndarray) -> NormalModel:
    """``full`` with the ``linear`` health signals' coefficients and scales from ``simple``
    (each health signal is its own regression, so they combine row by row)."""
    n = len(HEALTH)
    z_sd = full.z_sd.copy()
    z_sd[:n] = np.where(linear, simple.z_sd[:n], full.z_sd[:n])
    return replace(full, health_coef=np.where(linear[:, None], simple.health_coef,
                                              full.health_coef), z_sd=z_sd)


def _fit(frame: Frame, now_ms: int, prior: FleetPrior, version: int,
         alpha: float, linear: np.ndarray | None = None) -> NormalModel:
    raw = _signals(frame)
    hz = raw[:, ALL_SIGNALS.index("compressor_hz")] if len(raw) else np.empty(0)
    cond_idx = [ALL_SIGNALS.index(c) for c in CONDITIONS]
    rows = (hz >= RUNNING_HZ) & ~_backup_on(frame) & ~np.isnan(raw[:, cond_idx]).any(axis=1)
    if rows.sum() < MIN_ROWS:
        raise ModelError(f"device {frame.device_id} has {int(rows.sum())} running hours; "
                         f"a model needs at least {MIN_ROWS}")
    data = raw[rows]
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x_mu = np.nanmean(data, axis=0)
        x_sd = np.nanstd(data, axis=0)
    x_mu = np.where(np.isnan(x_mu), 0.0, x_mu)
    x_sd = np.where(np.isnan(x_sd) | (x_sd < 1e-6), 1.0, x_sd)
    s = (data - x_mu) / x_sd
    c_std = s[:, cond_idx]
    c_lo, c_hi = c_std.min(axis=0), c_std.max(axis=0)
    cond = _poly(c_std)
    health = _fit_health(cond, s[:, [ALL_SIGNALS.index(h) for h in HEALTH]], prior, alpha,
                         np.zeros(len(HEALTH), dtype=bool) if linear is None else linear)
    filled = np.clip(np.where(np.isnan(s), 0.0, s), -CLIP, CLIP)
    sensor = _fit_sensors(filled, s, prior, alpha)
    n_ch = len(CHANNELS)
    model = NormalModel(frame.device_id, version, now_ms, int(rows.sum()), x_mu, x_sd, health,
                        sensor, np.ones(n_ch), np.ones(n_ch), np.zeros((n_ch, n_ch)), c_lo, c_hi)
    z = model.residuals(Frame(frame.device_id, frame.times_ms[rows],
                              {n: v[rows] for n, v in frame.columns.items()}))
    z_sd = np.maximum(np.nan_to_num(_mad_sd(z), nan=1.0), 0.02)
    return replace(model, z_sd=z_sd)


def _fit_health(cond: np.ndarray, targets: np.ndarray, prior: FleetPrior,
                alpha: float, linear: np.ndarray) -> np.ndarray:
    """Every health signal from the conditions (a multi-output ridge), as a correction to
    the prior; the ``linear`` signals from the linear terms only (their prior's quadratic
    terms are zero). A signal the device does not send keeps the prior."""
    base = prior.health.copy()
    base[linear, len(CONDITIONS):] = 0.0
    coef = base.copy()
    have = (~np.isnan(targets)).sum(axis=0) >= MIN_ROWS
    if not have.any():
        return coef
    rows = ~np.isnan(targets[:, have]).any(axis=1)
    if rows.sum() < MIN_ROWS:
        return coef
    from sklearn.linear_model import Ridge  # here, not at the top: keeps the CLI fast

    for group, terms in ((have & ~linear, _N_POLY), (have & linear, len(CONDITIONS))):
        if not group.any():
            continue
        x = cond[rows][:, :terms]
        y = targets[rows][:, group] - x @ base[group, :terms].T
        coef[group, :terms] = base[group, :terms] + Ridge(alpha=alpha).fit(x, y).coef_
    return coef


def _fit_sensors(filled: np.ndarray, s: np.ndarray, prior: FleetPrior,
                 alpha: float) -> np.ndarray:
    """Each sensor from all the other signals: ridge solved from one shared Gram matrix."""
    coef = np.zeros_like(prior.sensor)
    gram = filled.T @ filled
    p = filled.shape[1]
    for k, name in enumerate(SENSORS):
        j = ALL_SIGNALS.index(name)
        ok = ~np.isnan(s[:, j])
        if ok.sum() < MIN_ROWS:
            continue
        keep = np.arange(p) != j
        base = prior.sensor[k][keep]
        x = filled[:, keep]
        g = gram[np.ix_(keep, keep)] if ok.all() else x[ok].T @ x[ok]
        y = s[ok, j] - x[ok] @ base
        delta = np.linalg.solve(g + alpha * np.eye(p - 1), x[ok].T @ y)
        coef[k, keep] = base + delta
    return coef


def _daily_scales(zs: list[np.ndarray], times: list[np.ndarray],
                  now_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale and precision of daily-mean residuals, in and (when given) out of sample."""
    n_ch = zs[0].shape[1]
    rows = []
    for z, t in zip(zs, times, strict=True):
        if len(t) == 0:
            continue
        days = max(1, int((now_ms - int(t[0])) // DAY_MS) + 1)
        daily = daily_means(t, z, now_ms, days)
        rows.append(daily[~np.isnan(daily).any(axis=1)])
    inside = rows[0] if rows else np.empty((0, n_ch))
    if len(inside) < 7:
        return np.full(n_ch, 1.0), np.zeros((n_ch, n_ch))
    centred = inside - np.median(inside, axis=0)
    day_sd = np.sqrt(np.mean(centred**2, axis=0))
    if len(rows) > 1 and len(rows[1]) >= 3:
        out = rows[1]
        day_sd = np.maximum(day_sd, np.sqrt(np.mean(out**2, axis=0)))
        centred = np.vstack([centred, out])
    day_sd = np.maximum(day_sd, 0.25)
    from sklearn.covariance import LedoitWolf

    precision = LedoitWolf(assume_centered=True).fit(centred / day_sd).precision_
    return day_sd, np.asarray(precision)
