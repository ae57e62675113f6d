"""Telemetry stores: InfluxDB 2.x and an embedded SQLite store behind one interface."""

from ingest.store.base import StoreUnavailable, TelemetryStore

__all__ = ["StoreUnavailable", "TelemetryStore"]
