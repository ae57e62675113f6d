"""Ingest: device telemetry from MQTT into the telemetry store, never losing a reading.

Public names are re-exported here; the modules behind them are:

- :mod:`ingest.contract`  the device contract (topics, signals, limits)
- :mod:`ingest.validate`  raw MQTT payloads → readings and device records, or reasons
- :mod:`ingest.store`     the telemetry-store interface, InfluxDB and embedded SQLite
- :mod:`ingest.worker`    one MQTT → store worker; :mod:`ingest.supervisor` runs N of them
- :mod:`ingest.spool`, :mod:`ingest.deadletter`, :mod:`ingest.lineproto`, :mod:`ingest.metrics`
"""

from ingest.contract import Channel, DeviceTopic, Limits, Mode, subscription
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.errors import (
    DeadLetterError,
    IngestError,
    SpoolError,
    StoreError,
    StoreRejected,
    StoreUnavailable,
)
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.validate import Parsed, Reason, Rejection, parse_message

__all__ = [
    "Batch",
    "Channel",
    "DeadLetter",
    "DeadLetterError",
    "DeadLetterStore",
    "DeviceEvent",
    "DeviceMeta",
    "DeviceStatus",
    "DeviceTopic",
    "IngestError",
    "Limits",
    "Mode",
    "Parsed",
    "Reading",
    "Reason",
    "Rejection",
    "SpoolError",
    "StoreError",
    "StoreRejected",
    "StoreUnavailable",
    "parse_message",
    "subscription",
]
