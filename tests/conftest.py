"""Fixtures shared by the whole suite.

The real services (Mosquitto and InfluxDB 2.x) are started once per test session
as private instances on free loopback ports, and stopped at the end. Tests that
use them talk to them over real sockets; nothing is mocked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import Settings, load_settings
from services import ServiceStack


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's FOREWARN_ variables or ./forewarn.toml."""
    for name in list(os.environ):
        if name.startswith("FOREWARN_") and name not in ("FOREWARN_CACHE", "FOREWARN_INFLUXD"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def service_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceStack]:
    """Real Mosquitto and InfluxDB for the whole session (installed/built if missing)."""
    stack = ServiceStack(tmp_path_factory.mktemp("services"))
    stack.up()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
def settings(service_stack: ServiceStack, tmp_path: Path) -> Settings:
    """Settings that point at the session's real services."""
    return load_settings(
        **service_stack.connection(),
        services={"dir": service_stack.workdir},
        environment="test",
    )
