"""Opening the SQLite files ingest keeps (the embedded store, the dead letters)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_db(path: Path, schema: str, synchronous: str) -> sqlite3.Connection:
    """Open (creating it and its directory) the WAL-mode database at ``path``, shareable
    across threads, with ``PRAGMA synchronous=<synchronous>`` and ``schema`` applied.

    Raises :class:`OSError` or :class:`sqlite3.Error`; callers turn them into their own error.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.executescript(schema)
    return db
