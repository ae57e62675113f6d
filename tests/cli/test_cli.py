"""The ``forewarn`` command teaches with --help and fails with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FOREWARN = Path(sys.executable).with_name("forewarn")
SUBCOMMANDS = ("ingest", "detect", "dispatch", "api", "simulate", "evaluate", "demo", "services")


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([str(FOREWARN), *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=False)


def test_help_lists_every_stage_and_explains_configuration() -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout
    assert "FOREWARN_" in result.stdout
    assert "--config" in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_a_bad_setting_gives_one_line_and_no_traceback() -> None:
    result = run("config", env={"FOREWARN_MQTT__URL": "http://nope"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("forewarn: error: setting 'mqtt.url'")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "missing.toml"), "config")
    assert result.returncode == 2
    assert "missing.toml does not exist" in result.stderr


def test_config_shows_values_with_secrets_masked() -> None:
    env = {"FOREWARN_INFLUX__TOKEN": "tok-123456", "FOREWARN_API__PORT": "8123"}
    result = run("config", env=env)
    assert result.returncode == 0, result.stderr
    assert "port = 8123" in result.stdout
    assert "tok-123456" not in result.stdout
    assert "**********" in result.stdout


def test_services_status_says_how_to_start_stopped_services(tmp_path: Path) -> None:
    result = run("services", "status", env={"FOREWARN_SERVICES__DIR": str(tmp_path / "none")})
    assert result.returncode == 1
    assert "stopped" in result.stdout
    assert "forewarn services up" in result.stdout


def test_services_up_status_down_through_the_command_line(tmp_path: Path) -> None:
    """The real command starts private instances, reports them and stops them."""
    env = {"FOREWARN_SERVICES__DIR": str(tmp_path / "svc")}
    up = run("services", "up", env=env, timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert (tmp_path / "svc" / "connection.toml").is_file()
        status = run("services", "status", env=env)
        assert status.returncode == 0, status.stdout
        assert status.stdout.count("running") == 3
        shown = run("config", env=env)
        assert "127.0.0.1:1883" not in shown.stdout  # the private port, not the default
    finally:
        down = run("services", "down", env=env)
    assert down.returncode == 0
    assert run("services", "status", env=env).returncode == 1
