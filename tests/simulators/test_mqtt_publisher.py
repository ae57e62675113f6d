"""The fleet on the real Mosquitto: telemetry, retained metadata and status, real Last Wills."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from config import MQTTSettings, Settings
from simulators.backfill import backfill_mqtt
from simulators.errors import PublishError
from simulators.fleet import Fleet
from simulators.mqtt_publisher import FleetPublisher
from simulators.wire import Realism, Wire

pytestmark = pytest.mark.services
START = 1_767_225_600.0


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool


@dataclass
class Listener:
    """A subscriber on the broker that keeps every message it gets."""

    settings: MQTTSettings
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.connect(self.settings.host, self.settings.port)
        self.client.subscribe(f"{self.settings.topic_prefix}/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(10)

    def _on_message(self, client: object, userdata: object, msg: paho.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(Received(msg.topic, msg.payload, bool(msg.retain)))

    def on(self, channel: str, device: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if m.topic.endswith("/" + channel)
                    and (device is None or f"/{device}/" in m.topic)]

    def wait(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out waiting for messages"
            time.sleep(0.05)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def mqtt_settings(settings: Settings) -> MQTTSettings:
    """The session broker, with a topic prefix of this test only (retained messages stay put)."""
    return settings.mqtt.model_copy(update={"topic_prefix": f"sim{uuid.uuid4().hex[:8]}/v1"})


@pytest.fixture
def listener(mqtt_settings: MQTTSettings) -> Iterator[Listener]:
    lst = Listener(mqtt_settings)
    yield lst
    lst.close()


def _fleet_on_broker(settings: MQTTSettings, n: int = 3,
                     realism: Realism = Realism()) -> tuple[Fleet, Wire, FleetPublisher]:
    fleet = Fleet(n, seed=8, start_s=START, interval_s=60)
    wire = Wire(fleet.devices, realism, seed=8, prefix=settings.topic_prefix)
    publisher = FleetPublisher(settings, wire, client_id_prefix=f"t{uuid.uuid4().hex[:6]}")
    publisher.connect(int(START * 1000))
    publisher.publish_all(wire.hello(int(START * 1000)))
    return fleet, wire, publisher


def test_devices_publish_telemetry_and_retained_metadata(mqtt_settings: MQTTSettings,
                                                         listener: Listener) -> None:
    fleet, wire, publisher = _fleet_on_broker(mqtt_settings)
    for _ in range(20):
        frame = fleet.step()
        publisher.apply(wire.step(frame, 60), frame.ts_ms)
    assert publisher.flush()
    listener.wait(lambda: len(listener.on("telemetry")) == 60)
    first = json.loads(listener.on("telemetry", fleet.device_ids[0])[0].payload)
    assert first["ts"] == int(START * 1000) and first["seq"] == 1 and first["signals"]
    publisher.close(wire.goodbye(fleet.step().ts_ms))

    late = Listener(mqtt_settings)  # joins after the fact: gets the retained messages only
    try:
        late.wait(lambda: len(late.on("meta")) == 3 and len(late.on("status")) == 3)
        meta = json.loads(late.on("meta", fleet.device_ids[1])[0].payload)
        assert meta == fleet.devices[1].meta and all(m.retain for m in late.on("meta"))
        assert {json.loads(m.payload)["state"] for m in late.on("status")} == {"offline"}
        assert not late.on("telemetry")
    finally:
        late.close()


def test_a_device_that_drops_off_gets_its_last_will_published(mqtt_settings: MQTTSettings,
                                                              listener: Listener) -> None:
    fleet, wire, publisher = _fleet_on_broker(mqtt_settings)
    try:
        dropped = fleet.device_ids[1]
        listener.wait(lambda: len(listener.on("status", dropped)) == 1)
        publisher.drop(1)
        listener.wait(lambda: len(listener.on("status", dropped)) == 2)
        will = listener.on("status", dropped)[-1]
        assert json.loads(will.payload) == {"state": "offline", "ts": int(START * 1000)}
        assert not listener.on("status", fleet.device_ids[0])[-1].payload.count(b"offline")
        publisher.reconnect(1, int(START * 1000) + 60_000)
        publisher.publish_all(wire.hello(int(START * 1000) + 60_000)[2:4])
        listener.wait(lambda: json.loads(listener.on("status", dropped)[-1].payload)["state"]
                      == "online")
        assert publisher.flush() and publisher.is_connected(1)
    finally:
        publisher.close()


def test_an_untidy_fleet_loses_no_reading_across_drops_and_backlogs(
        mqtt_settings: MQTTSettings, listener: Listener) -> None:
    realism = Realism(offline_per_day=40.0, offline_hours=(0.05, 0.2), duplicate_share=0.01)
    fleet, wire, publisher = _fleet_on_broker(mqtt_settings, n=4, realism=realism)
    steps = 240
    for _ in range(steps):
        frame = fleet.step()
        publisher.apply(wire.step(frame, 60), frame.ts_ms)
    end = round(fleet.t_s * 1000)
    publisher.apply(wire.bring_back(end), end)
    publisher.close(wire.goodbye(end))
    expected = set(range(1, steps + 1))
    for device in fleet.device_ids:

        def got(device: str = device) -> set[int]:
            seqs = set()
            for m in listener.on("telemetry", device):
                body = json.loads(m.payload)
                seqs.update(r["seq"] for r in body.get("readings", [body]))
            return seqs

        listener.wait(lambda got=got: got() >= expected)
    wills = [m for m in listener.on("status") if b'"offline"' in m.payload]
    assert len(wills) > 4  # Last Wills from the drops, plus the clean goodbyes


def test_backfill_over_mqtt_sends_every_reading_in_batches(mqtt_settings: MQTTSettings,
                                                           listener: Listener) -> None:
    fleet = Fleet(5, seed=3, start_s=START, interval_s=300)
    wire = Wire(fleet.devices, seed=3, prefix=mqtt_settings.topic_prefix)
    publisher = FleetPublisher(mqtt_settings, wire, client_id_prefix=f"b{uuid.uuid4().hex[:6]}",
                               max_in_flight=20)
    publisher.connect(int(START * 1000))
    try:
        result = backfill_mqtt(fleet, publisher, wire, steps=600, batch_readings=250)
    finally:
        publisher.close()
    assert result.readings == 3000 and result.messages == 15
    listener.wait(lambda: len(listener.on("telemetry")) == 15)
    readings = [r for m in listener.on("telemetry") for r in json.loads(m.payload)["readings"]]
    assert len(readings) == 3000
    assert len(listener.on("meta")) == 5


def test_an_unreachable_broker_is_reported_with_what_to_check() -> None:
    settings = MQTTSettings(url="mqtt://127.0.0.1:9")
    fleet = Fleet(1, seed=0, start_s=START)
    publisher = FleetPublisher(settings, Wire(fleet.devices))
    with pytest.raises(PublishError, match=r"cannot connect to the MQTT broker at mqtt://127\.0"):
        publisher.connect(0)
