"""Replay the detectors over stored history in scheduler time steps, as the live runner would.

For each device the history is read once through the telemetry store; then time
advances in steps of ``step_ms``. At each step the engine sees exactly what the
runner would see at that moment: the raw readings since the previous step (the
quick checks of that interval, coalesced), hourly means of the scoring lookback, the
device's events, and the model trained so far. Models are retrained every
``retrain_ms`` under the same :class:`~detect.training.RetrainPolicy` as live, and
start from the fleet prior learnt from the devices replayed before.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from detect import after_defrost
from detect.cohort import COHORT_CHANNELS, climate_of, cohort_residuals, device_residuals
from detect.detector import DeviceWindow
from detect.engine import MODEL_DETECTORS, Engine
from detect.evaluation.feedback import Technician
from detect.findings import Finding
from detect.frame import DAY_MS, HOUR_MS, SCATTER_AGGREGATES, Frame, downsample, with_scatter
from detect.hunting import SCATTER_SIGNALS
from detect.labels import Label
from detect.normal import RUNNING_ONLY, FleetPrior, NormalModel
from detect.training import RetrainPolicy, fleet_prior, retrain
from ingest.records import DeviceEvent
from ingest.store.base import TelemetryStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayConfig:
    step_ms: int = 6 * HOUR_MS
    retrain_ms: int = 7 * DAY_MS
    score_lookback_days: float = 14.0
    events_lookback_ms: int = 6 * HOUR_MS
    #: A simulated fleet starts on one day: there is no established fleet whose prior a
    #: new device could lean on, so no provisional models (live, new devices get them).
    policy: RetrainPolicy = field(
        default_factory=lambda: RetrainPolicy(prior_days=float("inf")))


@dataclass(frozen=True)
class History:
    raw: Frame
    hourly: Frame
    events: tuple[DeviceEvent, ...]


def load_history(store: TelemetryStore, device_id: str, start_ms: int, stop_ms: int) -> History:
    readings = store.read_readings(device_id, start_ms, stop_ms)
    names = sorted({n for r in readings for n in r.signals})
    col = {n: i for i, n in enumerate(names)}
    values = np.full((len(readings), len(names)), np.nan)
    for row, r in enumerate(readings):
        for name, v in r.signals.items():
            values[row, col[name]] = v
    times = np.array([r.ts_ms for r in readings], dtype=np.int64)
    raw = Frame(device_id, times, {n: values[:, i] for n, i in col.items()})
    events = tuple(store.events(device_id, start_ms, stop_ms))
    return History(raw, hourly_rows(raw), events)


def hourly_rows(raw: Frame) -> Frame:
    """The hourly rows the live runner reads from a store, from raw readings: the means
    the models read and the scatter the hunting detector reads."""
    means = downsample(raw, HOUR_MS, RUNNING_ONLY)
    state = {k: raw[k] for k in (*SCATTER_SIGNALS, "compressor_hz", "defrost")}
    sub = Frame(raw.device_id, raw.times_ms, state)
    scattered = with_scatter(means, {a: downsample(sub, HOUR_MS, SCATTER_SIGNALS, a)
                                     for a in SCATTER_AGGREGATES}, SCATTER_SIGNALS)
    return after_defrost.attach(scattered,
                                after_defrost.after_defrost_hourly(after_defrost.from_raw(raw)))


def residual_history(history: History, start_ms: int, stop_ms: int, config: ReplayConfig,
                     prior: FleetPrior | None) -> tuple[np.ndarray, np.ndarray]:
    """Hourly residuals of one device over its history, each hour under the model in use
    then (retrained on the same schedule as the replay): the input to its cohort."""
    hourly = history.hourly
    model: NormalModel | None = None
    times, zs = [], []
    t = start_ms + config.step_ms
    while t <= stop_ms:
        new = retrain(hourly.between(start_ms, t), t, model, prior, config.policy)
        model = new or model
        chunk = hourly.between(t, t + config.retrain_ms)
        if model is not None and len(chunk):
            times.append(chunk.times_ms)
            zs.append(device_residuals(model, chunk).astype(np.float32))
        t += config.retrain_ms
    if not times:
        return (np.empty(0, dtype=np.int64),
                np.empty((0, len(COHORT_CHANNELS)), dtype=np.float32))
    return np.concatenate(times), np.vstack(zs)


def replay_device(history: History, start_ms: int, stop_ms: int, engine: Engine,
                  config: ReplayConfig, prior: FleetPrior | None,
                  models: list[NormalModel] | None = None,
                  cohort: Frame | None = None,
                  technician: Technician | None = None) -> list[Finding]:
    """Every finding the engine makes for one device's history, step by step.

    With a ``technician``, the loop is closed as live: a finding opens a ticket (later
    findings join it until the check), the check's label reaches the retrain at the
    next step, as the daily retrain would pick it up."""
    raw, hourly = history.raw, history.hourly
    event_times = np.array([e.ts_ms for e in history.events], dtype=np.int64)
    model: NormalModel | None = None
    last_train = -(10**18)
    last_model_finding: int | None = None
    findings: list[Finding] = []
    labels: list[Label] = []
    pending: Label | None = None  # the open ticket's outcome, known at its check
    lookback = int(config.score_lookback_days * DAY_MS)
    t = start_ms + config.step_ms
    while t <= stop_ms:
        heard = pending if pending is not None and pending.end_ms <= t else None
        if heard is not None:
            labels.append(heard)
            pending = None
        if t - last_train >= config.retrain_ms or (heard is not None
                                                   and heard.label == "no_fault"):
            new = retrain(hourly.between(start_ms, t), t, model, prior, config.policy,
                          last_model_finding, labels)
            if new is not None:
                model = new
                if models is not None and new.version == 1:
                    models.append(new)
            last_train = t
        lo, hi = np.searchsorted(raw.times_ms, [t - config.step_ms, t])
        recent = Frame(raw.device_id, raw.times_ms[lo:hi],
                       {k: v[lo:hi] for k, v in raw.columns.items()})
        last = int(raw.times_ms[hi - 1]) if hi > 0 else None
        e_lo, e_hi = np.searchsorted(event_times, [t - config.events_lookback_ms, t])
        window = DeviceWindow(raw.device_id, t, recent, hourly.between(t - lookback, t),
                              history.events[e_lo:e_hi], last, model, cohort=cohort)
        new_findings = engine.run(window)
        if any(f.detector in MODEL_DETECTORS for f in new_findings):
            last_model_finding = t
        if technician is not None and pending is None and new_findings:
            pending = technician.outcome(raw.device_id, new_findings[0].diagnosis.fault, t)
        findings.extend(new_findings)
        t += config.step_ms
    return findings


def replay(store: TelemetryStore, device_ids: Sequence[str], start_ms: int, stop_ms: int,
           engine: Engine, config: ReplayConfig = ReplayConfig(),
           progress: Callable[[str, int, int], None] | None = None,
           technician: Technician | None = None) -> list[Finding]:
    """Replay every device (one failing device never stops the others).

    Two passes, as the live scoring cycle does within each run: first every device's
    residuals (for the per-region cohort), then the detectors (with ``technician``,
    closing the loop through outcome labels: see :func:`replay_device`).
    """
    n = len(device_ids)
    climates = {d: climate_of(m.doc if (m := store.latest_meta(d)) else None)
                for d in device_ids}
    series: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    first_models: list[NormalModel] = []
    for k, device_id in enumerate(device_ids):
        try:
            history = load_history(store, device_id, start_ms, stop_ms)
            series[climates[device_id]].append(
                residual_history(history, start_ms, stop_ms, config, None))
        except Exception:
            log.exception("residuals of device %s failed; continuing with the others",
                          device_id)
        if progress:
            progress("cohort", k + 1, n)
    cohorts = {c: cohort_residuals(s, COHORT_CHANNELS) for c, s in series.items()}
    findings: list[Finding] = []
    for k, device_id in enumerate(device_ids):
        prior = fleet_prior(first_models) if len(first_models) >= 5 else None
        try:
            history = load_history(store, device_id, start_ms, stop_ms)
            findings.extend(replay_device(history, start_ms, stop_ms, engine, config, prior,
                                          first_models, cohorts.get(climates[device_id]),
                                          technician))
        except Exception:
            log.exception("replay of device %s failed; continuing with the others", device_id)
        if progress:
            progress("replay", k + 1, n)
    return findings
