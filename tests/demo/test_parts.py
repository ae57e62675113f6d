"""The demo's parts on their own: schedule, gateway uploads, settings, the embedded broker."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from config import load_settings
from demo.broker import EmbeddedBroker
from demo.gateway import GatewayWire
from demo.pipeline import TOPIC_PREFIX, demo_settings
from demo.schedule import SimSchedule
from ingest.testing import wait_until
from services.process import port_free
from simulators.fleet import Fleet

H = 3_600_000


def test_the_schedule_runs_each_job_at_its_cadence_of_simulated_time_in_order() -> None:
    schedule = SimSchedule({"quick": H, "score": 6 * H, "retrain": 24 * H}, start_ms=0)
    runs = list(schedule.due(6 * H))
    assert runs[:3] == [(0, "retrain"), (0, "quick"), (0, "score")]
    assert [t for t, job in runs if job == "quick"] == [k * H for k in range(7)]
    assert (6 * H, "score") in runs and runs[-1] == (6 * H, "score")
    assert list(schedule.due(6 * H)) == []  # each run once
    assert schedule.peek() == (7 * H, "quick")


def test_gateways_upload_each_pumps_readings_in_batches_and_events_at_once() -> None:
    fleet = Fleet(3, seed=1, start_s=1_759_276_800.0, interval_s=600.0)
    wire = GatewayWire(fleet.devices, every=3, prefix=TOPIC_PREFIX)
    sent = [wire.step(fleet.step(), 600.0).messages for _ in range(7)]
    telemetry = [[m for m in step if m.topic.endswith("/telemetry")] for step in sent]
    assert [len(t) for t in telemetry] == [0, 0, 3, 0, 0, 3, 0]
    batch = orjson.loads(telemetry[2][0].payload)["readings"]
    seqs = [r["seq"] for r in batch]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    assert all(m.topic.startswith(f"{TOPIC_PREFIX}/") for m in telemetry[2])
    rest = [m for m in wire.bring_back(0).messages if m.topic.endswith("/telemetry")]
    assert [len(orjson.loads(m.payload)["readings"]) for m in rest] == [1, 1, 1]


def test_the_demo_runs_embedded_unless_real_services_are_configured(tmp_path: Path) -> None:
    bare, parts = demo_settings(load_settings(), tmp_path)
    assert bare.mqtt.protocol == "3.1.1" and "embedded" in parts.broker
    assert bare.telemetry.store == "embedded"
    assert bare.telemetry.embedded_path == tmp_path / "telemetry.sqlite"
    assert bare.tickets.url == f"sqlite:///{tmp_path / 'tickets.sqlite'}"
    assert bare.ingest.spool_dir == tmp_path / "spool"
    assert bare.detect.models_dir == tmp_path / "models"

    configured = load_settings(mqtt={"url": "mqtt://broker.example:1883"},
                               influx={"url": "http://influx.example:8086", "token": "t"},
                               tickets={"url": "postgresql://f@db/forewarn"})
    real, parts = demo_settings(configured, tmp_path)
    assert real.mqtt.url == "mqtt://broker.example:1883" and real.mqtt.protocol == "5"
    assert real.mqtt.topic_prefix == TOPIC_PREFIX  # never mixed into a production fleet
    assert real.mqtt.shared_group != configured.mqtt.shared_group
    assert real.telemetry.store == "influxdb" and "InfluxDB" in parts.telemetry
    assert real.tickets.url == "postgresql://f@db/forewarn"


def test_the_embedded_broker_carries_mqtt_3_messages_and_frees_its_port() -> None:
    broker = EmbeddedBroker().start()
    got: list[bytes] = []
    subscribed = threading.Event()
    sub = paho.Client(CallbackAPIVersion.VERSION2, client_id="t-sub", protocol=paho.MQTTv311)
    sub.on_message = lambda c, u, m: got.append(bytes(m.payload))
    sub.on_subscribe = lambda *a: subscribed.set()
    pub = paho.Client(CallbackAPIVersion.VERSION2, client_id="t-pub", protocol=paho.MQTTv311)
    try:
        sub.connect(broker.host, broker.port)
        sub.loop_start()
        sub.subscribe("forewarn-demo/#", qos=1)
        assert subscribed.wait(10)
        pub.connect(broker.host, broker.port)
        pub.loop_start()
        pub.publish("forewarn-demo/site/dev/telemetry", b"hello", qos=1).wait_for_publish(10)
        wait_until(lambda: bool(got), timeout=10, every=0.02)
        assert got == [b"hello"]
    finally:
        for client in (pub, sub):
            client.disconnect()
            client.loop_stop()
        broker.close()
    assert port_free(broker.port)
    assert not any(t.name == "demo-broker" for t in threading.enumerate())
