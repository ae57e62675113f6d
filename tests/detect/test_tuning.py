"""Threshold tuning: record a small replay once, re-decide it offline at other settings."""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from detect.detector import Score
from detect.diagnosis import Diagnosis
from detect.drift import ResidualCusum, ResidualEwma
from detect.engine import Engine
from detect.evaluation.metrics import score
from detect.evaluation.replay import replay
from detect.evaluation.simulate import simulate_into
from detect.evaluation.tuning import (
    Recorded,
    Recording,
    RecordingEngine,
    Step,
    TuningFleet,
    grid,
    redecide,
)
from detect.findings import Finding
from ingest.store import EmbeddedStore

PLAN = [
    {"device": 0, "fault": "compressor_wear", "onset_day": 22, "progression_days": 28},
    {"device": 1, "fault": "refrigerant_leak", "onset_day": 22, "progression_days": 28},
    {"device": 2, "fault": "electronic", "onset_day": 30},
    {"device": 3, "fault": "sensor_stuck", "onset_day": 26, "sensor": "supply_temp"},
]


@dataclass
class Replayed:
    fleet: TuningFleet
    recorded_findings: list[Finding]
    plain: list[Finding]
    #: the same replay recorded with floor 1: only the scores over their threshold
    sparse: Recording


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    """Eight Stockholm heat pumps for 45 days at 15-minute readings, four with faults,
    replayed by the plain engine and by two recording ones (floor 0: every score kept;
    floor 1: only those over their threshold)."""
    store = EmbeddedStore(tmp_path_factory.mktemp("tune") / "telemetry.sqlite")
    try:
        run = simulate_into(store, 8, 45, 4, interval_s=900, plan=PLAN, climates=["stockholm"])
        plain = replay(store, run.device_ids, run.start_ms, run.end_ms, Engine())
        recorder = RecordingEngine(floor=0.0)
        findings = replay(store, run.device_ids, run.start_ms, run.end_ms, recorder)
        fleet = TuningFleet(run, recorder.recording, 0.0, len(findings))
        sparse = RecordingEngine(floor=1.0)
        replay(store, run.device_ids, run.start_ms, run.end_ms, sparse)
        yield Replayed(fleet, findings, plain, sparse.recording)
    finally:
        store.close()


def _key(f: Finding) -> tuple[str, int, str]:
    return (f.device_id, f.ts_ms, f.detector)


def test_the_recording_engine_makes_the_plain_engines_findings(replayed: Replayed) -> None:
    assert {f.detector for f in replayed.plain} >= {"residual_cusum", "sensor_stuck"}
    assert replayed.recorded_findings == replayed.plain
    for recording in (replayed.fleet.recording, replayed.sparse):
        steps = recording.steps
        assert len(steps) == 8 * 45 * 4  # every 6-hour step of every device, scored or not
        assert len({(s.device_id, s.ts_ms) for s in steps}) == len(steps)
    assert 0 < replayed.sparse.records < replayed.fleet.recording.records


def test_redeciding_at_the_engines_settings_reproduces_its_findings(
        replayed: Replayed) -> None:
    again = redecide(replayed.fleet.recording)
    assert sorted(map(_key, again)) == sorted(map(_key, replayed.plain))
    # with only the scores over the line recorded, the steps under it still break streaks
    assert sorted(map(_key, redecide(replayed.sparse))) == sorted(map(_key, replayed.plain))
    plain = {_key(f): f for f in replayed.plain}
    for f in again:
        assert f.diagnosis == plain[_key(f)].diagnosis
        assert f.score == plain[_key(f)].score
    truth = replayed.fleet.run.truth
    assert score(again, truth).summary == score(replayed.plain, truth).summary


def test_an_infinite_threshold_removes_a_detector_and_a_lower_one_only_adds(
        replayed: Replayed) -> None:
    rec = replayed.fleet.recording
    alone = 1  # each residual detector decides for itself, so removing one touches no other
    base = set(map(_key, redecide(rec, agreement=alone)))
    without = set(map(_key, redecide(rec, {"residual_cusum": math.inf}, agreement=alone)))
    assert {k for k in base if k[2] == "residual_cusum"}
    assert without == {k for k in base if k[2] != "residual_cusum"}
    lower = set(map(_key, redecide(rec, {"residual_cusum": 100.0, "residual_ewma": 20.0},
                                   agreement=alone)))
    assert lower > base
    stricter = set(map(_key, redecide(rec, persistence={"residual_cusum": 4},
                                      agreement=alone)))
    assert stricter < base
    agreed = set(map(_key, redecide(rec, agreement=2)))
    assert agreed < base


def test_a_recording_pickles_and_refuses_thresholds_under_its_floor(
        replayed: Replayed) -> None:
    fleet = pickle.loads(pickle.dumps(replayed.fleet))
    assert set(map(_key, redecide(fleet.recording))) == set(map(_key, replayed.plain))
    floored = Recording(0.2, {"residual_cusum": 250.0}, {}, 1, (),
                        (("residual_cusum", "model"),))
    redecide(floored, {"residual_cusum": 50.0})
    with pytest.raises(ValueError, match="floor"):
        redecide(floored, {"residual_cusum": 49.0})


def test_the_grid_scores_every_combination_and_marks_the_recorded_one(
        replayed: Replayed) -> None:
    cusum, ewma = ResidualCusum().threshold, ResidualEwma().threshold  # the recorded ones
    rows = grid([replayed.fleet, replayed.fleet],
                {"residual_cusum": [100, cusum], "residual_ewma": [ewma, 80]})
    assert [(r.thresholds["residual_cusum"], r.thresholds["residual_ewma"]) for r in rows] \
        == [(100, ewma), (100, 80), (cusum, ewma), (cusum, 80)]
    assert [r.recorded for r in rows] == [False, False, True, False]
    truth = replayed.fleet.run.truth
    assert rows[2].summaries == [score(replayed.plain, truth).summary] * 2
    assert rows[0].summaries[0]["precision"] is not None


DIAG = Diagnosis.of("refrigerant_leak", 0.8)


def _recording(values: list[float | None]) -> Recording:
    """One device's steps, 6 h apart: a CUSUM score (None: nothing recorded) at each."""
    steps = [Step("d", 6 * 3_600_000 * i, None,
                  () if v is None else (Recorded(Score("residual_cusum", "d", 6 * 3_600_000 * i,
                                                       v), DIAG),))
             for i, v in enumerate(values)]
    return Recording(0.0, {"residual_cusum": 250.0}, {"residual_cusum": 2}, 1,
                     ("residual_cusum",), (("residual_cusum", "model"),), steps)


@pytest.mark.parametrize("values, fired", [
    ([300, 300], [1]),
    ([300, 100, 300], []),
    ([300, None, 300], []),
    ([300, None, None, 300, 300, None, 300], [4]),
    ([None, None, 300, 300, 300], [3, 4]),
])
def test_a_step_under_the_line_breaks_a_streak(values: list[float | None],
                                               fired: list[int]) -> None:
    findings = redecide(_recording(values))
    assert [f.ts_ms // (6 * 3_600_000) for f in findings] == fired
    assert all(f.diagnosis == DIAG and f.threshold == 250.0 for f in findings)


def test_the_sensor_margin_only_holds_back_votes_that_name_a_sensor(replayed: Replayed) -> None:
    """At margin 1 a sensor-named vote counts at its threshold; at an infinite one never."""
    rec = replayed.fleet.recording
    assert rec.sensor_margin == Engine().sensor_margin
    voters = Engine().voters

    def sensor_votes(findings: list[Finding]) -> set[tuple[str, int, str]]:
        return {_key(f) for f in findings
                if f.detector in voters and f.diagnosis.remedy == "remote_check"}

    base = redecide(rec)
    loose = redecide(rec, sensor_margin=1.0)
    never = redecide(rec, sensor_margin=math.inf)
    assert set(map(_key, loose)) >= set(map(_key, base)) >= set(map(_key, never))
    assert sensor_votes(loose) and not sensor_votes(never)
    others = {k for k in map(_key, loose) if k[2] not in voters}
    assert others == {k for k in map(_key, never) if k[2] not in voters}
