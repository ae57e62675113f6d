"""Telemetry stores: InfluxDB 2.x and an embedded SQLite store behind one interface."""

from __future__ import annotations

from config import Settings
from ingest.errors import StoreError, StoreRejected, StoreUnavailable
from ingest.store.base import DeviceSummary, SignalFrame, TelemetryStore, window_start
from ingest.store.embedded import EmbeddedStore
from ingest.store.influx import InfluxStore

__all__ = [
    "DeviceSummary",
    "EmbeddedStore",
    "InfluxStore",
    "SignalFrame",
    "StoreError",
    "StoreRejected",
    "StoreUnavailable",
    "TelemetryStore",
    "open_store",
    "window_start",
]


def open_store(settings: Settings) -> TelemetryStore:
    """The store ``settings.telemetry.store`` names."""
    if settings.telemetry.store == "embedded":
        return EmbeddedStore(settings.telemetry.embedded_path)
    return InfluxStore(settings.influx, gzip_level=settings.ingest.gzip_level)
