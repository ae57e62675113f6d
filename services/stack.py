"""Mosquitto, InfluxDB and PostgreSQL together: `forewarn services` and the test fixtures.

``up`` starts private instances on free loopback ports in a scratch directory
and writes ``connection.toml`` there; :func:`config.load_settings` reads that
file, so every other command finds the services without further setup.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from config import CONNECTION_FILE
from services.influxdb import InfluxDB
from services.mosquitto import Mosquitto
from services.postgres import PostgreSQL
from services.process import free_port

STATE_FILE = "services.json"


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    url: str
    pid: int | None


class ServiceStack:
    """The private services that live in ``workdir``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir).resolve()
        state = self._read_state()
        self.mosquitto = Mosquitto(self.workdir, port=state.get("mqtt_port") or free_port())
        self.influxdb = InfluxDB(self.workdir, port=state.get("influx_port") or free_port())
        self.postgres = PostgreSQL(self.workdir, port=state.get("postgres_port") or free_port())
        if state.get("influx_token"):
            self.influxdb.token = state["influx_token"]

    @property
    def services(self) -> tuple[tuple[str, Mosquitto | InfluxDB | PostgreSQL], ...]:
        """Every service by name, in start order."""
        return (("mosquitto", self.mosquitto), ("influxdb", self.influxdb),
                ("postgresql", self.postgres))

    @property
    def state_file(self) -> Path:
        return self.workdir / STATE_FILE

    @property
    def connection_file(self) -> Path:
        return self.workdir / CONNECTION_FILE

    def _read_state(self) -> dict[str, Any]:
        try:
            return dict(json.loads((self.workdir / STATE_FILE).read_text()))
        except (FileNotFoundError, ValueError):
            return {}

    def _write_state(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        state = {
            "mqtt_port": self.mosquitto.port,
            "influx_port": self.influxdb.port,
            "postgres_port": self.postgres.port,
            "influx_token": self.influxdb.token,
        }
        self._write_private(self.state_file, json.dumps(state, indent=2))
        self._write_private(self.connection_file, tomli_w.dumps(self.connection()))

    @staticmethod
    def _write_private(path: Path, text: str) -> None:
        """Write a file only its owner can read: it holds the InfluxDB token."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)

    def connection(self) -> dict[str, Any]:
        """The settings (as a TOML-shaped dict) that point Forewarn at these services."""
        return {
            "mqtt": {"url": self.mosquitto.url},
            "influx": {
                "url": self.influxdb.url,
                "org": self.influxdb.org,
                "bucket": self.influxdb.bucket,
                "token": self.influxdb.token,
            },
            "tickets": {"url": self.postgres.url},
        }

    def up(self) -> None:
        """Install what is missing and start every service (already running ones are kept)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_state()  # ports and token are fixed here: written before anything starts
        for _, service in self.services:
            service.start()

    def down(self) -> None:
        for _, service in self.services:
            service.stop()
        self.connection_file.unlink(missing_ok=True)

    def status(self) -> list[ServiceStatus]:
        return [ServiceStatus(name, service.healthy(), service.url, service.daemon.pid)
                for name, service in self.services]
