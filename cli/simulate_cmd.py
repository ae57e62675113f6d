"""``forewarn simulate``: a heat-pump fleet with injected faults, live on MQTT or as backfill."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.context import app_context, fail
from ingest.errors import StoreError
from simulators.backfill import backfill_mqtt, backfill_store
from simulators.climate import CLIMATES
from simulators.devices import device_ids
from simulators.errors import SimulatorError
from simulators.fleet import Fleet
from simulators.live import run_live
from simulators.mqtt_publisher import FleetPublisher
from simulators.plan import load_plan, random_plan
from simulators.wire import Realism, Wire

console = Console(stderr=True)
DAY = 86_400.0


class Backfill(StrEnum):
    STORE = "store"
    MQTT = "mqtt"


HELP = (
    "Run a simulated fleet of air-to-water heat pumps, some developing faults, and write the "
    "ground truth (who had which fault, when it began, when the customer would notice, when the "
    "unit failed) so detection can be measured.\n\n"
    "Every device has its own house, household, Nordic climate (Malmö, Stockholm, Oslo, Luleå) "
    "and unit spread. Faults: refrigerant_leak, compressor_wear, fan_degradation, low_flow, "
    "expansion_valve, defrost_malfunction, electronic (sudden, no precursor), and the sensor "
    "faults sensor_drift, sensor_stuck, sensor_dropout (a remote check, not a visit).\n\n"
    "[bold]Live[/bold] (default): each device connects to the broker of \\[mqtt] (one MQTT "
    "connection per device, Last Will = retained 'offline' status), publishes retained metadata "
    "and one reading per --interval. --speed 1 is real time, --speed 1440 a simulated day per "
    "minute, --speed 0 as fast as possible; timestamps are simulated time. Ctrl-C stops cleanly "
    "and still writes the ground truth.\n\n"
    "[bold]Backfill[/bold]: --backfill store writes months of history straight into the "
    "telemetry store of \\[telemetry] (InfluxDB or embedded); --backfill mqtt publishes it in "
    "batches over MQTT as fast as the broker acknowledges (QoS 1, flow control).\n\n"
    "Examples:\n\n"
    "  forewarn simulate --devices 20 --days 1 --speed 1440\n\n"
    "  forewarn simulate -n 300 --days 180 --interval 300 --backfill store "
    "--ground-truth truth.json\n\n"
    "  forewarn simulate --fault-plan plan.json -n 10 --days 30 --speed 0 --untidy\n\n"
    "A fault plan is a JSON list like "
    '[{"device": "sim-00003", "fault": "refrigerant_leak", "onset_day": 20, '
    '"progression_days": 25}]; "onset" takes an ISO time instead of "onset_day", sensor faults '
    'take "sensor" (e.g. "supply_temp").'
)


def _parse_start(text: str | None, days: float, backfill: bool) -> float:
    if text is None:
        now = time.time()  # the edge of the system: the core never reads the clock
        start = now - days * DAY if backfill else now
        return start - start % 60
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--start {text!r} is not a date or time: use e.g. 2026-01-15 or "
             "2026-01-15T06:00:00Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def simulate(
    ctx: typer.Context,
    devices: int = typer.Option(10, "--devices", "-n", min=1, max=100_000,
                                help="How many heat pumps."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same fleet, weather and faults."),
    fault_rate: float = typer.Option(
        0.1, "--fault-rate", min=0.0, max=1.0,
        help="Share of devices that develop a fault during the run (ignored with --fault-plan)."),
    fault_plan: Path | None = typer.Option(
        None, "--fault-plan", exists=True, dir_okay=False,
        help="JSON file naming which device gets which fault when (see above)."),
    start: str | None = typer.Option(
        None, "--start", help="Simulated start, ISO date/time in UTC "
        "(default: now; with --backfill, now minus --days)."),
    days: float = typer.Option(1.0, "--days", min=0.001, help="Simulated days to run."),
    speed: float = typer.Option(
        1.0, "--speed", min=0.0,
        help="Simulated seconds per wall-clock second: 1 real time, 1440 a day per minute, "
        "0 as fast as possible (live mode)."),
    interval: float = typer.Option(60.0, "--interval", min=1.0, max=3600.0,
                                   help="Seconds between a device's readings."),
    ground_truth: Path = typer.Option(
        Path("ground-truth"), "--ground-truth",
        help="Where to write the ground truth: .json, .csv, or no suffix for both."),
    backfill: Backfill | None = typer.Option(
        None, "--backfill", case_sensitive=False,
        help="Write history fast instead of running live: 'store' (telemetry store) or 'mqtt'."),
    climate: list[str] | None = typer.Option(
        None, "--climate", help=f"Only these climates (repeatable): {', '.join(CLIMATES)}."),
    untidy: bool = typer.Option(
        False, "--untidy", help="Live devices drop offline and send backlogs, duplicates, "
        "out-of-order and a few malformed messages, as real fleets do."),
    malformed_share: float | None = typer.Option(
        None, "--malformed-share", min=0.0, max=1.0,
        help="Share of readings followed by a malformed message (live mode)."),
    batch_readings: int = typer.Option(500, "--batch-readings", min=1, max=10_000,
                                       help="Readings per MQTT batch message (--backfill mqtt)."),
    id_prefix: str = typer.Option("sim", "--id-prefix",
                                  help="Device ids are <prefix>-00000, <prefix>-00001, ..."),
) -> None:
    settings = app_context(ctx).settings
    start_s = _parse_start(start, days, backfill is not None)
    steps = max(1, int(days * DAY / interval))
    end_s = start_s + steps * interval
    try:
        ids = device_ids(devices, id_prefix)
        plan = (load_plan(fault_plan, ids, start_s, seed) if fault_plan
                else random_plan(ids, start_s, end_s, fault_rate, seed))
        fleet = Fleet(devices, seed, start_s, interval, plan, climate, id_prefix)
    except (SimulatorError, ValueError) as exc:
        fail(str(exc))
    realism = Realism.typical() if untidy else Realism()
    if malformed_share is not None:
        realism = replace(realism, malformed_share=malformed_share)
    wire = Wire(fleet.devices, realism, seed, settings.mqtt.topic_prefix)
    first = datetime.fromtimestamp(start_s, UTC).strftime("%Y-%m-%d %H:%M")
    console.print(f"{devices} devices, {len(plan)} with a fault, from {first} UTC for "
                  f"{days:g} days at {interval:g} s ({steps * devices:,} readings)")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    began = time.monotonic()
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("simulating", total=steps)

            def show(done: int, t_s: float | None = None) -> None:
                when = datetime.fromtimestamp(t_s or fleet.t_s, UTC).strftime("%Y-%m-%d %H:%M")
                bar.update(task, completed=done, description=when)

            if backfill is Backfill.STORE:
                from ingest.store import open_store

                store = open_store(settings)
                try:
                    backfill_store(fleet, store, steps, progress=show)
                finally:
                    store.close()
                outcome = "written to the telemetry store"
            elif backfill is Backfill.MQTT:
                publisher = FleetPublisher(settings.mqtt, wire, f"forewarn-{id_prefix}")
                publisher.connect(round(start_s * 1000))
                try:
                    backfill_mqtt(fleet, publisher, wire, steps, batch_readings, progress=show)
                finally:
                    publisher.close(wire.goodbye(round(fleet.t_s * 1000)))
                outcome = f"published to {settings.mqtt.url}"
            else:
                publisher = FleetPublisher(settings.mqtt, wire, f"forewarn-{id_prefix}")
                result = run_live(fleet, wire, publisher, steps, speed, progress=show)
                outcome = f"published to {settings.mqtt.url}" + (
                    " (stopped early)" if result.interrupted else "")
    except SimulatorError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(f"{exc}; check [telemetry] and [influx] in the configuration "
             "(or run 'forewarn services up')")
    finally:
        written = fleet.ground_truth().write(ground_truth)
    elapsed = max(time.monotonic() - began, 1e-9)
    readings = int(fleet.seq.max()) * devices  # a fleet has at least one device
    console.print(f"{readings:,} readings {outcome} in {elapsed:.1f} s "
                  f"({readings / elapsed:,.0f} readings/s)")
    console.print("ground truth: " + ", ".join(str(p) for p in written))


simulate.__doc__ = HELP
