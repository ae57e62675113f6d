"""Helpers for testing code that talks to ingest: a device-side publisher and sample readings.

Shipped with the package (like ``structlog.testing``) so every stage's tests and the
benchmarks publish exactly like a device does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from config import MQTTSettings


def sample_signals(seq: int) -> dict[str, float]:
    """Realistic heat-pump values, with decimals that must survive the trip exactly."""
    return {"outdoor_temp": -3.2 + seq % 7 * 0.1, "indoor_temp": 21.3, "supply_temp": 41.57,
            "return_temp": 35.1, "hot_water_temp": 48.25, "compressor_hz": 58.0 + seq % 3,
            "compressor_current": 7.31, "power_w": 2150.0, "heat_output_w": 6880.5,
            "high_pressure": 24.6, "low_pressure": 6.15, "discharge_temp": 78.9,
            "suction_temp": 2.4, "superheat": 5.6, "subcooling": 4.4, "fan_rpm": 640.0,
            "flow_lpm": 18.2, "defrost": 0.0, "inverter_temp": 0.1 + 0.2}


def sample_reading(seq: int, ts_ms: int, mode: str = "heating") -> dict[str, Any]:
    """One telemetry reading as a device sends it (a JSON-ready dict)."""
    return {"ts": ts_ms, "seq": seq, "mode": mode, "signals": sample_signals(seq)}


class Publisher:
    """A device-side paho client that publishes QoS 1 and can wait until the broker has all."""

    def __init__(self, settings: MQTTSettings, client_id: str) -> None:
        self.prefix = settings.topic_prefix
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=paho.MQTTv5)
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(1000)
        self.client.connect(settings.host, settings.port)
        self.client.loop_start()
        self._infos: list[paho.MQTTMessageInfo] = []

    def topic(self, device: str, channel: str = "telemetry", site: str = "site-1") -> str:
        return f"{self.prefix}/{site}/{device}/{channel}"

    def send(self, topic: str, payload: bytes | dict[str, Any], retain: bool = False) -> None:
        data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        self._infos.append(self.client.publish(topic, data, qos=1, retain=retain))

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until the broker has acknowledged everything sent so far."""
        for info in self._infos:
            info.wait_for_publish(timeout)
        self._infos.clear()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> bool:
    """Poll ``check`` until true or ``timeout`` seconds pass; return whether it became true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
