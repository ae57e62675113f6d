"""The telemetry-store interface. Implementations: InfluxDB (production) and embedded SQLite.

Every implementation passes the same contract test suite (``tests/ingest/store``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ingest.reading import Reading


class StoreUnavailable(Exception):
    """The store cannot be reached or refused the write; the caller should spool and retry."""


@runtime_checkable
class TelemetryStore(Protocol):
    """Where validated readings are kept. Writes are idempotent per (device, timestamp)."""

    def write_readings(self, readings: Sequence[Reading]) -> None:
        """Store ``readings`` durably before returning; raise :class:`StoreUnavailable` if not."""
        ...

    def close(self) -> None: ...
