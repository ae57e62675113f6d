"""``forewarn detect``: the live runner. Reads windows from the telemetry store, runs the
engine on an APScheduler schedule and hands findings to a :class:`~detect.sink.FindingSink`.

Three jobs, intervals from :class:`config.DetectSettings`:

* **quick** (every few minutes): rules on recent raw readings, events, silence;
* **score** (hourly): the learned-normal detectors on hourly means (aggregation is
  pushed into the store: Flux ``aggregateWindow`` for InfluxDB);
* **retrain** (daily): refit device models, save a new model version; what technicians
  found (dispatch's outcome labels) feeds back here.

All jobs share one worker thread, so runs never overlap; each job has
``max_instances=1`` and ``coalesce=True``, so missed runs collapse into one. A
failure while handling one device is logged and counted and never stops the
others. With ``shard``, the runner only handles the devices its shard owns.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from config import DetectSettings
from detect import after_defrost
from detect.cohort import COHORT_CHANNELS, climate_of, cohort_residuals, device_residuals
from detect.detector import Cadence, DeviceWindow
from detect.engine import MODEL_DETECTORS, Engine
from detect.errors import NoModelError
from detect.frame import HOUR_MS, SCATTER_AGGREGATES, Frame, concat, with_scatter
from detect.hunting import SCATTER_SIGNALS
from detect.labels import read_labels
from detect.normal import READ_SIGNALS, RUNNING_ONLY
from detect.registry import ModelRegistry, ModelSet
from detect.shard import Shard
from detect.sink import FindingSink
from detect.training import RetrainPolicy, fleet_prior, retrain
from ingest.store.base import Aggregate, DeviceSummary, SignalFrame, TelemetryStore

log = logging.getLogger(__name__)
Clock = Callable[[], float]
FLEET_CHUNK = 20_000  # devices per fleet-wide read
#: a scoring run reads the post-defrost readings of this long before the last run again
AFTER_DEFROST_REREAD_MS = 3 * HOUR_MS


@dataclass
class CycleReport:
    job: str
    now_ms: int
    devices: int = 0
    findings: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    started: float = 0.0  # time.monotonic() at start, to show runs never overlap


class DetectRunner:
    """Runs detector cycles for the devices of one shard."""

    def __init__(self, store: TelemetryStore, sink: FindingSink, settings: DetectSettings,
                 registry: ModelRegistry | None = None, engine: Engine | None = None,
                 shard: Shard = Shard(), clock: Clock = time.time,
                 only: Sequence[str] | None = None, labels_path: Path | None = None) -> None:
        self.store, self.sink, self.settings = store, sink, settings
        self.labels_path = labels_path  # what technicians found (dispatch.labels_path)
        self.only = set(only) if only is not None else None
        self.registry = registry or ModelRegistry(settings.models_dir)
        self.engine = engine or Engine()
        self.shard, self.clock = shard, clock
        self.reports: list[CycleReport] = []
        #: when each device last had a model finding: its retrain waits the quiet period
        #: after it, as the replay's does (kept in memory: a restart forgets it)
        self.last_model_finding: dict[str, int] = {}
        #: each device's post-defrost readings as last read, and the window they cover
        self._after: dict[str, tuple[Frame, int, int]] = {}
        self._scheduler: BackgroundScheduler | None = None
        try:
            self.models = self.registry.load()
        except NoModelError:
            self.models = ModelSet()

    def _now_ms(self, now_ms: int | None) -> int:
        return int(self.clock() * 1000) if now_ms is None else now_ms

    def devices(self) -> list[str]:
        """The devices this shard owns, among those heard from in the scoring lookback."""
        since = int(self.clock() * 1000 - self.settings.score_lookback * 1000)
        return [d.device_id for d in self.store.devices(max(since, 0))
                if self.shard.owns(d.device_id)
                and (self.only is None or d.device_id in self.only)]

    def window(self, device_id: str, now_ms: int, cadence: Cadence,
               summary: DeviceSummary | None = None) -> DeviceWindow:
        """What the detectors of ``cadence`` need for ``device_id`` at ``now_ms``
        (``summary``: the device's store summary from a ``devices(since)`` listing the
        caller already has; it saves a fleet-wide listing when it knows the last reading)."""
        quick_ms = int(self.settings.quick_lookback * 1000)
        recent = Frame.from_signal_frame(
            self.store.read_signals(device_id, now_ms - quick_ms, now_ms))
        last = int(recent.times_ms[-1]) if len(recent) else None
        if last is None:
            if summary is None or summary.last_reading_ms is None:
                summary = next((d for d in self.store.devices() if d.device_id == device_id),
                               None)
            last = summary.last_reading_ms if summary else None
        hourly = Frame.empty(device_id)
        if cadence == "model":
            start = now_ms - int(self.settings.score_lookback * 1000)
            hourly = self._hourly(device_id, start, now_ms)
        events = tuple(self.store.events(device_id, now_ms - 6 * HOUR_MS, now_ms + 1))
        return DeviceWindow(device_id, now_ms, recent, hourly, events, last,
                            self.models.models.get(device_id))

    def _hourly(self, device_id: str, start_ms: int, stop_ms: int,
                scatter: bool = True) -> Frame:
        """The hourly rows a model reads, averaged in the store; with ``scatter``, also the
        within-hour scatter the hunting detector reads (from each hour's min, max, count)."""
        def read(signals: Sequence[str], aggregate: Aggregate) -> Frame:
            return Frame.from_signal_frame(self.store.read_signals(
                device_id, start_ms, stop_ms, signals, every_ms=HOUR_MS,
                running_only=RUNNING_ONLY, aggregate=aggregate))

        rows = self.store.read_fleet_after_defrost(
            start_ms, stop_ms, after_defrost.SIGNALS, device_ids=[device_id]
        ).get(device_id, SignalFrame(device_id))
        means = _with_after_defrost(read(READ_SIGNALS, "mean"), Frame.from_signal_frame(rows))
        if not scatter:
            return means
        return with_scatter(means, {a: read(SCATTER_SIGNALS, a) for a in SCATTER_AGGREGATES},
                            SCATTER_SIGNALS)

    def _after_defrost(self, devices: list[str], start_ms: int, stop_ms: int
                       ) -> dict[str, Frame]:
        """Each device's post-defrost readings in ``[start_ms, stop_ms)``.

        Read whole the first time; after that only what came since the device's last
        scoring run, and the :data:`AFTER_DEFROST_REREAD_MS` before it again (readings
        that arrived late), onto what was read then: a run reads an hour or so, not the
        whole lookback."""
        known: dict[str, Frame] = {}  # devices whose last read covers this one's start
        for d in devices:
            if d in self._after:
                rows, first, last = self._after[d]
                if first <= start_ms <= last - AFTER_DEFROST_REREAD_MS <= stop_ms:
                    known[d] = rows
        since = min((self._after[d][2] for d in known), default=stop_ms) \
            - AFTER_DEFROST_REREAD_MS
        fresh: dict[str, SignalFrame] = {}
        cold = [d for d in devices if d not in known]
        if cold:
            fresh |= self.store.read_fleet_after_defrost(start_ms, stop_ms,
                                                         after_defrost.SIGNALS, device_ids=cold)
        if known:
            fresh |= self.store.read_fleet_after_defrost(since, stop_ms, after_defrost.SIGNALS,
                                                         device_ids=list(known))
        out: dict[str, Frame] = {}
        for d in devices:
            new = Frame.from_signal_frame(fresh.get(d, SignalFrame(d)))
            out[d] = concat(known[d].between(start_ms, since), new) if d in known else new
            self._after[d] = (out[d], start_ms, stop_ms)
        return out

    def _cycle(self, job: str, cadence: Cadence, now_ms: int | None) -> CycleReport:
        now = self._now_ms(now_ms)
        started = time.perf_counter()
        report = CycleReport(job, now, started=time.monotonic())
        windows: dict[str, DeviceWindow] = {}
        summaries = {d.device_id: d for d in self.store.devices(
            max(0, int(now - self.settings.score_lookback * 1000)))}
        devices = self.devices()
        hourly = self._fleet_hourly(devices, now) if cadence == "model" else {}
        for device_id in devices:
            report.devices += 1
            try:
                if cadence == "model":
                    windows[device_id] = DeviceWindow(
                        device_id, now, Frame.empty(device_id),
                        hourly.get(device_id) or Frame.empty(device_id),
                        model=self.models.models.get(device_id))
                else:
                    windows[device_id] = self.window(device_id, now, cadence,
                                                      summaries.get(device_id))
            except Exception as exc:  # one device must never stop the others
                log.exception("%s: reading device %s failed", job, device_id)
                report.failures[device_id] = f"{type(exc).__name__}: {exc}"
        cohorts = self._cohorts(windows, summaries) if cadence == "model" else {}
        for device_id, window in windows.items():
            try:
                region = climate_of(_meta(summaries.get(device_id)))
                if region in cohorts:
                    window = replace(window, cohort=cohorts[region], cache={})
                findings = self.engine.run(window, cadence)
                if any(f.detector in MODEL_DETECTORS for f in findings):
                    self.last_model_finding[device_id] = now
                self.sink.put(findings)
                report.findings += len(findings)
            except Exception as exc:
                log.exception("%s: device %s failed", job, device_id)
                report.failures[device_id] = f"{type(exc).__name__}: {exc}"
        report.seconds = time.perf_counter() - started
        self.reports.append(report)
        log.info("%s cycle: %d devices, %d findings, %d failures in %.1f s", job,
                 report.devices, report.findings, len(report.failures), report.seconds)
        return report

    def _fleet_hourly(self, devices: list[str], now: int) -> dict[str, Frame]:
        """Hourly means (and the scatter of :data:`SCATTER_SIGNALS`, and the post-defrost
        columns) of every device of the run: fleet-wide reads aggregated in the store, in
        chunks so memory stays bounded. The three reads of a chunk run at once: each is one
        query the store works on by itself (InfluxDB answers them on several cores)."""
        start = now - int(self.settings.score_lookback * 1000)
        out: dict[str, Frame] = {}
        for i in range(0, len(devices), FLEET_CHUNK):
            chunk = devices[i:i + FLEET_CHUNK]
            with ThreadPoolExecutor(3, thread_name_prefix="fleet-read") as pool:
                reading_means = pool.submit(
                    self.store.read_fleet_signals, start, now, HOUR_MS, READ_SIGNALS,
                    device_ids=chunk, running_only=RUNNING_ONLY)
                reading_scatter = pool.submit(
                    self.store.read_fleet_aggregates, start, now, HOUR_MS, SCATTER_AGGREGATES,
                    SCATTER_SIGNALS, device_ids=chunk, running_only=RUNNING_ONLY)
                reading_after = pool.submit(self._after_defrost, chunk, start, now)
                means, reads, after = (reading_means.result(), reading_scatter.result(),
                                       reading_after.result())
            for device_id, frame in means.items():
                empty = SignalFrame(device_id)
                hourly = _with_after_defrost(Frame.from_signal_frame(frame), after[device_id])
                out[device_id] = with_scatter(
                    hourly, {a: Frame.from_signal_frame(r.get(device_id, empty))
                             for a, r in reads.items()}, SCATTER_SIGNALS)
        return out

    @staticmethod
    def _cohorts(windows: dict[str, DeviceWindow],
                 summaries: dict[str, DeviceSummary]) -> dict[str, Frame]:
        """Per region, the hourly median residuals of this run's devices (and of their
        post-defrost readings)."""
        series: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        for device_id, w in windows.items():
            if w.model is not None and len(w.hourly):
                region = climate_of(_meta(summaries.get(device_id)))
                series[region].append((w.hourly.times_ms, device_residuals(w.model, w.hourly)))
        return {region: cohort_residuals(s, COHORT_CHANNELS) for region, s in series.items()}

    def quick_cycle(self, now_ms: int | None = None) -> CycleReport:
        return self._cycle("quick", "quick", now_ms)

    def score_cycle(self, now_ms: int | None = None) -> CycleReport:
        return self._cycle("score", "model", now_ms)

    def retrain_cycle(self, now_ms: int | None = None) -> CycleReport:
        """Refit every device's model; save a new version (the previous one stays).

        Reads the outcome labels dispatch writes (``labels_path``) first: a device a
        technician found sound is re-baselined (:func:`detect.training.retrain`)."""
        now = self._now_ms(now_ms)
        started = time.perf_counter()
        report = CycleReport("retrain", now, started=time.monotonic())
        policy = RetrainPolicy(train_days=self.settings.train_window / 86_400.0)
        prior = self.models.prior
        updated = dict(self.models.models)
        labels = read_labels(self.labels_path)
        for device_id in self.devices():
            report.devices += 1
            try:
                start = now - int(self.settings.train_window * 1000)
                hourly = self._hourly(device_id, start, now, scatter=False)
                model = retrain(hourly, now, updated.get(device_id), prior, policy,
                                self.last_model_finding.get(device_id),
                                labels.get(device_id, ()))
                if model is not None:
                    updated[device_id] = model
            except Exception as exc:
                log.exception("retrain: device %s failed; it keeps its model", device_id)
                report.failures[device_id] = f"{type(exc).__name__}: {exc}"
        if updated:
            new = ModelSet(0, updated, fleet_prior(updated.values())
                           if len(updated) >= 5 else prior, now)
            new.version = self.registry.save(new, now)
            self.models = new
        report.seconds = time.perf_counter() - started
        self.reports.append(report)
        return report

    # -- scheduling -----------------------------------------------------------------------

    def start(self) -> BackgroundScheduler:
        """Start the three jobs on a background scheduler (first runs at once)."""
        scheduler = BackgroundScheduler(
            executors={"default": JobExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.settings.misfire_grace)})
        s = self.settings
        for job, seconds in ((self.retrain_cycle, s.retrain_interval),
                             (self.quick_cycle, s.quick_interval),
                             (self.score_cycle, s.score_interval)):
            scheduler.add_job(job, IntervalTrigger(seconds=seconds), id=job.__name__,
                              next_run_time=_now_dt())
        scheduler.start()
        self._scheduler = scheduler
        return scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None


def _with_after_defrost(hourly: Frame, rows: Frame) -> Frame:
    """``hourly`` with the post-defrost columns (:mod:`detect.after_defrost`) of the
    device's post-defrost readings ``rows``."""
    return after_defrost.attach(hourly, after_defrost.after_defrost_hourly(rows))


def _meta(summary: DeviceSummary | None) -> dict[str, Any] | None:
    return summary.meta.doc if summary is not None and summary.meta is not None else None


def _now_dt() -> datetime:
    return datetime.now(UTC)
