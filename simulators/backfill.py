"""Months of fleet history, fast: straight into a telemetry store, or over MQTT in batches.

* :func:`backfill_store` writes :class:`~ingest.reading.Reading` batches, error
  events and metadata through the :class:`~ingest.store.base.TelemetryStore`
  interface (InfluxDB or the embedded store), skipping MQTT and ingest.
* :func:`backfill_mqtt` publishes each device's history as ``{"readings": [...]}``
  batches (QoS 1, flow-controlled by :class:`FleetPublisher`), so the real ingest
  pipeline stores it as fast as it takes it.

Both report progress through an optional callback ``progress(steps_done)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ingest.contract import DEFAULT_LIMITS, Channel
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.store.base import TelemetryStore
from simulators.fleet import Fleet, Frame
from simulators.mqtt_publisher import FleetPublisher
from simulators.payloads import batch_payload, event_payload, frame_readings, reading_dicts
from simulators.wire import Outgoing, Wire

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BackfillResult:
    steps: int
    readings: int
    events: int
    messages: int = 0


def _events(fleet: Fleet, frame: Frame) -> list[DeviceEvent]:
    return [DeviceEvent(fleet.devices[e.device].device_id, fleet.devices[e.device].site,
                        frame.ts_ms, e.code, e.severity, e.message, e.active)
            for e in frame.events]


def backfill_store(fleet: Fleet, store: TelemetryStore, steps: int, batch_readings: int = 20_000,
                   progress: Progress | None = None) -> BackfillResult:
    """Run ``steps`` steps of ``fleet`` and write everything to ``store`` in large batches."""
    ts0 = round(fleet.t_s * 1000)
    batch = Batch(metas=[DeviceMeta(d.device_id, d.site, ts0, d.meta) for d in fleet.devices],
                  statuses=[DeviceStatus(d.device_id, d.site, ts0, "online")
                            for d in fleet.devices])
    readings = events = 0
    for k in range(steps):
        frame = fleet.step()
        batch.readings.extend(frame_readings(frame, fleet.devices))
        batch.events.extend(_events(fleet, frame))
        if len(batch.readings) >= batch_readings or k == steps - 1:
            readings += len(batch.readings)
            events += len(batch.events)
            store.write(batch)
            batch = Batch()
            if progress:
                progress(k + 1)
    return BackfillResult(steps, readings, events)


def backfill_mqtt(fleet: Fleet, publisher: FleetPublisher, wire: Wire, steps: int,
                  batch_readings: int = 500, progress: Progress | None = None) -> BackfillResult:
    """Run ``steps`` steps and publish each device's readings in batches of ``batch_readings``.

    ``publisher`` must be connected; metadata and ``online`` statuses go first,
    error events as they happen. Returns once the broker acknowledged everything.
    """
    if not 1 <= batch_readings <= DEFAULT_LIMITS.max_batch_readings:
        raise ValueError(f"batch_readings must be between 1 and "
                         f"{DEFAULT_LIMITS.max_batch_readings:,} (the contract's limit)")
    ts0 = round(fleet.t_s * 1000)
    publisher.publish_all(wire.hello(ts0))
    pending: list[list[dict[str, Any]]] = [[] for _ in fleet.devices]
    readings = events = messages = 0

    def send(i: int) -> None:
        nonlocal messages
        topic = wire.topic(i, Channel.TELEMETRY)
        publisher.publish(Outgoing(i, topic, batch_payload(pending[i])))
        pending[i] = []
        messages += 1

    for k in range(steps):
        frame = fleet.step()
        for e in frame.events:
            publisher.publish(Outgoing(e.device, wire.topic(e.device, Channel.EVENT),
                                       event_payload(e, frame.ts_ms)))
            events += 1
        for i, reading in enumerate(reading_dicts(frame)):
            pending[i].append(reading)
            if len(pending[i]) >= batch_readings:
                send(i)
        readings += len(fleet.devices)
        publisher.pump(0)
        if progress and (k % 50 == 49 or k == steps - 1):
            progress(k + 1)
    for i in range(len(fleet.devices)):
        if pending[i]:
            send(i)
    publisher.flush()
    return BackfillResult(steps, readings, events, messages)
