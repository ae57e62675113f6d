"""The decision step and the engine: scores in, findings out, for one device window.

Detectors only score (:mod:`detect.detector`); :class:`Engine` runs those of a
cadence, keeps the scores at or above their threshold, diagnoses them and, for a
degrading fault, extrapolates the failure window. Pure: the same engine runs in the
live runner and in the evaluation replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from detect.detector import Cadence, Detector, DeviceWindow, Score
from detect.diagnosis import UNKNOWN, Diagnosis, diagnose, diagnose_shift
from detect.drift import ResidualCusum, ResidualEwma
from detect.findings import Finding
from detect.hunting import Hunting
from detect.icing import Icing
from detect.multivariate import ResidualT2
from detect.residuals import residuals
from detect.rules import ErrorCodes, PhysicalLimits, Silence
from detect.sensors import SensorDrift, SensorDropout, StuckSensor
from detect.ttf import FailureWindow, time_to_failure

#: Model detectors must agree with themselves on two runs in a row (a one-off wobble of a
#: residual is not a developing fault); rules act at once.
PERSISTENCE = {"residual_ewma": 2, "residual_cusum": 2, "residual_t2": 2, "sensor_drift": 2,
               "superheat_hunting": 2, "defrost_icing": 2}
VOTERS = ("residual_ewma", "residual_cusum", "residual_t2")
#: Detectors that judge a device against its model: after one of their findings the
#: retrain waits (:attr:`detect.training.RetrainPolicy.quiet_days`), so a fault is not learnt.
MODEL_DETECTORS = frozenset({*VOTERS, "sensor_drift", "defrost_icing"})
#: Detectors whose own diagnosis gives way to the residual signature's when that names a
#: mechanical fault at least this alike: a consistency trend may come from a machine fault
#: too; less pressure after a defrost is also what a leak or a weak fan gives (a starved or
#: ill-ventilated evaporator), while an icing coil's own signature names the defrost.
SIGNATURE_OVER: Mapping[str, float] = {"sensor_drift": 0.6, "defrost_icing": 0.3}


def default_detectors(silence_after_s: float = 1800.0) -> list[Detector]:
    """Every heat-pump detector with its default settings."""
    return [ErrorCodes(), Silence(silence_after_s), PhysicalLimits(), SensorDropout(),
            StuckSensor(), SensorDrift(), ResidualEwma(), ResidualCusum(), ResidualT2(),
            Hunting(), Icing()]


def decide(scores: Sequence[Score], thresholds: Mapping[str, float]) -> list[Score]:
    """The scores at or above their detector's threshold."""
    return [s for s in scores if s.value >= thresholds.get(s.detector, float("inf"))]


@dataclass
class Engine:
    """Runs detectors on a window and turns the scores that cross a threshold into findings."""

    detectors: list[Detector] = field(default_factory=default_detectors)
    thresholds: dict[str, float] = field(default_factory=dict)
    signature_detector: str = "residual_ewma"
    #: runs in a row a detector must be over its threshold before it becomes a finding
    persistence: dict[str, int] = field(default_factory=lambda: dict(PERSISTENCE))
    #: residual detectors that vote, and how many must be over their threshold at once.
    #: Two: one alone over its line was most often a model's blind spot (on tuning fleet
    #: seed 11, 2 rather than 1 took false alarms from 16.9 to 1.7 per 1,000
    #: device-months at the same early catches -- see the detect section of the README)
    voters: tuple[str, ...] = VOTERS
    agreement: int = 2
    #: a residual vote whose diagnosis is a sensor (a remote check) needs this many times
    #: its threshold. One sensor disagreeing with the rest is also what a model's misfit
    #: looks like (how two sensors relate shifts with the season); a sensor that really
    #: drifts trends steadily, which :class:`~detect.sensors.SensorDrift` tests for. On the
    #: five fleets studied (seeds 3, 7, 11, 5, 13) 2 took false alarms from 0-8.5 to 0-2.8
    #: per 1,000 device-months at the same early catches (see the README's Detect section).
    sensor_margin: float = 2.0
    #: ... and the sensor it names must itself drift: its consistency residual trending, beyond
    #: the weather, by at least ``sensor_trend`` usual daily wobbles over the sensor-drift
    #: lookback, with a partial R² of at least ``sensor_trend_r2`` (as scored by
    #: ``trend_detector``). A misfit's offset is steady; a drifting sensor's grows. On the nine
    #: study fleets this took false-alarm episodes from 9 to 7 (4 to 3 once their weather was
    #: re-simulated) with the same early catches and sensor faults found (see the README's
    #: Detect section). A step the trend detector did not score is judged by the margin alone.
    sensor_trend: float = 5.0
    sensor_trend_r2: float = 0.3
    trend_detector: str = "sensor_drift"
    _streak: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.thresholds = {d.name: d.threshold for d in self.detectors} | self.thresholds

    def scores(self, window: DeviceWindow, cadence: Cadence | None = None) -> list[Score]:
        return [s for d in self.detectors if cadence is None or d.cadence == cadence
                for s in d.score(window)]

    def run(self, window: DeviceWindow, cadence: Cadence | None = None) -> list[Finding]:
        """Findings for ``window`` from the detectors of ``cadence`` (all when None)."""
        return self.findings(window, self.scores(window, cadence), cadence)

    def findings(self, window: DeviceWindow, scores: Sequence[Score],
                 cadence: Cadence | None = None) -> list[Finding]:
        """The findings ``scores`` (of ``window``, from the detectors of ``cadence``) make."""
        fired = self.fire(window.device_id, scores, cadence)
        if not fired:
            return []
        signature = self.signature(scores)
        version = window.model.version if window.model else None
        findings = []
        for s in fired:
            diag = self.diagnosis(s, signature)
            findings.append(Finding.from_score(s, self.thresholds[s.detector], diag,
                                               self._ttf(window, diag), version))
        return findings

    def fire(self, device_id: str, scores: Sequence[Score], cadence: Cadence | None = None,
             diagnoses: Sequence[Diagnosis] | None = None) -> list[Score]:
        """The decision: of one device's ``scores`` of a step (every score the detectors of
        ``cadence`` gave), those over their threshold (a vote naming a sensor over
        ``sensor_margin`` times it, and that sensor trending), with enough voters agreeing,
        whose detector has now been over its threshold long enough. Advances the device's
        streaks.

        Only detector names, values, the step's cadence, each score's diagnosis
        (``diagnoses``, one per score, default to :meth:`diagnosis` of each) and the trend
        detector's ``details["trends"]`` matter, so recorded
        scores can be re-decided at other settings (:mod:`detect.evaluation.tuning`).
        """
        over = self._credible(scores, decide(scores, self.thresholds), diagnoses)
        return self._persistent(device_id, self._agreed(over), cadence)

    def signature(self, scores: Sequence[Score]) -> Mapping[str, float] | None:
        """The residual shift diagnoses are read from: the signature detector's, if it scored."""
        return next((s.shift for s in scores if s.detector == self.signature_detector), None)

    def diagnosis(self, score: Score, signature: Mapping[str, float] | None) -> Diagnosis:
        """What ``score`` would be diagnosed as, were it a finding."""
        diag = diagnose(score.detector, signature or score.shift, score.details)
        if score.detector in SIGNATURE_OVER and signature:
            diag = _prefer_mechanical(diag, signature, SIGNATURE_OVER[score.detector])
        return diag

    def _credible(self, scores: Sequence[Score], over: list[Score],
                  diagnoses: Sequence[Diagnosis] | None) -> list[Score]:
        """Drop the votes over their threshold that name a sensor but are under the margin,
        or whose sensor does not trend (:attr:`sensor_trend`)."""
        votes = [s for s in over if s.detector in self.voters]
        if not votes:
            return over
        if diagnoses is None:
            signature = self.signature(scores)
            diagnosed = {id(s): self.diagnosis(s, signature) for s in votes}
        else:
            diagnosed = {id(s): d for s, d in zip(scores, diagnoses, strict=True)}
        trends = self.trends(scores)

        def doubtful(s: Score) -> bool:
            diag = diagnosed[id(s)]
            if diag.remedy != "remote_check":
                return False
            if s.value < self.sensor_margin * self.thresholds[s.detector]:
                return True
            if trends is None:
                return False
            total, r2 = trends.get(str(diag.sensor), (0.0, 0.0))
            return abs(total) < self.sensor_trend or r2 < self.sensor_trend_r2

        return [s for s in over if not (s.detector in self.voters and doubtful(s))]

    def trends(self, scores: Sequence[Score]) -> Mapping[str, tuple[float, float]] | None:
        """Each sensor's (trend, partial R²), if the trend detector scored this step."""
        return next((s.details["trends"] for s in scores
                     if s.detector == self.trend_detector and "trends" in s.details), None)

    def _agreed(self, fired: list[Score]) -> list[Score]:
        """Residual detectors see the same residuals differently (a level, a sum, a joint
        move); one alone over its line is more often a model's blind spot than a fault."""
        votes = sum(1 for s in fired if s.detector in self.voters)
        if votes >= self.agreement:
            return fired
        return [s for s in fired if s.detector not in self.voters]

    def _persistent(self, device_id: str, fired: list[Score],
                    cadence: Cadence | None) -> list[Score]:
        """Keep the scores whose detector has now been over its threshold long enough."""
        over = {s.detector for s in fired}
        for d in self.detectors:
            if cadence is None or d.cadence == cadence:
                key = (device_id, d.name)
                self._streak[key] = self._streak.get(key, 0) + 1 if d.name in over else 0
        return [s for s in fired
                if self._streak[(device_id, s.detector)] >= self.persistence.get(
                    s.detector, 1)]

    def _ttf(self, window: DeviceWindow, diag: Diagnosis) -> FailureWindow | None:
        if diag.remedy != "visit":
            return None
        res = residuals(window, 14)
        return time_to_failure(res, diag.fault, window.now_ms) if res else None


def _prefer_mechanical(diag: Diagnosis, signature: Mapping[str, float],
                       min_confidence: float) -> Diagnosis:
    """The full signature's diagnosis instead of ``diag`` when it names another mechanical
    fault (a visit) at least ``min_confidence`` alike (see :data:`SIGNATURE_OVER`)."""
    full = diagnose_shift(signature)
    return full if (full.remedy == "visit" and full.fault not in (UNKNOWN, diag.fault)
                    and full.confidence >= min_confidence) else diag
