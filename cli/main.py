"""``forewarn``: predictive service alerts for connected heat pumps."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from cli import (
    api_cmd,
    demo_cmd,
    detect_cmd,
    dispatch_cmd,
    evaluate_cmd,
    ingest_cmd,
    score_cmd,
    services_cmd,
    simulate_cmd,
)
from cli.context import AppContext, app_context

app = typer.Typer(
    name="forewarn",
    help=(
        "Forewarn spots heat pumps that are about to fail and opens one proactive repair "
        "ticket per real problem, before the customer notices.\n\n"
        "Pipeline: devices publish over MQTT -> 'ingest' stores readings in InfluxDB -> "
        "'detect' runs scheduled detectors -> 'dispatch' opens and books tickets -> "
        "'api' serves planners.\n\n"
        "Start here: 'forewarn demo' runs the whole loop on embedded defaults. "
        "'forewarn services up' starts real Mosquitto and InfluxDB for development.\n\n"
        "Configuration: a TOML file (--config, or forewarn.toml in the working directory) and "
        "FOREWARN_<SECTION>__<FIELD> environment variables, e.g. FOREWARN_MQTT__URL. "
        "See 'forewarn config' for the values in effect."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def main(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c",
        help="TOML configuration file (default: ./forewarn.toml if present).",
        envvar="FOREWARN_CONFIG", dir_okay=False,
    ),
) -> None:
    ctx.obj = AppContext(config_path=config)


@app.command("config")
def show_config(ctx: typer.Context) -> None:
    """Print the settings in effect (secrets masked) as TOML-like sections."""
    settings = app_context(ctx).settings
    for name, section in settings.model_dump(mode="json").items():
        if not isinstance(section, dict):
            console.print(Text(f"{name} = {section!r}"))
            continue
        console.print(Text(f"\n[{name}]", style="bold"))
        for key, value in section.items():
            console.print(Text(f"{key} = {value!r}"))


# One place for every subcommand, in the order a newcomer meets them.
app.command("demo")(demo_cmd.demo)
app.command("simulate")(simulate_cmd.simulate)
app.add_typer(ingest_cmd.app, name="ingest")
app.command("detect")(detect_cmd.detect)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("score")(score_cmd.score)
app.add_typer(dispatch_cmd.app, name="dispatch")
app.add_typer(api_cmd.app, name="api")
app.add_typer(services_cmd.app, name="services")


if __name__ == "__main__":
    app()
