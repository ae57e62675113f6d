"""``forewarn evaluate``: measure detection quality against simulated ground truth."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cli.context import app_context, fail

console = Console()
err = Console(stderr=True)


def evaluate(
    ctx: typer.Context,
    devices: int = typer.Option(300, "--devices", "-n", min=1, max=100_000,
                                help="Simulated heat pumps."),
    days: float = typer.Option(180.0, "--days", "-d", min=2.0, max=730.0,
                               help="Days of history (from 1 October 2025)."),
    seed: int = typer.Option(1, "--seed", "-s", help="Seed: the same seed, the same run."),
    fault_rate: float = typer.Option(0.3, "--fault-rate", min=0.0, max=1.0,
                                     help="Share of devices that get a fault (default mix)."),
    interval: float = typer.Option(600.0, "--interval", min=60.0, max=3600.0,
                                   help="Seconds between a device's readings."),
    step_hours: float = typer.Option(
        6.0, "--step-hours", min=1.0, max=24.0,
        help="Replay step: the detectors run as the scheduler would every this many hours "
             "(quick checks of the whole step are coalesced into one run)."),
    retrain_days: float = typer.Option(7.0, "--retrain-days", min=1.0, max=60.0,
                                       help="Models are retrained every this many days."),
    store_kind: str = typer.Option(
        "embedded", "--store",
        help="embedded (a temporary SQLite file) or influxdb (the configured InfluxDB; "
             "use a scratch bucket: the run is written into it)."),
    visit_days: float = typer.Option(
        3.0, "--visit-days", min=0.25, max=60.0,
        help="Each alarm is checked this many days later by a simulated technician who "
             "finds what is really there; a check that finds nothing re-baselines the "
             "device's model, as a no-fault-found ticket does live."),
    feedback: bool = typer.Option(
        True, "--feedback/--no-feedback",
        help="Close the loop through technicians' outcomes (--no-feedback: detect never "
             "hears back, as before planners close tickets)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON only."),
    chart: Path | None = typer.Option(
        None, "--chart", help="Where to write the chart (PNG) [default: forewarn-evaluate.png; "
                              "with --json, only when given]."),
) -> None:
    """Simulate a fleet with faults, backfill it, replay the detectors, score them.

    Reports per fault type: flagged >= 48 h before failure, flagged before the
    customer noticed, lead time (median, 10th percentile), diagnosis and remedy
    accuracy; overall precision and false alarms per 1,000 device-months.
    Sudden electronic failures are unpredictable by design: reported, not counted
    as predictable. The planner's side of the loop is simulated too: each alarm is
    checked --visit-days later, and a check that finds nothing re-baselines the
    device (the first alarm still counts as false).

    Example: forewarn evaluate --devices 300 --days 180 --seed 1
    """
    settings = app_context(ctx).settings
    from detect.evaluation.replay import ReplayConfig
    from detect.evaluation.report import print_report, write_chart, write_json
    from detect.evaluation.run import evaluate as run_evaluation
    from detect.frame import DAY_MS, HOUR_MS
    from ingest.errors import StoreError
    from ingest.store import EmbeddedStore, InfluxStore

    if store_kind not in ("embedded", "influxdb"):
        fail(f"--store {store_kind!r} is not embedded or influxdb")
    config = ReplayConfig(step_ms=int(step_hours * HOUR_MS),
                          retrain_ms=int(retrain_days * DAY_MS))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="forewarn-evaluate-") as tmp:
        try:
            store = (EmbeddedStore(Path(tmp) / "telemetry.sqlite") if store_kind == "embedded"
                     else InfluxStore(settings.influx, gzip_level=settings.ingest.gzip_level))
        except StoreError as exc:
            fail(str(exc))
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=err, disable=as_json, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            try:
                result = run_evaluation(
                    store, devices, days, seed, fault_rate, interval, config,
                    progress=progress,
                    visit_after_ms=int(visit_days * DAY_MS) if feedback else None)
            except StoreError as exc:
                fail(str(exc))
            finally:
                store.close()
    report = result.report
    if as_json:
        if chart is not None:
            write_chart(report, chart)
        write_json(report, None, console)
        return
    print_report(report, console)
    png = write_chart(report, chart or Path("forewarn-evaluate.png"))
    console.print(f"chart: {png}   ({time.perf_counter() - started:.0f} s; "
                  f"forewarn evaluate --devices {devices} --days {days:g} --seed {seed})")
