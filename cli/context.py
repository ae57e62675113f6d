"""What every subcommand needs: the settings, loaded once, a clean way to fail, and one way
to show a moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from config import ConfigError, Settings, load_settings

err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``forewarn: error: ...`` on stderr and exit; never a stack trace."""
    err_console.print(Text("forewarn: error: ", style="bold red") + Text(message), soft_wrap=True)
    raise typer.Exit(code)


def utc_minute(ms: int | None) -> str:
    """``ms`` (epoch milliseconds) as ``YYYY-MM-DD HH:MM`` in UTC; ``-`` for none."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


@dataclass
class AppContext:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                fail(str(exc))
        return self._settings


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj
