"""What devices send: contract payloads, and optional untidiness that ingest must cope with."""

from __future__ import annotations

import itertools
import json
from collections import Counter

from ingest.contract import DeviceTopic
from ingest.validate import parse_message
from simulators.fleet import Fleet
from simulators.plan import parse_plan
from simulators.wire import Outgoing, Realism, Wire

START = 1_767_225_600.0


def _run(realism: Realism, steps: int = 400, n: int = 20) -> tuple[Wire, list[Outgoing], list]:
    fleet = Fleet(n, seed=2, start_s=START, interval_s=60)
    wire = Wire(fleet.devices, realism, seed=2)
    messages, drops = list(wire.hello(fleet.start_s * 1000)), []
    for _ in range(steps):
        step = wire.step(fleet.step(), 60)
        messages.extend(step.messages)
        drops.extend(step.disconnect)
    return wire, messages, drops


def _telemetry(messages: list[Outgoing]) -> list[Outgoing]:
    return [m for m in messages if m.topic.endswith("/telemetry")]


def test_tidy_devices_send_one_contract_reading_per_step_and_retained_meta() -> None:
    wire, messages, drops = _run(Realism(), steps=10, n=3)
    assert not drops
    telemetry = _telemetry(messages)
    assert len(telemetry) == 30
    reading = json.loads(telemetry[0].payload)
    assert set(reading) == {"ts", "seq", "mode", "signals"}
    assert reading["ts"] == int(START * 1000) and reading["seq"] == 1
    assert len(reading["signals"]) == 20
    topic = DeviceTopic.parse(telemetry[0].topic)
    assert topic.device_id == wire.devices[0].device_id and topic.site == wire.devices[0].site
    meta = [m for m in messages if m.topic.endswith("/meta")]
    status = [m for m in messages if m.topic.endswith("/status")]
    assert len(meta) == 3 and all(m.retain for m in meta + status)
    assert json.loads(status[0].payload) == {"state": "online", "ts": int(START * 1000)}


def test_offline_devices_send_their_backlog_as_batches_when_they_return() -> None:
    wire, messages, drops = _run(Realism(offline_per_day=20.0, offline_hours=(0.2, 1.0)))
    assert drops
    messages += wire.bring_back(0).messages  # the end of the run: everyone comes back
    seqs: dict[int, list[int]] = {}
    batches = 0
    for m in _telemetry(messages):
        body = json.loads(m.payload)
        readings = body.get("readings", [body])
        batches += "readings" in body
        seqs.setdefault(m.device, []).extend(r["seq"] for r in readings)
    assert batches > 0
    assert len(seqs) == 20
    for got in seqs.values():  # nothing lost, nothing twice
        assert sorted(got) == list(range(1, 401))


def test_duplicates_out_of_order_and_malformed_messages_come_in_small_shares() -> None:
    realism = Realism(duplicate_share=0.02, out_of_order_share=0.02, malformed_share=0.02)
    _, messages, _ = _run(realism)
    telemetry = _telemetry(messages)
    bad, good = [], []
    for m in telemetry:
        try:
            body = json.loads(m.payload)
            supply = body["signals"].get("supply_temp")
            valid = "ts" in body and isinstance(supply, float | int) and supply < 100
        except (ValueError, UnicodeDecodeError):
            valid = False
        (good if valid else bad).append((m.device, body if valid else None))
    assert 0.01 < len(bad) / len(telemetry) < 0.04
    keys = Counter((d, b["seq"]) for d, b in good)
    duplicates = sum(c - 1 for c in keys.values())
    assert 0.01 < duplicates / len(keys) < 0.04
    assert len(keys) >= 20 * 400 - 20  # all but the few held back at the very end
    swapped = 0
    for device in range(20):
        order = [b["seq"] for d, b in good if d == device]
        swapped += sum(1 for a, b in itertools.pairwise(order) if b < a)
    assert swapped > 20


def test_every_message_of_a_tidy_fleet_passes_ingest_validation() -> None:
    ids = [f"sim-{i:05d}" for i in range(4)]
    plan = parse_plan([{"device": 0, "fault": "electronic", "onset_day": 0.05}], ids, START, 0)
    fleet = Fleet(4, seed=2, start_s=START, interval_s=60, plan=plan)
    wire = Wire(fleet.devices, Realism(offline_per_day=30.0, offline_hours=(0.1, 0.3)), seed=2)
    messages = list(wire.hello(int(START * 1000)))
    for _ in range(200):
        messages.extend(wire.step(fleet.step(), 60).messages)
    end = round(fleet.t_s * 1000)
    messages += wire.bring_back(end).messages + wire.goodbye(end)
    channels: Counter[str] = Counter()
    for m in messages:
        parsed = parse_message(m.topic, m.payload, received_ms=end)
        assert not parsed.rejections, (m.topic, parsed.rejections)
        channels[m.topic.rsplit("/", 1)[1]] += 1
    assert set(channels) == {"telemetry", "status", "event", "meta"}


def test_every_malformed_message_is_refused_by_ingest_validation() -> None:
    fleet = Fleet(10, seed=2, start_s=START, interval_s=60)
    wire = Wire(fleet.devices, Realism(malformed_share=0.2), seed=2)
    seen: dict[tuple[int, int], int] = {}
    refused = 0
    for _ in range(30):
        frame = fleet.step()
        for m in wire.step(frame, 60).messages:
            parsed = parse_message(m.topic, m.payload, received_ms=frame.ts_ms)
            if parsed.rejections:
                refused += 1
                assert not parsed.batch.readings
            else:
                reading = parsed.batch.readings[0]
                seen[(m.device, reading.seq)] = seen.get((m.device, reading.seq), 0) + 1
    assert refused > 30
    assert len(seen) == 300 and set(seen.values()) == {1}  # the good copy always arrives
