"""``forewarn demo``: the whole loop in a few minutes, on embedded defaults, no services."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.context import app_context, fail, utc_minute

SPEED_HELP = ("Simulated seconds per real second for the live part (default 21600: a month "
              "in two minutes); 0 runs as fast as the machine can.")


def demo(
    ctx: typer.Context,
    devices: int = typer.Option(50, "--devices", "-n", min=5, max=500,
                                help="Simulated heat pumps (seven of them develop a fault; "
                                     "all of them if fewer)."),
    days: float = typer.Option(60.0, "--days", "-d", min=45.0, max=365.0,
                               help="Simulated days, from 1 October 2025. The first 36 % are "
                                    "sent as history the detectors learn each pump's normal "
                                    "from; the rest runs live."),
    speed: float = typer.Option(21_600.0, "--speed", min=0.0, help=SPEED_HELP),
    seed: int = typer.Option(1, "--seed", "-s", help="Same seed, same fleet, faults and result."),
    workdir: Path = typer.Option(Path(".forewarn/demo"), "--workdir",
                                 help="Where the demo's databases, models and chart go "
                                      "(replaced on every run)."),
    chart: Path | None = typer.Option(None, "--chart",
                                      help="Where to save the chart (default: in --workdir)."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print only the final report, as JSON, on stdout "
                                      "(progress goes to stderr)."),
    keep_running: bool = typer.Option(
        False, "--keep-running",
        help="After the report, keep the API and planner web app up until Ctrl-C."),
    open_browser: bool | None = typer.Option(
        None, "--open/--no-browser",
        help="Open the planner web app in a browser at the start (default: only on an "
             "interactive terminal outside CI)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535,
                             help="Port of the API and web app (0: any free port)."),
) -> None:
    """Run the whole loop, every stage a separate component talking over MQTT.

    A simulated fleet of heat pumps publishes telemetry to an MQTT broker; an
    ingest worker stores it; the detectors run on their schedule of simulated
    time (quick checks hourly, model scoring every 6 h, retraining weekly);
    dispatch turns findings into prioritised tickets with technicians booked;
    the API and the planner web app serve them while it runs (address and a
    one-off login are printed at the start).

    On a bare machine everything is embedded: an in-process MQTT broker
    (amqtt), a SQLite telemetry store and SQLite tickets, all in --workdir.
    Where the settings name real services (a config file, FOREWARN_...
    variables, or 'forewarn services up'), the demo uses them instead.

    At the end: faults injected, caught before failure and before the customer
    would have noticed, lead times, false alarms, tickets, and a chart.
    Ctrl-C stops everything cleanly.

    Examples:

      forewarn demo                                    # 50 pumps, 60 days, ~4 min

      forewarn demo -n 20 --speed 0 --json > report.json

      forewarn demo --keep-running --open              # then explore the web app
    """
    settings = app_context(ctx).settings
    from demo.errors import DemoError
    from demo.pipeline import Demo, DemoOptions, Status
    from detect.evaluation.report import write_chart
    from dispatch.errors import DispatchError
    from ingest.errors import IngestError
    from simulators.errors import SimulatorError

    out = Console(stderr=as_json, highlight=False, soft_wrap=True)
    logging.getLogger("ingest").setLevel(logging.ERROR)  # reconnect chatter, not the story
    started = time.perf_counter()
    status = Status()
    options = DemoOptions(devices=devices, days=days, speed=speed, seed=seed,
                          workdir=workdir, port=port)
    try:
        with Demo(settings, options, status) as run:
            out.print(f"[bold]Forewarn demo[/]: {devices} simulated heat pumps over {days:g} "
                      f"days (seed {seed}), live at {_speed(speed)}.")
            login = run.start()
            for line in (run.components.broker, run.components.telemetry,
                         run.components.tickets):
                out.print(f"  {line}")
            out.print(f"[bold]Planner web app:[/] {login.url}  (log in as [bold]{login.user}"
                      f"[/], password [bold]{login.password}[/])")
            if _should_open(open_browser):
                import webbrowser

                webbrowser.open(login.url)
            with _Ticker(status, out):
                run.run()
            result = run.result(time.perf_counter() - started)
            png = write_chart(result.report, chart or run.workdir / "forewarn-demo.png")
            if as_json:
                data = result.to_dict()
                data["chart"] = str(png)
                print(json.dumps(data, indent=2, default=str), flush=True)
            else:
                _print_report(out, result.to_dict(), result.report, png)
            if keep_running:
                out.print(f"\nThe API and web app keep running at {login.url}; Ctrl-C stops.")
                while True:
                    time.sleep(0.5)
    except KeyboardInterrupt:
        left = Demo.leftover_threads()
        Console(stderr=True).print(
            "\nforewarn demo: interrupted; " + (
                f"still running: {', '.join(left)}" if left else
                "every component is stopped (fleet, broker, ingest, detectors, web app)."),
            highlight=False)
        raise typer.Exit(130) from None
    except (DemoError, DispatchError, IngestError, SimulatorError) as exc:
        fail(f"the demo stopped: {exc}")
    except OSError as exc:
        fail(f"cannot run the demo in {workdir}: {exc.strerror or exc}")


def _speed(speed: float) -> str:
    if speed == 0:
        return "full speed"
    return f"x{speed:,.0f} (a simulated month in {30 * 86_400 / speed / 60:.1f} min)"


def _should_open(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stdout.isatty() and sys.stdin.isatty() and not os.environ.get("CI")


def status_line(s: Any, sep: str = " | ") -> str:
    """Where the simulation and the pipeline are (``sep`` between the fleet and the rest)."""
    day = (s.sim_ms - s.start_ms) / 86_400_000
    total = (s.end_ms - s.start_ms) / 86_400_000
    detected = f"detectors at {utc_minute(s.detect_ms)}" if s.detect_ms else "detectors waiting"
    return (f"{s.phase:9} {utc_minute(s.sim_ms)} (day {day:4.1f} of {total:g}) | "
            f"{s.readings_stored:,} readings stored{sep}{detected} | {s.findings} findings | "
            f"{s.tickets} tickets | {s.booked} visits booked"
            + (f" | {s.failed_runs} runs failed" if s.failed_runs else ""))


class _Ticker:
    """The status line: redrawn in place on a terminal, a plain line every 10 s otherwise."""

    def __init__(self, status: Any, console: Console) -> None:
        self.status, self.console = status, console
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-status", daemon=True)
        self._live: Any = None

    def __enter__(self) -> _Ticker:
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(get_renderable=lambda: Text(status_line(self.status, "\n  ")),
                              console=self.console, refresh_per_second=4, transient=False)
            self._live.start()
        else:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(10.0):
            self.console.print(status_line(self.status), highlight=False)

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
        else:
            self._stop.set()
            self._thread.join(2.0)
            self.console.print(status_line(self.status), highlight=False)


def _print_report(out: Console, data: dict[str, Any], report: Any, png: Path) -> None:
    from detect.evaluation.report import table

    out.print(table(report))
    for line in _story(data):
        out.print(line)
    sample = data["tickets"]["sample_message"]
    if sample:
        out.print("\n[bold]The first message to a customer:[/]")
        out.print(sample)
    out.print(_tickets_table(data["tickets"]["rows"]))
    api = data["api"]
    out.print(f"The API lists {api['tickets']} tickets at {api['url']}.")
    out.print(f"\nchart: {png}    ({data['seconds']:.0f} s)")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _days(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} days"


def _story(data: dict[str, Any]) -> list[str]:
    det, tk = data["detection"], data["tickets"]
    s = det["summary"]
    injected = sum(row["faults"] for row in det["per_fault"])
    return [
        "",
        f"[bold]Faults injected:[/] {injected} on {data['devices']} heat pumps; "
        f"{s['predictable_failed']} predictable ones reached failure during the run.",
        f"[bold]Caught ≥ 48 h before failure:[/] {_pct(s['flagged_48h_before_failure'])}; "
        f"before the customer would have noticed: {_pct(s['flagged_before_notice'])}.",
        f"[bold]Lead time:[/] median {_days(s['lead_median_days'])}, "
        f"10th percentile {_days(s['lead_p10_days'])}.",
        f"[bold]False alarms:[/] {det['false_alarms']} "
        f"({s['false_alarms_per_1000_device_months']} per 1,000 device-months); precision "
        f"{_pct(s['precision'])}; diagnosis {_pct(s['diagnosis_accuracy'])} correct.",
        f"[bold]Tickets:[/] {tk['opened']} opened from {data['findings']} findings, "
        f"{tk['visits_booked']} visits booked, {tk['remote_checks']} remote checks, "
        f"{tk['escalated']} escalated to a planner, {tk['messages']} customer messages; "
        f"{tk['on_healthy_devices']} on healthy heat pumps.",
        f"[bold]Pipeline:[/] {data['readings']:,} readings in {data['messages']:,} MQTT "
        f"messages through the broker and ingest"
        + (f"; {data['failed_runs']} detector runs failed and were skipped (see the log)."
           if data["failed_runs"] else "."),
    ]


def _tickets_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Tickets", show_lines=False)
    for col in ("#", "device", "diagnosis", "action", "priority", "visit booked"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["device"], str(r["diagnosis"]), r["action"],
                      str(r["priority"]), "yes" if r["booked"] else
                      ("escalated" if r["escalated"] else "-"))
    return table
