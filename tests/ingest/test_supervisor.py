"""``forewarn ingest`` as real processes: killed mid-stream; several on one shared subscription."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from prometheus_client.parser import text_string_to_metric_families

from config import Settings
from ingest.store import InfluxStore
from ingest.testing import Publisher, sample_reading, wait_until
from services.process import free_port, port_open

pytestmark = pytest.mark.services

T0 = int(time.time() * 1000) - 3_600_000
WINDOW = (T0 - 86_400_000, T0 + 86_400_000)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    return value


def write_config(settings: Settings, path: Path, metrics_port: int) -> Path:
    """A TOML file with ``settings`` (the token in clear: it is the test's private InfluxDB)."""
    data = _plain(settings.model_dump(mode="json"))
    data["influx"]["token"] = settings.influx.token.get_secret_value()
    data["ingest"]["metrics_port"] = metrics_port
    data["ingest"]["flush_interval"] = 0.2
    path.write_text(tomli_w.dumps(data))
    return path


def free_port_pair() -> int:
    """A port P with P and P + 1 both free (worker i of N serves metrics on P + i)."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and not port_open("127.0.0.1", port + 1):
            return port
    raise RuntimeError("no two adjacent free ports")


def metrics(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {s.name: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if not s.labels}


def ready(port: int) -> bool:
    try:
        return metrics(port).get("forewarn_ingest_connected") == 1.0
    except OSError:
        return False


class IngestProcess:
    """``python -m cli.main --config FILE ingest ...`` with its output in a log file."""

    def __init__(self, config: Path, log: Path, *args: str) -> None:
        self.argv = [sys.executable, "-m", "cli.main", "--config", str(config), "ingest", *args]
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def signal(self, sig: int) -> int:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig) if sig == signal.SIGKILL else self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def reader(ingest_settings: Settings) -> Iterator[InfluxStore]:
    store = InfluxStore(ingest_settings.influx)
    yield store
    store.close()


def stored(reader: InfluxStore, devices: list[str]) -> int:
    return sum(reader.count_readings(*WINDOW, device_id=d) for d in devices)


def test_ingest_killed_with_sigkill_mid_stream_then_restarted_loses_nothing(
        ingest_settings: Settings, reader: InfluxStore, tmp_path: Path) -> None:
    port = free_port()
    config = write_config(ingest_settings, tmp_path / "forewarn.toml", port)
    ingest = IngestProcess(config, tmp_path / "ingest.log")
    ingest.start()
    try:
        assert wait_until(lambda: ready(port), timeout=60), ingest.log.read_text()
        devices = [f"hp-k{i}" for i in range(10)]
        total = 6000

        def stream() -> None:
            pub = Publisher(ingest_settings.mqtt, "device-sigkill")
            for seq in range(total):
                pub.send(pub.topic(devices[seq % 10]), sample_reading(seq, T0 + seq * 100))
                if seq % 200 == 199:
                    pub.flush()
                    time.sleep(0.02)
            pub.flush()
            pub.close()

        sender = threading.Thread(target=stream)
        sender.start()
        assert wait_until(lambda: stored(reader, devices) > 500, timeout=60)
        assert ingest.signal(signal.SIGKILL) == -signal.SIGKILL
        sender.join(timeout=120)
        assert stored(reader, devices) < total, "the kill came too late to prove anything"
        ingest.start()
        assert wait_until(lambda: stored(reader, devices) == total, timeout=90)
    finally:
        ingest.stop()


def test_two_workers_on_the_shared_subscription_store_every_reading_once(
        ingest_settings: Settings, reader: InfluxStore, tmp_path: Path) -> None:
    port = free_port_pair()
    config = write_config(ingest_settings, tmp_path / "forewarn.toml", port)
    ingest = IngestProcess(config, tmp_path / "ingest.log", "--workers", "2")
    ingest.start()
    try:
        assert wait_until(lambda: ready(port) and ready(port + 1), timeout=90), \
            ingest.log.read_text()
        devices = [f"hp-w{i}" for i in range(40)]
        pub = Publisher(ingest_settings.mqtt, "device-two-workers")
        for seq in range(4000):
            pub.send(pub.topic(devices[seq % 40]), sample_reading(seq, T0 + seq * 100))
        pub.flush()
        pub.close()
        assert wait_until(lambda: stored(reader, devices) == 4000, timeout=60)
        assert wait_until(lambda: sum(metrics(p)["forewarn_ingest_readings_stored_total"]
                                      for p in (port, port + 1)) == 4000)
        each = [metrics(p)["forewarn_ingest_readings_stored_total"] for p in (port, port + 1)]
        assert all(n > 0 for n in each), f"one worker got nothing: {each}"
        assert ingest.signal(signal.SIGTERM) == 0
    finally:
        ingest.stop()
