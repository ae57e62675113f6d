"""Build :class:`Settings` from defaults, files and the environment, or fail clearly."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.exceptions import SettingsError as _PydanticSettingsError

from config.errors import ConfigFileError, SettingError
from config.settings import Settings

DEFAULT_CONFIG_FILE = "forewarn.toml"
CONNECTION_FILE = "connection.toml"
_SECRET_WORDS = ("password", "token", "secret", "key")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a :class:`ConfigFileError`."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigFileError(f"config file {path} does not exist: check --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigFileError(f"config file {path} cannot be read: {exc.strerror}") from None


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``top``; nested tables merge key by key."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _services_dir(file_values: dict[str, Any], overrides: dict[str, Any]) -> Path:
    override = overrides.get("services")
    if isinstance(override, dict) and override.get("dir"):
        return Path(override["dir"])
    env = os.environ.get("FOREWARN_SERVICES__DIR")
    if env:
        return Path(env)
    from_file = file_values.get("services", {}).get("dir")
    return Path(from_file) if from_file else Settings.model_fields["services"].default.dir


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Load the settings Forewarn runs with.

    ``config_path`` is the ``--config`` file; without it ``forewarn.toml`` in the
    working directory is read if present. ``overrides`` win over everything.
    Raises :class:`config.ConfigError` with a message that names each bad setting.
    """
    file_values: dict[str, Any] = {}
    if config_path is not None:
        file_values = read_toml(Path(config_path))
    elif Path(DEFAULT_CONFIG_FILE).is_file():
        file_values = read_toml(Path(DEFAULT_CONFIG_FILE))

    connection = _services_dir(file_values, overrides) / CONNECTION_FILE
    if connection.is_file():
        file_values = deep_merge(read_toml(connection), file_values)

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            files = InitSettingsSource(settings_cls, init_kwargs=file_values)
            return init_settings, env_settings, files

    _Loaded.__name__ = _Loaded.__qualname__ = "Settings"
    try:
        return _Loaded(**overrides)
    except ValidationError as exc:
        raise SettingError([_describe(err) for err in exc.errors()]) from None
    except _PydanticSettingsError as exc:
        raise SettingError([f"{exc}: check the FOREWARN_ environment variables"]) from None


def _describe(err: Any) -> str:
    """One readable line for one validation error."""
    loc = [str(part) for part in err["loc"]]
    name = ".".join(loc) or "settings"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown setting '{name}': remove it or check its spelling"
    env = "FOREWARN_" + "__".join(part.upper() for part in loc)
    where = f"[{'.'.join(loc[:-1])}] {loc[-1]}" if len(loc) > 1 else loc[0] if loc else ""
    shown = ""
    if loc and not any(word in loc[-1] for word in _SECRET_WORDS) and "input" in err:
        value = err["input"]
        if not isinstance(value, dict):
            shown = f" (got {value!r})"
    return f"setting '{name}'{shown}: {message} — set {where} in the config file or {env}"
