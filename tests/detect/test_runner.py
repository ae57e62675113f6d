"""The live runner over real stores: embedded SQLite and the session's real InfluxDB."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from config import DetectSettings, Settings
from detect import after_defrost
from detect.engine import Engine
from detect.evaluation.replay import hourly_rows, load_history
from detect.frame import HOUR_MS, SCATTER
from detect.registry import ModelRegistry
from detect.runner import DetectRunner
from detect.shard import Shard
from detect.sink import MemorySink
from ingest.store import EmbeddedStore, InfluxStore
from ingest.store.base import TelemetryStore
from simulators.backfill import backfill_store
from simulators.fleet import Fleet
from simulators.plan import parse_plan

DAYS = 32
N = 6
#: The failing-pump scenario ends in mid-winter, whatever the date the suite runs: the
#: simulated weather follows the calendar, and in a mild spell (or in summer) a pump barely
#: runs, so a wearing compressor shows too little to be judged -- with a wall-clock end the
#: test failed at about one hour in four in November.
WINTER_END_S = 1_768_867_200.0  # 2026-01-20 00:00 UTC


@dataclass
class Stored:
    store: TelemetryStore
    ids: list[str]
    end_s: float


def _fill(store: TelemetryStore, prefix: str, end_s: float | None = None) -> Stored:
    """Six devices, 32 days up to ``end_s`` (default now); device 0 wears its compressor
    from day 22."""
    end_s = end_s or float(int(time.time()) // 3600 * 3600)
    start_s = end_s - DAYS * 86_400
    ids = [f"{prefix}-{i:05d}" for i in range(N)]
    plan = parse_plan([{"device": ids[0], "fault": "compressor_wear", "onset_day": 22,
                        "progression_days": 10.5}], ids, start_s, 1)
    fleet = Fleet(N, seed=11, start_s=start_s, interval_s=600, plan=plan, id_prefix=prefix,
                  climates=["stockholm"])
    backfill_store(fleet, store, int(DAYS * 86_400 / 600))
    return Stored(store, ids, end_s)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    store = EmbeddedStore(tmp_path_factory.mktemp("detect") / "telemetry.sqlite")
    yield _fill(store, "emb")
    store.close()


@pytest.fixture(scope="module")
def embedded_winter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    store = EmbeddedStore(tmp_path_factory.mktemp("detect") / "telemetry.sqlite")
    yield _fill(store, "emb", WINTER_END_S)
    store.close()


@pytest.fixture(scope="module")
def influx(service_stack) -> Iterator[Stored]:  # type: ignore[no-untyped-def]
    from config import load_settings

    settings = load_settings(**service_stack.connection(), environment="test")
    store = InfluxStore(settings.influx)
    yield _fill(store, f"ifx{int(time.time()) % 100000}", WINTER_END_S)
    store.close()


@pytest.fixture(params=["embedded", "influxdb"])
def stored(request: pytest.FixtureRequest) -> Stored:
    return request.getfixturevalue("embedded_winter" if request.param == "embedded"
                                   else "influx")


def _runner(stored: Stored, tmp_path: Path, **kw) -> DetectRunner:  # type: ignore[no-untyped-def]
    settings = DetectSettings(models_dir=tmp_path / "models", **kw.pop("settings", {}))
    return DetectRunner(stored.store, kw.pop("sink", MemorySink()), settings,
                        clock=lambda: stored.end_s, only=stored.ids, **kw)


def test_a_retrain_then_a_scoring_run_finds_the_failing_pump(stored: Stored,
                                                            tmp_path: Path) -> None:
    """Models trained on day 22 are saved as version 1; ten days later scoring flags only
    the pump whose compressor is wearing out."""
    sink = MemorySink()
    # one residual detector suffices here: this test is about the runner, not the vote
    runner = _runner(stored, tmp_path, sink=sink, engine=Engine(agreement=1))
    retrain = runner.retrain_cycle(now_ms=int((stored.end_s - 10 * 86_400) * 1000))
    assert retrain.devices == N and not retrain.failures
    assert sorted(ModelRegistry(tmp_path / "models").load().models) == stored.ids
    runner.quick_cycle()
    runner.score_cycle(now_ms=int((stored.end_s - 3600) * 1000))
    score = runner.score_cycle()
    assert score.devices == N and not score.failures
    flagged = {f.device_id for f in sink.findings}
    assert flagged == {stored.ids[0]}, [(f.device_id, f.detector, f.signals) for f in sink.findings]
    assert any(f.diagnosis.fault == "compressor_wear" for f in sink.findings)


def test_after_a_model_finding_the_retrain_waits_as_the_replay_does(
        embedded_winter: Stored, tmp_path: Path) -> None:
    """The quiet period after a finding holds live too: the flagged pump's next retrain
    does not learn its fault, though every device here is due a new baseline (their
    models are made provisional, so any retrain would fit one)."""
    stored = embedded_winter
    runner = _runner(stored, tmp_path, engine=Engine(agreement=1))
    runner.retrain_cycle(now_ms=int((stored.end_s - 10 * 86_400) * 1000))
    runner.score_cycle(now_ms=int((stored.end_s - 3600) * 1000))
    runner.score_cycle()
    now = int(stored.end_s * 1000)
    assert runner.last_model_finding == {stored.ids[0]: now}
    runner.models.models = {d: replace(m, baseline_ms=0) for d, m in runner.models.models.items()}
    runner.retrain_cycle(now_ms=now)
    after = runner.models.models
    assert after[stored.ids[0]].version == 1 and after[stored.ids[0]].baseline_ms == 0
    assert all(after[d].version == 2 and after[d].baseline_ms == now for d in stored.ids[1:])


def test_a_no_fault_found_visit_rebaselines_the_device_at_the_next_retrain(
        embedded_winter: Stored, tmp_path: Path) -> None:
    """Dispatch's labels file reaches the retrain: the device a technician found sound gets
    a new baseline, fitted on its recent days; the others keep theirs."""
    stored = embedded_winter
    labels = tmp_path / "labels.jsonl"
    runner = _runner(stored, tmp_path, labels_path=labels)
    first = int((stored.end_s - 10 * 86_400) * 1000)
    runner.retrain_cycle(now_ms=first)
    before = dict(runner.models.models)
    now = int(stored.end_s * 1000)
    sound = {"device_id": stored.ids[0], "problem": "machine", "fault": "compressor_wear",
             "label": "no_fault", "start_ms": now - 3 * 86_400_000, "end_ms": now - 3_600_000}
    labels.write_text(json.dumps(sound) + "\n" + "not a label\n", encoding="utf-8")
    report = runner.retrain_cycle(now_ms=now)
    assert not report.failures
    after = ModelRegistry(tmp_path / "models").load().models
    assert after[stored.ids[0]].baseline_ms == now
    assert after[stored.ids[0]].version == before[stored.ids[0]].version + 1
    assert all(after[d].baseline_ms == before[d].baseline_ms for d in stored.ids[1:])


def test_one_failing_device_never_stops_the_others(stored: Stored, tmp_path: Path) -> None:
    broken = stored.ids[2]

    class Flaky:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(stored.store, name)

        def read_signals(self, device_id: str, *a, **kw):  # type: ignore[no-untyped-def]
            if device_id == broken:
                raise RuntimeError("disk on fire")
            return stored.store.read_signals(device_id, *a, **kw)

    runner = DetectRunner(Flaky(), MemorySink(), DetectSettings(models_dir=tmp_path),  # type: ignore[arg-type]
                          clock=lambda: stored.end_s, only=stored.ids)
    report = runner.quick_cycle()
    assert report.devices == N and list(report.failures) == [broken]
    assert "disk on fire" in report.failures[broken]


def test_shards_split_the_fleet_without_overlap_or_gaps(embedded: Stored, tmp_path: Path) -> None:
    seen = [_runner(embedded, tmp_path, shard=Shard(i, 3)).devices() for i in range(3)]
    assert sorted(d for part in seen for d in part) == sorted(embedded.ids)


def test_the_schedule_runs_every_job_and_runs_never_overlap(embedded: Stored,
                                                           tmp_path: Path) -> None:
    """Short intervals for a moment: every job ran, one at a time, on one worker thread."""
    runner = _runner(embedded, tmp_path, settings={
        "quick_interval": 0.2, "score_interval": 0.5, "retrain_interval": 30.0})
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and {r.job for r in runner.reports} != {
                "quick", "score", "retrain"}:
            time.sleep(0.1)
    finally:
        runner.stop()
    jobs = [r.job for r in runner.reports]
    assert {"quick", "score", "retrain"} <= set(jobs)
    spans = sorted((r.started, r.started + r.seconds) for r in runner.reports)
    assert all(b[0] >= a[1] - 1e-3 for a, b in itertools.pairwise(spans))


def test_forewarn_detect_once_runs_jobs_and_writes_findings(embedded: Stored,
                                                           tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    _ = Settings  # the CLI builds its own settings from the environment
    out = tmp_path / "findings.jsonl"
    env = {"FOREWARN_TELEMETRY__STORE": "embedded",
           "FOREWARN_TELEMETRY__EMBEDDED_PATH": str(embedded.store.path),  # type: ignore[attr-defined]
           "FOREWARN_DETECT__MODELS_DIR": str(tmp_path / "models")}
    result = CliRunner().invoke(app, ["detect", "--once", "retrain", "--once", "quick",
                                      "--findings", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "retrain:" in result.output and "quick:" in result.output


def test_the_runner_reads_the_same_hourly_rows_as_the_replay(stored: Stored,
                                                             tmp_path: Path) -> None:
    """Means and within-hour scatter, aggregated in the store (fleet-wide and for one
    device), equal what the replay computes from the raw readings: live is what was
    evaluated."""
    runner = _runner(stored, tmp_path)
    now = int(stored.end_s * 1000)
    start = now - int(runner.settings.score_lookback * 1000)
    fleet = runner._fleet_hourly(stored.ids, now)
    device = stored.ids[1]
    one = runner._hourly(device, start, now)
    # from an hour earlier: the reading before the first one tells whether it followed a defrost
    replayed = hourly_rows(load_history(stored.store, device, start - HOUR_MS, now).raw
                           ).between(start, now)
    assert fleet[device].times_ms.tolist() == one.times_ms.tolist() \
        == replayed.times_ms.tolist()
    scatter = "superheat" + SCATTER
    assert np.isfinite(one[scatter]).sum() > 100
    assert np.isfinite(one[after_defrost.CHANNEL]).sum() > 20  # a winter's defrosts
    for name in ("superheat", "power_w", "outdoor_temp", scatter, *after_defrost.COLUMNS):
        np.testing.assert_allclose(fleet[device][name], one[name], rtol=1e-9, atol=1e-9,
                                   equal_nan=True)
        np.testing.assert_allclose(replayed[name], one[name], rtol=1e-9, atol=1e-9,
                                   equal_nan=True)


def test_later_runs_read_only_the_new_post_defrost_readings(stored: Stored,
                                                            tmp_path: Path) -> None:
    """A run after the first adds what is new to what it read before: the same rows as
    reading the whole lookback again."""
    runner = _runner(stored, tmp_path)
    now = int(stored.end_s * 1000)
    start = now - int(runner.settings.score_lookback * 1000)
    for earlier in (now - 30 * HOUR_MS, now - 5 * HOUR_MS, now - HOUR_MS):
        runner._after_defrost(stored.ids, start - (now - earlier), earlier)
    warm = runner._after_defrost(stored.ids, start, now)
    cold = _runner(stored, tmp_path)._after_defrost(stored.ids, start, now)
    assert sum(len(f) for f in cold.values()) > 20 * len(stored.ids)
    for device in stored.ids:
        assert warm[device].times_ms.tolist() == cold[device].times_ms.tolist()
        for name in after_defrost.SIGNALS:
            np.testing.assert_array_equal(warm[device][name], cold[device][name])
