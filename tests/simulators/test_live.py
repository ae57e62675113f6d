"""Live runs: simulated time runs at --speed times wall-clock time, and stops cleanly."""

from __future__ import annotations

import time
import uuid

import pytest

from config import Settings
from simulators.fleet import Fleet
from simulators.live import run_live
from simulators.mqtt_publisher import FleetPublisher
from simulators.wire import Wire

pytestmark = pytest.mark.services


def test_accelerated_live_run_keeps_its_pace_and_reports_progress(settings: Settings) -> None:
    mqtt = settings.mqtt.model_copy(update={"topic_prefix": f"live{uuid.uuid4().hex[:6]}/v1"})
    fleet = Fleet(2, seed=1, start_s=1_767_225_600.0, interval_s=60)
    wire = Wire(fleet.devices, prefix=mqtt.topic_prefix)
    publisher = FleetPublisher(mqtt, wire, client_id_prefix=f"l{uuid.uuid4().hex[:6]}")
    seen: list[tuple[int, float]] = []
    began = time.monotonic()
    result = run_live(fleet, wire, publisher, steps=6, speed=600.0,
                      progress=lambda done, t: seen.append((done, t)))
    elapsed = time.monotonic() - began
    assert 0.55 < elapsed < 5.0  # six readings a simulated minute apart, 600x: 0.6 s
    assert result.steps == 6 and result.readings == 12 and not result.interrupted
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[-1][1] - seen[0][1] == 300.0
