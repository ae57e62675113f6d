"""Errors raised while loading Forewarn's configuration.

    ConfigError
     ├── ConfigFileError      the TOML file is missing or not valid TOML
     └── SettingError         a setting has a value that is not allowed
"""

from __future__ import annotations


class ConfigError(Exception):
    """Forewarn cannot start with this configuration; the message says what to fix."""


class ConfigFileError(ConfigError):
    """The configuration file cannot be read or is not valid TOML."""


class SettingError(ConfigError):
    """One or more settings have values that are not allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))
