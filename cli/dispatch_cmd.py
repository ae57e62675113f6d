"""``forewarn dispatch``: findings into prioritised, booked repair tickets."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context, fail, utc_minute
from config import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="Turn findings into one prioritised, explained ticket per real problem, book a "
    "technician before the predicted failure, tell the customer, and notify other systems.\n\n"
    "The ticket database is tickets.url (SQLite by default, PostgreSQL for several "
    "dispatchers); it is migrated at start. Customers, sites and technicians come from "
    "'forewarn dispatch seed'. Settings: the dispatch section of 'forewarn config'.\n\n"
    "Examples:\n\n"
    "  forewarn dispatch seed --fleet 50 --seed 1     # demo directory from the simulator\n\n"
    "  forewarn dispatch run                          # follow detect.findings_path\n\n"
    "  forewarn dispatch queue && forewarn dispatch show 12\n\n"
    "  forewarn dispatch close 12 --outcome fault_confirmed --cause 'leaking valve'\n\n"
    "  forewarn dispatch kpis",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _service(settings: Settings, weather_seed: int | None = None,
             device_meta: bool = False) -> Any:
    from dispatch import DispatchError, open_service
    from dispatch.context import store_meta_lookup
    from dispatch.forecast import SimulatedForecast
    from ingest.errors import IngestError
    from ingest.store import open_store

    forecast = None
    if weather_seed is not None:
        from simulators.climate import CLIMATES
        from simulators.weather import Weather

        forecast = SimulatedForecast(Weather(list(CLIMATES.values()),
                                             time.time() - 86_400, weather_seed))
    lookup = None
    if device_meta:
        try:
            lookup = store_meta_lookup(open_store(settings))
        except IngestError as exc:
            fail(f"{exc}. Use --no-device-meta to dispatch from the directory alone.")
    try:
        return open_service(settings, forecast, lookup)
    except DispatchError as exc:
        fail(f"{exc}. Check tickets.url (now {settings.tickets.url!r}).")


def _read(ctx: typer.Context, read: Callable[[Session], T]) -> T:
    """``read`` the ticket database in one session, then close the service."""
    service = _service(app_context(ctx).settings)
    try:
        with service.sessions() as s:
            return read(s)
    finally:
        service.close()


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the ticket database's schema (also done by every command)."""
    settings = app_context(ctx).settings
    from dispatch import DispatchError
    from dispatch.store import connect
    from dispatch.store import migrate as run_migrations

    try:
        revision = run_migrations(connect(settings.tickets.url))
    except DispatchError as exc:
        fail(str(exc))
    console.print(f"ticket database at revision {revision}")


@app.command()
def seed(
    ctx: typer.Context,
    file: Path | None = typer.Argument(None, help="TOML or JSON file with customers and "
                                       "technicians (see dispatch/directory.py)."),
    fleet: int | None = typer.Option(None, "--fleet", min=1,
                                     help="Instead: a customer per simulated device."),
    fleet_seed: int = typer.Option(1, "--seed", help="Simulator seed (with --fleet)."),
    technicians: int = typer.Option(3, "--technicians", min=1,
                                    help="Technicians per region (with --fleet)."),
) -> None:
    """Load customers, sites, devices and technicians into the ticket database."""
    from dispatch import DispatchError
    from dispatch.directory import directory_from_fleet, load_directory
    from dispatch.directory import seed as run_seed

    if (file is None) == (fleet is None):
        fail("give a directory FILE or --fleet N (not both)")
    try:
        directory = load_directory(file) if file else directory_from_fleet(
            fleet or 0, fleet_seed, technicians)
    except DispatchError as exc:
        fail(str(exc))
    service = _service(app_context(ctx).settings)
    try:
        customers, devices, techs = run_seed(service.sessions, directory)
    finally:
        service.close()
    console.print(f"seeded {customers} customers, {devices} devices, {techs} technicians")


@app.command()
def run(
    ctx: typer.Context,
    findings: Path | None = typer.Option(None, "--findings", "-f",
                                         help="Findings file (default: detect.findings_path)."),
    once: bool = typer.Option(False, "--once", help="One pass, then exit."),
    interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between passes."),
    sweep_every: float = typer.Option(
        60.0, "--sweep-every", min=0.0,
        help="Seconds between sweeps (cleared problems, promises at risk, unbooked visits)."),
    weather_seed: int | None = typer.Option(
        None, "--simulated-weather",
        help="Use the simulator's weather with this seed as the forecast (demo)."),
    device_meta: bool = typer.Option(
        True, "--device-meta/--no-device-meta",
        help="Add the metadata devices publish (model, firmware, ...) from the telemetry store."),
) -> None:
    """Follow the findings file: open, update and book tickets, sweep, send the outbox.

    Runs until Ctrl-C or SIGTERM; several 'forewarn dispatch run' processes may share a
    PostgreSQL ticket database (tickets.url).
    """
    settings = app_context(ctx).settings
    from dispatch import DispatchError, FindingsFollower

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    service = _service(settings, weather_seed, device_meta)
    follower = FindingsFollower(service.dispatcher, findings or settings.detect.findings_path)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    last_sweep = 0.0
    try:
        while not stop.is_set():
            now = _now_ms()
            handled = follower.poll(now)
            swept = {"cleared": 0, "at_risk": 0, "booked": 0}
            if time.monotonic() - last_sweep >= sweep_every or once:
                swept, last_sweep = service.dispatcher.sweep(now), time.monotonic()
            sent = service.outbox.deliver_due(now)
            if handled or any(swept.values()) or sent.sent or sent.dead:
                console.print(f"{len(handled)} finding(s), {sum(h.created for h in handled)} "
                              f"new ticket(s), {swept['cleared']} cleared, "
                              f"{swept['at_risk']} promise(s) newly at risk, {sent.sent} sent, "
                              f"{sent.retried} to retry, {sent.dead} dead-lettered")
            if once:
                return
            stop.wait(interval)
    except DispatchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        service.close()


@app.command()
def queue(ctx: typer.Context) -> None:
    """Open tickets, worst first: escalated ones, then by priority."""
    from dispatch import views

    rows = _read(ctx, views.queue)
    table = Table("id", "device", "problem", "diagnosis", "prio", "action", "booked (UTC)",
                  "note")
    for r in rows:
        b = r["booking"]
        note = "ESCALATED" if r["escalated"] else (b or {}).get("at_risk") or ""
        table.add_row(str(r["id"]), r["device_id"], r["problem"],
                      f"{r['diagnosis']} ({r['confidence']:.2f})",
                      f"{r['priority']} {r['score']:.0f}", r["action"],
                      utc_minute(b["start_ms"]) if b else "-", note)
    console.print(table)


@app.command()
def promises(ctx: typer.Context) -> None:
    """Promised visits at risk: the window passed without a visit, or the failure is now
    predicted before it."""
    from dispatch import views

    rows = _read(ctx, views.promises_at_risk)
    if not rows:
        console.print("no promise at risk")
        return
    table = Table("ticket", "technician", "window (UTC)", "why")
    for r in rows:
        table.add_row(str(r["ticket_id"]), r["technician_id"],
                      f"{utc_minute(r['start_ms'])} - {utc_minute(r['end_ms'])[-5:]}",
                      r["at_risk"])
    console.print(table)


@app.command()
def show(ctx: typer.Context, ticket_id: int = typer.Argument(..., help="Ticket id.")) -> None:
    """Everything about one ticket, as JSON."""
    from dispatch import views

    view = _read(ctx, lambda s: views.ticket(s, ticket_id))
    if view is None:
        fail(f"no ticket {ticket_id}: see 'forewarn dispatch queue'")
    print(json.dumps(view, indent=2, ensure_ascii=False))


@app.command()
def close(
    ctx: typer.Context,
    ticket_id: int = typer.Argument(..., help="Ticket id."),
    outcome: str = typer.Option(..., "--outcome",
                                help="fault_confirmed, no_fault_found or cleared."),
    cause: str | None = typer.Option(None, "--cause", help="What was found."),
    customer_noticed: bool = typer.Option(False, "--customer-noticed",
                                          help="The customer noticed before we came."),
) -> None:
    """Close a ticket with its outcome (labels for detect, KPIs)."""
    from dispatch.feedback import OUTCOMES, TicketNotOpen, close_ticket

    if outcome not in OUTCOMES:
        fail(f"--outcome {outcome!r} must be one of {', '.join(OUTCOMES)}")
    service = _service(app_context(ctx).settings)
    try:
        close_ticket(service.dispatcher, ticket_id, outcome, _now_ms(), cause=cause,
                     customer_noticed=customer_noticed)
        service.outbox.deliver_due(_now_ms())
    except TicketNotOpen as exc:
        fail(f"{exc}: see 'forewarn dispatch queue'")
    finally:
        service.close()
    console.print(f"ticket {ticket_id} closed: {outcome}")


@app.command()
def kpis(ctx: typer.Context,
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Failures prevented, lead time, false dispatch rate, promises kept, time to booking."""
    from dispatch import kpis as k

    result = _read(ctx, lambda s: k.from_database(s, _now_ms()))
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    table = Table("KPI", "value")
    for name, value in result.to_dict().items():
        table.add_row(name.replace("_", " "), "-" if value is None else str(value))
    console.print(table)
