"""The dead-letter store: every message or reading that was set aside, with the reason.

A SQLite file (WAL mode, so several worker processes on one machine can share it).
Letters are written and committed before the message they came from is acknowledged.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.errors import DeadLetterError
from ingest.sqlite import open_db

#: Raw payloads are kept up to this size (the rest is cut; ``payload_size`` has the truth).
MAX_KEPT_BYTES: Final = 64 * 1024

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_ms INTEGER NOT NULL,
    topic TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BLOB NOT NULL,
    payload_size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters (reason, received_ms);
"""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A raw payload (or one reading of a batch) that did not meet the device contract."""

    received_ms: int
    topic: str
    reason: str
    detail: str
    payload: bytes
    payload_size: int = -1

    def __post_init__(self) -> None:
        if self.payload_size < 0:
            object.__setattr__(self, "payload_size", len(self.payload))


class DeadLetterStore:
    """Dead letters in a SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = open_db(self.path, _SCHEMA, synchronous="FULL")
        except (OSError, sqlite3.Error) as exc:
            raise DeadLetterError(f"cannot open dead-letter store {self.path}: {exc}") from exc

    def put(self, letters: Sequence[DeadLetter]) -> None:
        """Store ``letters`` durably (committed) before returning."""
        if not letters:
            return
        rows = [(d.received_ms, d.topic, d.reason, d.detail, d.payload[:MAX_KEPT_BYTES],
                 d.payload_size) for d in letters]
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT INTO dead_letters (received_ms, topic, reason, detail, payload,"
                    " payload_size) VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise DeadLetterError(f"cannot write to dead-letter store {self.path}: {exc}") from exc

    def latest(self, limit: int = 50, reason: str | None = None) -> list[DeadLetter]:
        """The newest letters first, optionally only those with ``reason``."""
        sql = "SELECT received_ms, topic, reason, detail, payload, payload_size FROM dead_letters"
        args: tuple[object, ...] = ()
        if reason is not None:
            sql += " WHERE reason = ?"
            args = (reason,)
        sql += " ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        return [DeadLetter(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many letters there are per reason."""
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, COUNT(*) FROM dead_letters GROUP BY reason").fetchall()
        return {reason: count for reason, count in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()
