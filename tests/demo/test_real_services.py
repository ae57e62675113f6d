"""Where the settings name a real broker, the demo runs over it instead of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_settings
from demo.pipeline import Demo, DemoOptions
from services import ServiceStack

pytestmark = pytest.mark.services


def test_the_demo_uses_the_configured_broker_over_mqtt_5(service_stack: ServiceStack,
                                                          tmp_path: Path) -> None:
    broker = service_stack.connection()["mqtt"]["url"]
    settings = load_settings(mqtt={"url": broker}, services={"dir": tmp_path / "none"})
    options = DemoOptions(devices=5, days=45.0, speed=0.0, seed=2, workdir=tmp_path / "demo",
                          port=0)
    with Demo(settings, options) as demo:
        demo.start()
        assert demo.settings.mqtt.url == broker and demo.settings.mqtt.protocol == "5"
        assert "embedded" not in demo.components.broker
        assert "embedded" in demo.components.telemetry  # no InfluxDB configured: its own
        demo.run()
        assert demo.status.readings_stored == demo.expected_readings(demo.status.end_ms)
        assert demo.api_tickets()["tickets"] == demo.ticket_counts()[0]
    running = [n for n in Demo.leftover_threads() if n.startswith(("demo-", "ingest", "paho"))]
    assert running == []
