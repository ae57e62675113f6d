"""``forewarn demo``: the whole loop on embedded defaults in about a minute, no services."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.context import app_context, fail

console = Console()
err = Console(stderr=True)

STAGES = {"simulate": "simulating the fleet into the embedded store",
          "cohort": "learning each heat pump's normal",
          "replay": "running the detectors over the history",
          "dispatch": "opening and booking tickets"}


def demo(
    ctx: typer.Context,
    devices: int = typer.Option(50, "--devices", "-n", min=5, max=2_000,
                                help="Simulated heat pumps."),
    days: float = typer.Option(60.0, "--days", "-d", min=20.0, max=365.0,
                               help="Simulated days of history (from 1 October 2025)."),
    seed: int = typer.Option(1, "--seed", "-s", help="Same seed, same fleet, faults and result."),
    workdir: Path = typer.Option(Path(".forewarn/demo"), "--workdir",
                                 help="Where the demo's telemetry and ticket databases go."),
    chart: Path | None = typer.Option(None, "--chart",
                                      help="Where to save the chart (default: in --workdir)."),
    as_json: bool = typer.Option(False, "--json", help="Print the final report as JSON only."),
    keep_running: bool = typer.Option(
        False, "--keep-running",
        help="Afterwards, serve the planner web app on the demo's tickets until Ctrl-C."),
    open_browser: bool = typer.Option(False, "--open/--no-browser",
                                      help="With --keep-running, open the web app."),
    port: int = typer.Option(8000, "--port", min=1, max=65535,
                             help="Port of the web app with --keep-running."),
) -> None:
    """Run the whole loop on embedded defaults: no broker, database or InfluxDB needed.

    A fleet of simulated heat pumps, some developing faults, is written into the
    embedded telemetry store; the detectors run over its history in the same steps
    as the scheduler would; findings become prioritised tickets with technicians
    booked and customer messages queued, in a SQLite ticket database. At the end:
    faults injected, caught before the customer would have noticed, lead times,
    false alarms, tickets, a sample customer message, and a chart.

    Example: forewarn demo --devices 50 --days 60 --seed 1 --keep-running --open
    """
    settings = app_context(ctx).settings
    from demo.loop import run_demo
    from detect.evaluation.report import table, write_chart

    started = time.perf_counter()
    if not as_json:
        console.print(f"[bold]Forewarn demo[/]: {devices} simulated heat pumps over {days:g} "
                      f"days (seed {seed}), embedded store and SQLite, no services needed.")
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                  console=err, disable=as_json) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            result = run_demo(workdir.resolve(), devices, days, seed, progress)
        except OSError as exc:
            fail(f"cannot write the demo into {workdir}: {exc.strerror or exc}")
    png = write_chart(result.report, chart or workdir / "forewarn-demo.png")
    if as_json:
        data = result.to_dict()
        data["chart"] = str(png)
        print(json.dumps(data, indent=2, default=str))
        return
    console.print(table(result.report))
    for line in _story(result.to_dict()):
        console.print(line, highlight=False)
    if result.tickets.sample_message:
        console.print("\n[bold]The first message to a customer:[/]")
        console.print(result.tickets.sample_message, highlight=False)
    console.print(_tickets_table(result.tickets.rows))
    console.print(f"\nchart: {png}    ({time.perf_counter() - started:.0f} s)")
    if keep_running:
        _serve(settings, result.tickets_url, result.telemetry_path, port, open_browser)
    else:
        console.print("Run again with --keep-running to open the planner web app on these "
                      "tickets.")


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


def _serve(settings: Any, tickets_url: str, telemetry_path: Path, port: int,
           open_browser: bool) -> None:
    """Serve the planner web app on the demo's databases until Ctrl-C."""
    import uvicorn

    from api import create_app
    from api.accounts import create_user

    demo_settings = settings.model_copy(update={
        "tickets": settings.tickets.model_copy(update={"url": tickets_url}),
        "telemetry": settings.telemetry.model_copy(
            update={"store": "embedded", "embedded_path": telemetry_path}),
    })
    web = create_app(demo_settings)
    password = secrets.token_urlsafe(9)
    user = f"planner-{secrets.token_hex(2)}"
    create_user(web.state.forewarn.sessions, user, "planner", password, int(time.time() * 1000))
    url = f"http://127.0.0.1:{port}"
    console.print(f"\n[bold]Planner web app:[/] {url}  (log in as [bold]{user}[/], "
                  f"password [bold]{password}[/]); Ctrl-C stops.", highlight=False)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning")


