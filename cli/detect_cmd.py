"""``forewarn detect``: scheduled detectors over stored telemetry; findings go to dispatch."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer
from rich.console import Console

from cli.context import app_context, fail

console = Console(stderr=True)
_JOBS = ("quick", "score", "retrain")


def detect(
    ctx: typer.Context,
    shard: str = typer.Option(
        "0/1", "--shard",
        help="Handle only shard i of N (i/N, by a stable hash of the device id); run N "
             "processes 0/N .. N-1/N to split a large fleet without overlap or gaps."),
    once: list[str] = typer.Option(
        [], "--once",
        help="Run these jobs once (quick, score, retrain; repeatable) and exit, instead of "
             "running on the schedule."),
    findings: Path | None = typer.Option(
        None, "--findings",
        help="JSON-lines file the findings are appended to (default: detect.findings_path)."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Run the heat-pump detectors on a schedule and hand findings to dispatch.

    Quick checks (rules, error codes, silence, sensor dropouts) run every
    detect.quick_interval seconds, model scoring every detect.score_interval,
    retraining every detect.retrain_interval. Runs never overlap; missed runs
    coalesce; a failing device is logged and skipped. Models are versioned in
    detect.models_dir; a retrain never removes the previous model. Each retrain
    reads what technicians found (dispatch.labels_path, written when a ticket
    closes): a no-fault-found check re-baselines that device; a confirmed fault's
    hours are never learnt as normal.

    Examples:

      forewarn detect                         # run until Ctrl-C

      forewarn detect --once retrain --once score

      forewarn detect --shard 0/2 & forewarn detect --shard 1/2
    """
    settings = app_context(ctx).settings
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        fail(f"--log-level {log_level!r} is not one of debug, info, warning, error")
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from detect.errors import DetectError
    from detect.runner import DetectRunner
    from detect.shard import Shard
    from detect.sink import JsonLinesSink
    from ingest.errors import StoreError
    from ingest.store import open_store

    for job in once:
        if job not in _JOBS:
            fail(f"--once {job!r} is not one of {', '.join(_JOBS)}")
    try:
        part = Shard.parse(shard)
        store = open_store(settings)
        sink = JsonLinesSink(findings or settings.detect.findings_path)
        runner = DetectRunner(store, sink, settings.detect, shard=part,
                              labels_path=settings.dispatch.labels_path)
    except (DetectError, StoreError) as exc:
        fail(str(exc))
    try:
        if once:
            for job in ("retrain", "quick", "score"):
                if job in once:
                    report = getattr(runner, f"{job}_cycle")()
                    console.print(f"{job}: {report.devices} devices, {report.findings} findings,"
                                  f" {len(report.failures)} failures, {report.seconds:.1f} s")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        runner.start()
        console.print(f"forewarn detect running (shard {part}); Ctrl-C to stop")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        runner.stop()
    except (DetectError, StoreError) as exc:
        fail(str(exc))
    finally:
        store.close()
