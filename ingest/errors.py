"""Errors of the ingest stage.

    IngestError
     ├── StoreError
     │    ├── StoreUnavailable   the store cannot be reached; spool and retry later
     │    └── StoreRejected      the store refused the data itself; retrying cannot help
     ├── SpoolError             the local spool cannot be written or read
     └── DeadLetterError        the dead-letter store cannot be written

Errors of paho-mqtt, influxdb-client and sqlite3 are translated into these at the edge.
"""

from __future__ import annotations


class IngestError(Exception):
    """Something in the ingest stage failed; the message says what and what to do."""


class StoreError(IngestError):
    """A telemetry store failed."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or refused the write; the caller should spool and retry."""


class StoreRejected(StoreError):
    """The store refused the data (e.g. a field-type conflict); retrying the same data fails."""


class SpoolError(IngestError):
    """The local spool cannot be written or read (disk full, permissions)."""


class DeadLetterError(IngestError):
    """The dead-letter store cannot be written."""
