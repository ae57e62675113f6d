"""``forewarn services``: private Mosquitto and InfluxDB for development and tests."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context, fail
from services import (
    ServiceError,
    ServiceStack,
    ensure_influxd,
    ensure_mosquitto,
    ensure_postgres,
)

app = typer.Typer(
    help="Install and run private Mosquitto, InfluxDB and PostgreSQL on free loopback ports.\n\n"
    "They live in the services directory (setting services.dir, default .forewarn/services), "
    "not as system services. 'up' writes connection.toml there, which every other forewarn "
    "command reads, so after 'forewarn services up' the pipeline needs no further setup.",
    no_args_is_help=True,
)
console = Console()


def _stack(ctx: typer.Context) -> ServiceStack:
    return ServiceStack(app_context(ctx).settings.services.dir)


@app.command()
def install() -> None:
    """Install Mosquitto and PostgreSQL (Debian) and build influxd (cached; cold: ~5 min)."""
    try:
        console.print(f"mosquitto: {ensure_mosquitto(console.print)}")
        console.print(f"influxd:   {ensure_influxd(console.print)}")
        console.print(f"postgres:  {ensure_postgres()}")
    except ServiceError as exc:
        fail(str(exc))


@app.command()
def up(ctx: typer.Context) -> None:
    """Start every service (installing what is missing) and write their connection settings."""
    stack = _stack(ctx)
    try:
        with console.status("starting Mosquitto, InfluxDB and PostgreSQL..."):
            stack.up()
    except ServiceError as exc:
        fail(str(exc))
    _print_status(stack)
    console.print(f"connection settings written to {stack.connection_file}")


@app.command()
def down(ctx: typer.Context) -> None:
    """Stop every service. Their data stays in the services directory."""
    stack = _stack(ctx)
    stack.down()
    console.print("services stopped")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show whether each service runs and where. Exit code 1 if any is down."""
    stack = _stack(ctx)
    if not _print_status(stack):
        raise typer.Exit(1)


def _print_status(stack: ServiceStack) -> bool:
    table = Table(title=f"services in {stack.workdir}")
    table.add_column("service")
    table.add_column("state")
    table.add_column("address")
    table.add_column("pid")
    all_up = True
    for item in stack.status():
        all_up &= item.running
        state = "[green]running[/]" if item.running else "[red]stopped[/]"
        table.add_row(item.name, state, item.url, str(item.pid or "-"))
    console.print(table)
    if not all_up:
        console.print("start them with: forewarn services up")
    return all_up
