"""Prometheus metrics of one ingest worker (its own registry: no module-level globals)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class IngestMetrics:
    """What ``/metrics`` shows for one worker."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self._by_channel: dict[str, Any] = {}
        self.messages = Counter("forewarn_ingest_messages", "MQTT messages received, by channel",
                                ["channel"], registry=r)
        self.received = Counter("forewarn_ingest_readings_received",
                                "Valid readings received", registry=r)
        self.stored = Counter("forewarn_ingest_readings_stored",
                              "Readings written to the telemetry store (directly or from the "
                              "spool)", registry=r)
        self.spooled = Counter("forewarn_ingest_readings_spooled",
                               "Readings written to the local spool because the store was down",
                               registry=r)
        self.rejected = Counter("forewarn_ingest_rejected",
                                "Messages or readings dead-lettered, by reason", ["reason"],
                                registry=r)
        self.spool_segments = Gauge("forewarn_ingest_spool_segments",
                                    "Batches waiting in the spool", registry=r)
        self.spool_records = Gauge("forewarn_ingest_spool_records",
                                   "Records (readings and device records) waiting in the spool",
                                   registry=r)
        self.write_seconds = Histogram(
            "forewarn_ingest_write_seconds", "Time of one write to the telemetry store",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=r)
        self.batch_readings = Histogram(
            "forewarn_ingest_batch_readings", "Readings per write",
            buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000), registry=r)
        self.lag = Gauge("forewarn_ingest_lag_seconds",
                         "Consumer lag: now minus the device timestamp of the newest reading "
                         "in the last write", registry=r)
        self.pending = Gauge("forewarn_ingest_pending_messages",
                             "Messages received but not yet acknowledged", registry=r)
        self.connected = Gauge("forewarn_ingest_connected",
                               "1 while connected and subscribed to the broker", registry=r)

    def message_counter(self, channel: str) -> Any:
        """The ``messages`` counter of ``channel`` (cached: this is on the hot path)."""
        counter = self._by_channel.get(channel)
        if counter is None:
            counter = self._by_channel[channel] = self.messages.labels(channel)
        return counter

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve ``/metrics`` on ``host:port`` from a daemon thread."""
        start_http_server(port, addr=host, registry=self.registry)
