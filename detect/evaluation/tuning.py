"""Threshold tuning: replay a simulated fleet once, re-decide its findings at other settings.

Scoring is the slow part of an evaluation; deciding is cheap. :class:`RecordingEngine`
runs in the normal replay (:func:`detect.evaluation.replay.replay`) and makes exactly
the findings the plain :class:`~detect.engine.Engine` makes (the replay's retraining
reacts to them), while it records every step of every device: the scores at or above
``floor`` x their threshold, each with the diagnosis it would get as a finding, and the
step itself even when nothing was recorded (a step under the line breaks a streak).

:func:`redecide` feeds those recorded scores, step by step, through
:meth:`Engine.fire <detect.engine.Engine.fire>` -- the engine's own decision -- at other
thresholds, persistence or agreement, and returns the findings it would have made; the
scores, the models and the retraining stay as recorded. Re-deciding at a threshold below
``floor`` x the recorded one would miss scores, so it is refused. :func:`grid` scores
every combination of settings with :func:`detect.evaluation.metrics.score`.

A :class:`TuningFleet` (the simulated run, its recording and how long recording took)
pickles, so ``benchmarks/tune.py`` records a fleet once and re-runs grids in seconds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import threadpool_limits

from detect.detector import Cadence, DeviceWindow, Score
from detect.diagnosis import Diagnosis
from detect.engine import Engine
from detect.evaluation.metrics import score
from detect.evaluation.replay import ReplayConfig, replay
from detect.evaluation.simulate import SimulatedRun
from detect.findings import Finding
from ingest.store.base import TelemetryStore

#: Scores under this share of their threshold are not recorded.
DEFAULT_FLOOR = 0.2


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded score (detector, device, time, value, signals only) and its diagnosis."""

    score: Score
    diagnosis: Diagnosis


@dataclass(frozen=True, slots=True)
class Step:
    """One engine run: a device at a time, for a cadence, with the scores recorded then."""

    device_id: str
    ts_ms: int
    cadence: Cadence | None
    scores: tuple[Recorded, ...]


@dataclass
class Recording:
    """Every step a :class:`RecordingEngine` ran, and the settings it ran under."""

    floor: float
    thresholds: dict[str, float]
    persistence: dict[str, int]
    agreement: int
    voters: tuple[str, ...]
    #: every detector's name and cadence (a step of a cadence advances only its detectors)
    detectors: tuple[tuple[str, Cadence], ...]
    steps: list[Step] = field(default_factory=list)
    #: the engine's ``sensor_margin`` (recordings made before it had one used none)
    sensor_margin: float = 1.0
    #: the engine's ``sensor_trend`` and ``sensor_trend_r2`` (recordings made before it had
    #: them kept no trends, so a re-decision of those goes by the margin alone)
    sensor_trend: tuple[float, float] = (Engine.sensor_trend, Engine.sensor_trend_r2)

    @property
    def records(self) -> int:
        return sum(len(s.scores) for s in self.steps)


class RecordingEngine(Engine):
    """An :class:`Engine` that records what it scores (see the module doc)."""

    def __init__(self, floor: float = DEFAULT_FLOOR, **engine: Any) -> None:
        super().__init__(**engine)
        self.recording = Recording(floor, dict(self.thresholds), dict(self.persistence),
                                   self.agreement, tuple(self.voters),
                                   tuple((d.name, d.cadence) for d in self.detectors),
                                   sensor_margin=self.sensor_margin,
                                   sensor_trend=(self.sensor_trend, self.sensor_trend_r2))

    def run(self, window: DeviceWindow, cadence: Cadence | None = None) -> list[Finding]:
        scores = self.scores(window, cadence)
        floor = self.recording.floor
        signature = self.signature(scores)
        kept = [
            Recorded(Score(s.detector, s.device_id, s.ts_ms, s.value, s.signals),
                     self.diagnosis(s, signature))
            for s in scores
            if s.detector in self.thresholds and s.value >= floor * self.thresholds[s.detector]
            and s.detector != self.trend_detector]
        trend = self._trend_record(scores, kept, signature)
        if trend is not None:
            kept.append(trend)
        self.recording.steps.append(Step(window.device_id, window.now_ms, cadence, tuple(kept)))
        return self.findings(window, scores, cadence)

    def _trend_record(self, scores: Sequence[Score], kept: Sequence[Recorded],
                      signature: Mapping[str, float] | None) -> Recorded | None:
        """The trend detector's score as recorded: when a kept vote names a sensor, under the
        floor too, with that sensor's trend (all a re-decision reads of its trends);
        otherwise like any score."""
        trend = next((s for s in scores if s.detector == self.trend_detector), None)
        if trend is None or trend.detector not in self.thresholds:
            return None
        named = {str(r.diagnosis.sensor) for r in kept if r.score.detector in self.voters
                 and r.diagnosis.remedy == "remote_check"}
        trends = self.trends(scores) if named else None
        if trends is not None:
            details = {"trends": {k: v for k, v in trends.items() if k in named}}
        elif trend.value >= self.recording.floor * self.thresholds[trend.detector]:
            details = {}
        else:
            return None
        return Recorded(Score(trend.detector, trend.device_id, trend.ts_ms, trend.value,
                              trend.signals, details=details), self.diagnosis(trend, signature))


@dataclass(frozen=True)
class _Replayed:
    """A stand-in detector for re-deciding: its name and cadence are all the decision uses."""

    name: str
    cadence: Cadence
    threshold: float

    def score(self, window: DeviceWindow) -> list[Score]:
        return []


def redecide(recording: Recording, thresholds: Mapping[str, float] | None = None,
             persistence: Mapping[str, int] | None = None,
             agreement: int | None = None,
             sensor_margin: float | None = None) -> list[Finding]:
    """The findings the engine would have made on the recorded scores at these settings
    (each unset one as recorded). Findings carry detector, time, score, threshold,
    signals and diagnosis; no evidence, failure window or model version."""
    thr = recording.thresholds | dict(thresholds or {})
    for name, value in thr.items():
        recorded = recording.thresholds.get(name)
        if recorded is not None and value < recording.floor * recorded:
            raise ValueError(f"{name} threshold {value:g} is under what was recorded "
                             f"({recording.floor:g} x {recorded:g}); record with a lower floor")
    engine = Engine(detectors=[_Replayed(n, c, recording.thresholds.get(n, float("inf")))
                               for n, c in recording.detectors],
                    thresholds=thr, persistence=recording.persistence | dict(persistence or {}),
                    voters=recording.voters,
                    agreement=recording.agreement if agreement is None else agreement,
                    sensor_margin=(recording.sensor_margin if sensor_margin is None
                                   else sensor_margin),
                    sensor_trend=recording.sensor_trend[0],
                    sensor_trend_r2=recording.sensor_trend[1])
    findings: list[Finding] = []
    quiet: dict[str, Cadence | None] = {}  # devices whose last step recorded nothing, by cadence
    for step in recording.steps:
        if not step.scores:
            # A second empty step in a row of the same cadence changes no streak.
            if step.device_id in quiet and quiet[step.device_id] == step.cadence:
                continue
            quiet[step.device_id] = step.cadence
        else:
            quiet.pop(step.device_id, None)
        fired = engine.fire(step.device_id, [r.score for r in step.scores], step.cadence,
                            [r.diagnosis for r in step.scores])
        for s in fired:
            rec = next(r for r in step.scores if r.score is s)
            findings.append(Finding.from_score(s, thr[s.detector], rec.diagnosis))
    return findings


@dataclass
class TuningFleet:
    """A simulated fleet, its recorded replay, and how long recording took (seconds)."""

    run: SimulatedRun
    recording: Recording
    seconds: float
    #: how many findings the replay made (at the recording's settings)
    findings: int


def record(store: TelemetryStore, run: SimulatedRun, floor: float = DEFAULT_FLOOR,
           config: ReplayConfig = ReplayConfig(),
           progress: Callable[[str, int, int], None] | None = None,
           **engine: Any) -> TuningFleet:
    """Replay ``run`` (already in ``store``) as ``forewarn evaluate`` does, recording it."""
    recorder = RecordingEngine(floor, **engine)
    started = time.perf_counter()
    with threadpool_limits(1):  # tiny matrices: threads cost more than they give
        findings = replay(store, run.device_ids, run.start_ms, run.end_ms, recorder, config,
                          progress)
    return TuningFleet(run, recorder.recording, time.perf_counter() - started, len(findings))


@dataclass(frozen=True)
class GridRow:
    """One combination of settings and the metric summary of each fleet under it."""

    thresholds: dict[str, float]
    persistence: int | None
    agreement: int | None
    sensor_margin: float | None
    #: :attr:`detect.evaluation.metrics.Report.summary` per fleet, in the fleets' order
    summaries: list[dict[str, Any]]
    #: every setting as recorded (the engine's defaults when recorded with them)
    recorded: bool


def grid(fleets: Sequence[TuningFleet], thresholds: Mapping[str, Sequence[float]],
         persistence: Sequence[int] | None = None,
         agreement: Sequence[int] | None = None,
         sensor_margin: Sequence[float] | None = None) -> list[GridRow]:
    """Every combination of the ``thresholds`` values per detector (and of ``persistence``,
    applied to every detector that has one, ``agreement`` and ``sensor_margin``),
    re-decided on every fleet and scored against its ground truth."""
    names = list(thresholds)
    pers_values: Sequence[int | None] = persistence or [None]
    agree_values: Sequence[int | None] = agreement or [None]
    margin_values: Sequence[float | None] = sensor_margin or [None]
    rows = []
    for values, pers, agree, margin in itertools.product(
            itertools.product(*(thresholds[n] for n in names)), pers_values, agree_values,
            margin_values):
        thr = {n: float(v) for n, v in zip(names, values, strict=True)}
        summaries = []
        recorded = True
        for fleet in fleets:
            rec = fleet.recording
            per = {d: pers for d in rec.persistence} if pers is not None else None
            findings = redecide(rec, thr, per, agree, margin)
            summaries.append(score(findings, fleet.run.truth).summary)
            recorded = recorded and all(rec.thresholds.get(n) == v for n, v in thr.items()) \
                and (per is None or per == rec.persistence) \
                and (agree is None or agree == rec.agreement) \
                and (margin is None or margin == rec.sensor_margin)
        rows.append(GridRow(thr, pers, agree, margin, summaries, recorded))
    return rows
