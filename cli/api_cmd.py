"""``forewarn api``: serve the REST API and the planner web app; manage API keys and users."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context, fail
from config import Settings

app = typer.Typer(
    help="The REST API (OpenAPI at /docs) and the planner web app, from one process.\n\n"
    "Every endpoint but /healthz and /readyz needs an API key (Authorization: Bearer KEY) "
    "or a web login. Keys and users live in the ticket database (tickets.url).\n\n"
    "Examples:\n\n"
    "  forewarn api serve                                  # http://127.0.0.1:8000\n\n"
    "  forewarn api keys create --role integration --name crm\n\n"
    "  forewarn api users create --name anna --role planner   # asks for a password\n\n"
    "Settings: the api section of 'forewarn config' (FOREWARN_API__SESSION_SECRET must be "
    "set in production; FOREWARN_API__COOKIE_SECURE=false only behind plain HTTP on a LAN).",
    no_args_is_help=True,
)
keys = typer.Typer(help="API keys for systems and scripts (stored hashed, shown once).",
                   no_args_is_help=True)
users = typer.Typer(help="Web users (planners, technicians) who log in with a password.",
                    no_args_is_help=True)
app.add_typer(keys, name="keys")
app.add_typer(users, name="users")
console = Console()
ROLE_HELP = "planner, technician, integration or admin."


def _now_ms() -> int:
    return int(time.time() * 1000)


def _sessions(settings: Settings) -> Any:
    from api.accounts import ensure_tables
    from dispatch import DispatchError
    from dispatch.store import connect, migrate, session_factory

    try:
        engine = connect(settings.tickets.url)
        migrate(engine)
        ensure_tables(engine)
    except DispatchError as exc:
        fail(f"{exc}. Check tickets.url (now {settings.tickets.url!r}).")
    return session_factory(engine)


@app.command()
def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Interface (default: api.host)."),
    port: int | None = typer.Option(None, min=0, max=65535, help="Port (default: api.port)."),
    workers: int = typer.Option(1, min=1, max=64, help="Processes (each with its own pool)."),
) -> None:
    """Serve the API and the web app until interrupted."""
    import uvicorn

    from api import create_app
    from api.errors import ConfigError
    from dispatch import DispatchError
    from ingest.errors import IngestError

    context = app_context(ctx)
    settings = context.settings
    try:
        web = create_app(settings)  # also checks the settings and migrates once, up front
    except (ConfigError, DispatchError, IngestError) as exc:
        fail(str(exc))
    bind_host = host or settings.api.host
    bind_port = settings.api.port if port is None else port
    if workers == 1:
        uvicorn.run(web, host=bind_host, port=bind_port, proxy_headers=True, log_level="info")
        return
    web.state.forewarn.close()
    if context.config_path is not None:  # each worker builds its app from the environment
        os.environ["FOREWARN_CONFIG"] = str(context.config_path)
    uvicorn.run("api.app:from_environment", factory=True, workers=workers, proxy_headers=True,
                log_level="info", host=bind_host, port=bind_port)


@keys.command("create")
def create_key(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Who or what uses it (unique)."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
) -> None:
    """Create a key and print it once."""
    from api.accounts import AccountError
    from api.accounts import create_key as make

    sessions = _sessions(app_context(ctx).settings)
    try:
        key = make(sessions, name, role, _now_ms())
    except AccountError as exc:
        fail(str(exc))
    console.print(f"API key for [bold]{name}[/] ({role}); shown once, store it now:",
                  highlight=False)
    print(key)


@keys.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Keys by name and role (never the keys themselves)."""
    from api.accounts import list_keys as rows

    table = Table("name", "role", "starts with", "created (UTC)", "revoked")
    for k in rows(_sessions(app_context(ctx).settings)):
        table.add_row(k.name, k.role, k.hint + "…", time.strftime(
            "%Y-%m-%d %H:%M", time.gmtime(k.created_ms / 1000)), "yes" if k.revoked_ms else "")
    console.print(table)


@keys.command("revoke")
def revoke_key(ctx: typer.Context, name: str = typer.Argument(..., help="The key's name.")
               ) -> None:
    """Revoke a key at once."""
    from api.accounts import AccountError
    from api.accounts import revoke_key as revoke

    try:
        revoke(_sessions(app_context(ctx).settings), name, _now_ms())
    except AccountError as exc:
        fail(str(exc))
    console.print(f"revoked {name}")


@users.command("create")
def create_user(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="The user name to log in with."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
) -> None:
    """Create a web user (password asked for, or read from stdin)."""
    from api.accounts import AccountError
    from api.accounts import create_user as make

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        make(_sessions(app_context(ctx).settings), name, role, password, _now_ms())
    except AccountError as exc:
        fail(str(exc))
    console.print(f"created user {name} ({role})")
