"""A private Mosquitto broker on a loopback port, with persistence for restarts."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from services.install import ensure_mosquitto
from services.process import Daemon, port_open

CONFIG_TEMPLATE = """\
# Written by forewarn services; private instance for development and tests.
listener {port} {host}
protocol mqtt
allow_anonymous true
# Run as the user who started it (as root, mosquitto would switch to user "mosquitto",
# which cannot write the data directory, and persistence would silently fail).
user {user}
persistence true
persistence_location {data}/
autosave_interval 1
# Persistent sessions must survive an ingest outage: do not drop queued messages.
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 100
max_packet_size 10485760
log_dest stdout
log_type error
log_type warning
log_type notice
"""


@dataclass
class Mosquitto:
    """Mosquitto in ``workdir``, listening on ``host:port``."""

    workdir: Path
    port: int
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        self.daemon = Daemon("mosquitto", self.workdir)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def write_config(self) -> Path:
        data = self.workdir / "mosquitto-data"
        data.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(CONFIG_TEMPLATE.format(port=self.port, host=self.host, data=data,
                                               user=getpass.getuser()))
        return conf

    def healthy(self) -> bool:
        return self.daemon.running() and port_open(self.host, self.port)

    def start(self) -> None:
        if self.healthy():
            return
        binary = ensure_mosquitto()
        conf = self.write_config()
        self.daemon.start([str(binary), "-c", str(conf)],
                          ready=lambda: port_open(self.host, self.port), timeout=30)

    def stop(self) -> None:
        self.daemon.stop()
