"""A private InfluxDB 2.x (``influxd``) on a loopback port, onboarded with a generated token."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.errors import StartError
from services.install import ensure_influxd
from services.process import Daemon

ADMIN_USER = "forewarn"


@dataclass
class InfluxDB:
    """``influxd`` with its data in ``workdir``, listening on ``host:port``."""

    workdir: Path
    port: int
    host: str = "127.0.0.1"
    org: str = "forewarn"
    bucket: str = "telemetry"
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def __post_init__(self) -> None:
        self.daemon = Daemon("influxd", self.workdir)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 timeout: float = 2.0) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def answering(self) -> bool:
        try:
            status, body = self._request("GET", "/health")
        except OSError:
            return False
        return status == 200 and body.get("status") == "pass"

    def healthy(self) -> bool:
        return self.daemon.running() and self.answering()

    def start(self) -> None:
        if self.healthy():
            return
        binary = ensure_influxd()
        data = self.workdir / "influxd-data"
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            str(binary),
            "--reporting-disabled",
            f"--http-bind-address={self.host}:{self.port}",
            f"--bolt-path={data / 'influxd.bolt'}",
            f"--engine-path={data / 'engine'}",
            f"--sqlite-path={data / 'influxd.sqlite'}",
            "--log-level=warn",
            "--ui-disabled",
        ]
        self.daemon.start(argv, ready=self.answering, timeout=90)
        self.onboard()

    def onboard(self) -> None:
        """Run InfluxDB's first-time setup unless it has been done already."""
        status, body = self._request("GET", "/api/v2/setup")
        if status != 200:
            raise StartError(f"influxd setup check answered {status}: {body}")
        if not body.get("allowed"):
            return  # already set up (a restart of the same data directory)
        status, body = self._request("POST", "/api/v2/setup", {
            "username": ADMIN_USER,
            "password": secrets.token_urlsafe(24),
            "org": self.org,
            "bucket": self.bucket,
            "token": self.token,
            "retentionPeriodSeconds": 0,
        }, timeout=30)
        if status not in (200, 201):
            raise StartError(f"influxd onboarding failed with {status}: {body.get('message')}")

    def stop(self) -> None:
        self.daemon.stop()
