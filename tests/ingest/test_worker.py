"""The ingest worker against real Mosquitto and real InfluxDB: nothing lost, nothing crashes."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS

from config import Settings
from ingest.deadletter import DeadLetterStore
from ingest.reading import Reading
from ingest.store import EmbeddedStore, InfluxStore, TelemetryStore
from ingest.testing import Publisher, sample_reading, sample_signals, wait_until
from ingest.worker import IngestWorker
from services import ServiceStack

pytestmark = pytest.mark.services

T0 = int(time.time() * 1000) - 3_600_000  # an hour ago: inside every limit
WINDOW = (T0 - 86_400_000, T0 + 86_400_000)


def start_worker(settings: Settings, store: TelemetryStore | None = None) -> IngestWorker:
    worker = IngestWorker(settings, store=store)
    worker.start()
    assert worker.consumer.subscribed.wait(15), "worker did not subscribe"
    return worker


@pytest.fixture
def worker(ingest_settings: Settings) -> Iterator[IngestWorker]:
    w = start_worker(ingest_settings)
    yield w
    w.stop()


@pytest.fixture
def reader(ingest_settings: Settings) -> Iterator[InfluxStore]:
    store = InfluxStore(ingest_settings.influx)
    yield store
    store.close()


def expected(device: str, seqs: range, site: str = "site-1") -> list[Reading]:
    return [Reading(device, site, T0 + s * 100, s, "heating", sample_signals(s)) for s in seqs]


def stored(reader: TelemetryStore, devices: list[str]) -> int:
    return sum(reader.count_readings(*WINDOW, device_id=d) for d in devices)


def metric(worker: IngestWorker, name: str, **labels: str) -> float:
    value = worker.metrics.registry.get_sample_value(name, labels or None)
    return value or 0.0


def test_readings_published_with_paho_arrive_with_exact_values(
        worker: IngestWorker, publisher: Publisher, reader: InfluxStore) -> None:
    """Single readings and backlog batches, several devices: every value exactly as sent."""
    devices = ["hp-a", "hp-b", "hp-c"]
    for device in devices:
        for seq in range(0, 20):
            publisher.send(publisher.topic(device), sample_reading(seq, T0 + seq * 100))
        publisher.send(publisher.topic(device),
                       {"readings": [sample_reading(s, T0 + s * 100) for s in range(20, 120)]})
    publisher.flush()
    assert wait_until(lambda: stored(reader, devices) == 360)
    for device in devices:
        assert reader.read_readings(device, *WINDOW) == expected(device, range(120))
    assert wait_until(lambda: metric(worker, "forewarn_ingest_readings_stored_total") == 360)
    assert metric(worker, "forewarn_ingest_readings_received_total") == 360


def test_readings_published_with_mosquitto_pub_arrive(
        worker: IngestWorker, ingest_settings: Settings, reader: InfluxStore,
        tmp_path: Path) -> None:
    tool = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
    topic = f"{ingest_settings.mqtt.topic_prefix}/site-9/hp-cli/telemetry"
    base = ["-h", ingest_settings.mqtt.host, "-p", str(ingest_settings.mqtt.port),
            "-V", "mqttv5", "-q", "1", "-t", topic]
    subprocess.run([tool, *base, "-m", orjson.dumps(sample_reading(0, T0)).decode()],
                   check=True, timeout=30)
    backlog = tmp_path / "backlog.json"
    backlog.write_bytes(orjson.dumps({"readings": [sample_reading(s, T0 + s * 100)
                                                   for s in range(1, 50)]}))
    subprocess.run([tool, *base, "-f", str(backlog)], check=True, timeout=30)
    assert wait_until(lambda: stored(reader, ["hp-cli"]) == 50)
    assert reader.read_readings("hp-cli", *WINDOW) == expected("hp-cli", range(50), "site-9")


def test_bad_input_is_dead_lettered_with_its_reason_and_good_readings_are_stored(
        worker: IngestWorker, publisher: Publisher, reader: InfluxStore,
        ingest_settings: Settings) -> None:
    topic = publisher.topic("hp-bad")
    good = [sample_reading(s, T0 + s * 100) for s in range(3)]
    publisher.send(topic, b'{"ts": 1, "seq": ')  # malformed JSON
    publisher.send(topic, {**good[0], "seq": "one"})  # wrong type
    publisher.send(topic, {"seq": 5, "mode": "heating", "signals": {}})  # missing ts
    publisher.send(topic, b'{"readings": [' + b"0," * 600_000 + b"0]}")  # > 1 MiB
    publisher.send(topic, {**good[0], "ts": 4_102_444_800_000})  # the year 2100
    publisher.send(topic, {**good[0], "ts": (T0 // 1000)})  # seconds, not milliseconds
    publisher.send(topic, {"readings": [good[0], {**good[1], "signals": {"supply_temp": 900}},
                                        good[1], None, good[2]]})
    publisher.send(f"{ingest_settings.mqtt.topic_prefix}/site-1/hp-bad/gossip", b"{}")
    publisher.send(topic, {"readings": [sample_reading(s, T0 + s * 100) for s in range(3, 10)]})
    publisher.flush()
    assert wait_until(lambda: stored(reader, ["hp-bad"]) == 10)
    assert reader.read_readings("hp-bad", *WINDOW) == expected("hp-bad", range(10))
    want = {"malformed_json": 1, "wrong_type": 2, "missing_field": 1, "payload_too_large": 1,
            "timestamp_in_future": 1, "timestamp_too_old": 1, "out_of_range": 1, "bad_topic": 1}
    letters = DeadLetterStore(ingest_settings.ingest.dead_letter_path)
    try:
        assert wait_until(lambda: letters.counts() == want)
        by_reason = {d.reason: d for d in letters.latest(100)}
        assert by_reason["malformed_json"].payload == b'{"ts": 1, "seq": '
        assert by_reason["malformed_json"].topic == topic
        assert by_reason["payload_too_large"].payload_size > 1_048_576
        assert orjson.loads(by_reason["out_of_range"].payload)["signals"] == {"supply_temp": 900}
        assert "supply_temp" in by_reason["out_of_range"].detail
    finally:
        letters.close()
    for reason, count in want.items():
        assert metric(worker, "forewarn_ingest_rejected_total", reason=reason) == count
    assert worker._thread.is_alive()


def test_a_duplicate_delivery_stores_the_reading_once(
        worker: IngestWorker, publisher: Publisher, reader: InfluxStore) -> None:
    for _ in range(3):
        publisher.send(publisher.topic("hp-dup"), sample_reading(1, T0 + 100))
    publisher.flush()
    assert wait_until(lambda: metric(worker, "forewarn_ingest_readings_stored_total") == 3)
    assert reader.read_readings("hp-dup", *WINDOW) == expected("hp-dup", range(1, 2))


def test_status_events_and_retained_metadata_are_kept(
        ingest_settings: Settings, publisher: Publisher, reader: InfluxStore) -> None:
    """Retained metadata and status sent before ingest ever ran are picked up on its first start."""
    meta = {"model": "AW-8", "firmware": "3.2.1", "heat_source_role": "sole",
            "location": {"climate": "stockholm", "lat": 59.33}}
    publisher.send(publisher.topic("hp-m", "meta"), {**meta, "ts": T0}, retain=True)
    publisher.send(publisher.topic("hp-m", "status"), {"state": "online", "ts": T0}, retain=True)
    publisher.flush()
    worker = start_worker(ingest_settings)
    try:
        publisher.send(publisher.topic("hp-m", "event"),
                       {"ts": T0 + 10, "code": "E101", "severity": "fault",
                        "message": "high pressure cut-out"})
        publisher.send(publisher.topic("hp-m", "status"), {"state": "offline"}, retain=True)
        publisher.flush()
        assert wait_until(lambda: (s := reader.latest_status("hp-m")) is not None
                          and s.state == "offline")
        got = reader.latest_meta("hp-m")
        assert got is not None and got.doc == meta and got.ts_ms == T0
        (event,) = reader.events("hp-m", *WINDOW)
        assert (event.code, event.severity, event.active) == ("E101", "fault", True)
    finally:
        worker.stop()
        for channel in ("meta", "status"):  # clear the retained messages
            publisher.send(publisher.topic("hp-m", channel), b"", retain=True)
        publisher.flush()


def test_influxdb_outage_spools_to_disk_and_replays_everything(
        worker: IngestWorker, ingest_settings: Settings, reader: InfluxStore,
        service_stack: ServiceStack) -> None:
    """InfluxDB stops mid-stream: readings spool to disk, are acknowledged, and all arrive."""
    total = 1500

    def stream() -> None:
        pub = Publisher(ingest_settings.mqtt, "device-outage")
        for seq in range(total):
            pub.send(pub.topic("hp-out"), sample_reading(seq, T0 + seq * 100))
            if seq % 50 == 49:
                pub.flush()
                time.sleep(0.05)
        pub.flush()
        pub.close()

    sender = threading.Thread(target=stream)
    sender.start()
    try:
        assert wait_until(lambda: stored(reader, ["hp-out"]) >= 200)
        service_stack.influxdb.stop()
        try:
            assert wait_until(
                lambda: metric(worker, "forewarn_ingest_readings_spooled_total") >= 200)
            assert metric(worker, "forewarn_ingest_spool_segments") >= 1
        finally:
            service_stack.influxdb.start()
    finally:
        sender.join(timeout=120)
    assert wait_until(lambda: stored(reader, ["hp-out"]) == total, timeout=60)
    assert reader.read_readings("hp-out", *WINDOW) == expected("hp-out", range(total))
    assert wait_until(lambda: metric(worker, "forewarn_ingest_spool_segments") == 0)


def test_a_broker_restart_loses_nothing(
        ingest_settings: Settings, reader: InfluxStore, service_stack: ServiceStack) -> None:
    """Messages the broker accepted survive its restarts, in flight or queued for the session."""
    devices = [f"hp-br{i}" for i in range(4)]

    def publish(seqs: range) -> None:
        pub = Publisher(ingest_settings.mqtt, "device-broker-restart")
        for seq in seqs:
            pub.send(pub.topic(devices[seq % 4]), sample_reading(seq, T0 + seq * 100))
        pub.flush()
        pub.close()

    def restart_broker() -> None:
        service_stack.mosquitto.stop()
        try:
            time.sleep(0.3)
        finally:
            service_stack.mosquitto.start()

    worker = start_worker(ingest_settings)
    try:
        publish(range(0, 2000))
        restart_broker()  # while the worker is busy with the burst
        assert wait_until(worker.consumer.subscribed.is_set, timeout=40)
        publish(range(2000, 2400))
        assert wait_until(lambda: stored(reader, devices) == 2400, timeout=60)
    finally:
        worker.stop()
    publish(range(2400, 3000))  # queued in the stopped worker's session
    restart_broker()
    worker = start_worker(ingest_settings)
    try:
        assert wait_until(lambda: stored(reader, devices) == 3000, timeout=60)
    finally:
        worker.stop()


def test_the_embedded_store_needs_no_influxdb(
        ingest_settings: Settings, publisher: Publisher, tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "telemetry.sqlite")
    worker = start_worker(ingest_settings, store=EmbeddedStore(tmp_path / "telemetry.sqlite"))
    try:
        publisher.send(publisher.topic("hp-emb"),
                       {"readings": [sample_reading(s, T0 + s * 100) for s in range(30)]})
        publisher.flush()
        assert wait_until(lambda: store.count_readings(*WINDOW) == 30)
        assert store.read_readings("hp-emb", *WINDOW) == expected("hp-emb", range(30))
    finally:
        worker.stop()
        store.close()


def test_a_reading_influxdb_refuses_is_dead_lettered_and_the_rest_of_its_batch_stored(
        worker: IngestWorker, publisher: Publisher, reader: InfluxStore,
        ingest_settings: Settings) -> None:
    """A field-type conflict (the field was once written as text) isolates that one reading."""
    field = f"odd_{uuid.uuid4().hex[:8]}"
    with InfluxDBClient(url=ingest_settings.influx.url, org=ingest_settings.influx.org,
                        token=ingest_settings.influx.token.get_secret_value()) as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            ingest_settings.influx.bucket, record=f'telemetry,device_id=other,site=x {field}="text"'
            f" {T0}", write_precision="ms")
    readings = [sample_reading(s, T0 + s * 100) for s in range(6)]
    readings[3]["signals"] = {**readings[3]["signals"], field: 1.5}
    publisher.send(publisher.topic("hp-conflict"), {"readings": readings})
    publisher.flush()
    letters = DeadLetterStore(ingest_settings.ingest.dead_letter_path)
    try:
        assert wait_until(lambda: letters.counts() == {"store_rejected": 1})
        (letter,) = letters.latest()
        assert "hp-conflict" in letter.topic and field in letter.payload.decode()
    finally:
        letters.close()
    stored = reader.read_readings("hp-conflict", *WINDOW)
    # InfluxDB refuses line by line: of the refused reading, only the context point is stored
    assert [r.seq for r in stored] == [0, 1, 2, 3, 4, 5]
    assert [field in r.signals for r in stored] == [False] * 6
    assert ["compressor_hz" in r.signals for r in stored] == [True] * 3 + [False] + [True] * 2
    assert metric(worker, "forewarn_ingest_rejected_total", reason="store_rejected") == 1
