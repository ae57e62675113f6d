"""``forewarn ingest``: device telemetry from MQTT into the telemetry store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.context import app_context, fail
from ingest import DeadLetterStore, IngestError, Reason

app = typer.Typer(
    help="Consume device telemetry from MQTT and store it in InfluxDB (or the embedded store).\n\n"
    "Subscribes to the MQTT 5 shared subscription $share/<mqtt.shared_group>/<mqtt.topic_prefix>/# "
    "with QoS 1 and a persistent session, validates every message against the device contract "
    "(docs/telemetry.md), and writes readings in batches. A message is acknowledged only after "
    "its readings are in the store or, while the store is down, in the local spool "
    "(ingest.spool_dir), which is replayed in order once the store is back. Messages that break "
    "the contract go to the dead-letter store (ingest.dead_letter_path) with the reason: see "
    "'forewarn ingest dead-letters'.\n\n"
    "Prometheus metrics are served on 127.0.0.1:<ingest.metrics_port> (worker i of N on "
    "port + i). Logs are key=value lines on stderr.\n\n"
    "Scaling out: worker i always uses client id <mqtt.client_id>-<i>, so a restarted worker "
    "resumes its broker session. On several machines, give each machine its own "
    "mqtt.client_id and the same mqtt.shared_group.\n\n"
    "Examples:\n\n"
    "  forewarn services up && forewarn ingest\n\n"
    "  forewarn ingest --workers 2      # two processes share the subscription\n\n"
    "  FOREWARN_TELEMETRY__STORE=embedded forewarn ingest   # no InfluxDB needed",
    invoke_without_command=True,
    no_args_is_help=False,
)
console = Console()


@app.callback()
def ingest(
    ctx: typer.Context,
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, max=64,
        help="Worker processes on the shared subscription (default: setting ingest.workers).",
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", min=0, max=65535,
        help="Port for /metrics (default: ingest.metrics_port); 0 turns metrics off.",
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Run the ingest worker(s) until Ctrl-C or SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    settings = app_context(ctx).settings
    if log_level.lower() not in ("debug", "info", "warning", "error"):
        fail(f"--log-level {log_level!r} is not one of debug, info, warning, error")
    if metrics_port is not None:
        settings = settings.model_copy(
            update={"ingest": settings.ingest.model_copy(update={"metrics_port": metrics_port})})
    from ingest.supervisor import run

    try:
        run(settings, workers or settings.ingest.workers, log_level.lower())
    except IngestError as exc:
        fail(str(exc))


@app.command("dead-letters")
def dead_letters(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many of the newest to show."),
    reason: str | None = typer.Option(
        None, "--reason", help=f"Only this reason: {', '.join(r.value for r in Reason)}."),
    path: Path | None = typer.Option(
        None, "--path", help="Dead-letter file (default: setting ingest.dead_letter_path)."),
) -> None:
    """Show what was set aside and why: counts per reason, then the newest letters."""
    settings = app_context(ctx).settings
    file = path or settings.ingest.dead_letter_path
    if not Path(file).exists():
        console.print(f"no dead letters ({file} does not exist)")
        return
    if reason is not None and reason not in {r.value for r in Reason}:
        fail(f"--reason {reason!r} is not one of {', '.join(r.value for r in Reason)}")
    try:
        store = DeadLetterStore(file)
    except IngestError as exc:
        fail(str(exc))
    try:
        counts = store.counts()
        letters = store.latest(limit, reason)
    finally:
        store.close()
    summary = Table("reason", "count", title=f"dead letters in {file}")
    for name, count in sorted(counts.items()):
        summary.add_row(name, str(count))
    console.print(summary)
    table = Table("received (UTC)", "topic", "reason", "detail", "payload")
    for d in letters:
        when = datetime.fromtimestamp(d.received_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        payload = d.payload[:80].decode(errors="replace")
        if d.payload_size > 80:
            payload += f"... ({d.payload_size} bytes)"
        table.add_row(when, d.topic, d.reason, d.detail, payload)
    console.print(table)
