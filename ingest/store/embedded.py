"""The embedded telemetry store: one SQLite file, for the demo on a machine with no services.

Same contract as InfluxDB (see :mod:`ingest.store.base`), same idempotency: a reading
written again replaces itself. Good for a small fleet on one machine; production uses
InfluxDB.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Collection, Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson

from ingest.errors import StoreUnavailable
from ingest.reading import Reading, after_defrost_rows, check_running_only, running_rows
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.sqlite import open_db
from ingest.store.base import (
    AFTER_DEFROST_LOOKBACK_MS,
    Aggregate,
    DeviceSummary,
    SignalFrame,
    check_aggregate,
    window_aggregate,
    window_start,
)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS readings (
    device_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, site TEXT NOT NULL,
    seq INTEGER NOT NULL, mode TEXT NOT NULL, signals TEXT NOT NULL,
    PRIMARY KEY (device_id, ts_ms)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_ts ON readings (ts_ms);
CREATE TABLE IF NOT EXISTS statuses (
    device_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, site TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (device_id, ts_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    device_id TEXT NOT NULL, code TEXT NOT NULL, ts_ms INTEGER NOT NULL, site TEXT NOT NULL,
    severity TEXT NOT NULL, message TEXT NOT NULL, active INTEGER NOT NULL,
    PRIMARY KEY (device_id, code, ts_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metas (
    device_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, site TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (device_id, ts_ms)
) WITHOUT ROWID;
"""
#: Each device's newest reading, found through the primary key (a loose index scan: one
#: lookup per device, not a scan of every reading).
_LAST_READINGS: Final = """
WITH RECURSIVE ids(id) AS (
    SELECT MIN(device_id) FROM readings
    UNION ALL
    SELECT (SELECT MIN(device_id) FROM readings WHERE device_id > ids.id) FROM ids
    WHERE ids.id IS NOT NULL)
SELECT r.device_id, r.site, r.ts_ms FROM ids JOIN readings r ON r.device_id = ids.id
AND r.ts_ms = (SELECT MAX(ts_ms) FROM readings WHERE device_id = ids.id)
"""


class EmbeddedStore:
    """Telemetry in the SQLite file at ``path`` (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = open_db(self.path, _SCHEMA, synchronous="NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"cannot open embedded store {self.path}: {exc}") from exc

    # -- writing ------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?, ?, ?)",
                    [(r.device_id, r.ts_ms, r.site, r.seq, r.mode, orjson.dumps(r.signals))
                     for r in batch.readings])
                self._db.executemany(
                    "INSERT OR REPLACE INTO statuses VALUES (?, ?, ?, ?)",
                    [(s.device_id, s.ts_ms, s.site, s.state) for s in batch.statuses])
                self._db.executemany(
                    "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(e.device_id, e.code, e.ts_ms, e.site, e.severity, e.message, int(e.active))
                     for e in batch.events])
                self._db.executemany(
                    "INSERT OR REPLACE INTO metas VALUES (?, ?, ?, ?)",
                    [(m.device_id, m.ts_ms, m.site, orjson.dumps(m.doc)) for m in batch.metas])
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot write to embedded store {self.path}: {exc}") from exc

    def write_readings(self, readings: Sequence[Reading]) -> None:
        self.write(Batch.of(readings))

    # -- reading ------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read embedded store {self.path}: {exc}") from exc

    def read_readings(self, device_id: str, start_ms: int, stop_ms: int) -> list[Reading]:
        rows = self._rows(
            "SELECT device_id, site, ts_ms, seq, mode, signals FROM readings "
            "WHERE device_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms",
            (device_id, start_ms, stop_ms))
        return [Reading(d, s, t, q, m, orjson.loads(sig)) for d, s, t, q, m, sig in rows]

    def read_signals(self, device_id: str, start_ms: int, stop_ms: int,
                     signals: Sequence[str] | None = None,
                     every_ms: int | None = None,
                     running_only: Collection[str] = (),
                     aggregate: Aggregate = "mean") -> SignalFrame:
        check_running_only(running_only)
        check_aggregate(aggregate)
        if every_ms is not None:
            start_ms = window_start(start_ms, every_ms)
        rows = self._rows("SELECT ts_ms, signals FROM readings "
                          "WHERE device_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms",
                          (device_id, start_ms, stop_ms))
        return _frame(device_id, rows, every_ms, signals,
                      running_only if every_ms is not None else (), aggregate)

    def read_fleet_signals(self, start_ms: int, stop_ms: int, every_ms: int,
                           signals: Sequence[str] | None = None,
                           device_ids: Sequence[str] | None = None,
                           running_only: Collection[str] = (),
                           aggregate: Aggregate = "mean") -> dict[str, SignalFrame]:
        return self.read_fleet_aggregates(start_ms, stop_ms, every_ms, (aggregate,), signals,
                                          device_ids, running_only)[aggregate]

    def read_fleet_aggregates(self, start_ms: int, stop_ms: int, every_ms: int,
                              aggregates: Sequence[Aggregate],
                              signals: Sequence[str] | None = None,
                              device_ids: Sequence[str] | None = None,
                              running_only: Collection[str] = ()
                              ) -> dict[Aggregate, dict[str, SignalFrame]]:
        if every_ms <= 0:
            raise ValueError(f"every_ms must be positive, not {every_ms}")
        check_running_only(running_only)
        for aggregate in aggregates:
            check_aggregate(aggregate)
        start_ms = window_start(start_ms, every_ms)
        rows = self._rows("SELECT device_id, ts_ms, signals FROM readings "
                          "WHERE ts_ms >= ? AND ts_ms < ? ORDER BY device_id, ts_ms",
                          (start_ms, stop_ms))
        only = set(device_ids) if device_ids is not None else None
        out: dict[Aggregate, dict[str, SignalFrame]] = {a: {} for a in aggregates}
        for device, group in groupby(rows, key=itemgetter(0)):
            if only is None or device in only:
                frames = _frames(device, [(ts, doc) for _, ts, doc in group], every_ms,
                                 signals, running_only, aggregates)
                for aggregate, frame in frames.items():
                    if len(frame):
                        out[aggregate][device] = frame
        return out

    def read_fleet_after_defrost(self, start_ms: int, stop_ms: int, signals: Sequence[str],
                                 device_ids: Sequence[str] | None = None
                                 ) -> dict[str, SignalFrame]:
        names = list(dict.fromkeys(signals))
        only = set(device_ids) if device_ids is not None else None
        if only is not None and not only:
            return {}
        since = start_ms - AFTER_DEFROST_LOOKBACK_MS
        if only is None:
            rows = self._rows("SELECT device_id, ts_ms, signals FROM readings "
                              "WHERE ts_ms >= ? AND ts_ms < ? ORDER BY device_id, ts_ms",
                              (since, stop_ms))
        else:  # each device through the primary key, not a scan of the whole fleet's window
            rows = [row for device in sorted(only) for row in self._rows(
                "SELECT device_id, ts_ms, signals FROM readings "
                "WHERE device_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms",
                (device, since, stop_ms))]
        out = {}
        for device, group in groupby(rows, key=itemgetter(0)):
            frame = _after_defrost(device, [(ts, doc) for _, ts, doc in group], start_ms, names)
            if len(frame):
                out[device] = frame
        return out

    def count_readings(self, start_ms: int, stop_ms: int, device_id: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM readings WHERE ts_ms >= ? AND ts_ms < ?"
        args: list[Any] = [start_ms, stop_ms]
        if device_id is not None:
            sql += " AND device_id = ?"
            args.append(device_id)
        return int(self._rows(sql, args)[0][0])

    def latest_status(self, device_id: str) -> DeviceStatus | None:
        rows = self._rows("SELECT device_id, site, ts_ms, state FROM statuses WHERE device_id = ?"
                          " ORDER BY ts_ms DESC LIMIT 1", (device_id,))
        return DeviceStatus(*rows[0]) if rows else None

    def latest_meta(self, device_id: str) -> DeviceMeta | None:
        rows = self._rows("SELECT device_id, site, ts_ms, doc FROM metas WHERE device_id = ?"
                          " ORDER BY ts_ms DESC LIMIT 1", (device_id,))
        if not rows:
            return None
        d, s, t, doc = rows[0]
        return DeviceMeta(d, s, t, orjson.loads(doc))

    def events(self, device_id: str, start_ms: int, stop_ms: int) -> list[DeviceEvent]:
        rows = self._rows(
            "SELECT device_id, site, ts_ms, code, severity, message, active FROM events "
            "WHERE device_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, code",
            (device_id, start_ms, stop_ms))
        return [DeviceEvent(d, s, t, c, sev, msg, bool(a)) for d, s, t, c, sev, msg, a in rows]

    def devices(self, since_ms: int = 0) -> list[DeviceSummary]:
        seen: dict[str, tuple[str, int | None]] = {}
        for table in ("statuses", "metas"):
            for d, s in self._rows(f"SELECT DISTINCT device_id, site FROM {table} "
                                   "WHERE ts_ms >= ?", (since_ms,)):
                seen.setdefault(d, (s, None))
        for d, s, last in self._rows(_LAST_READINGS):
            if last >= since_ms:
                seen[d] = (s, last)
        return [DeviceSummary(d, s, last, self.latest_status(d), self.latest_meta(d))
                for d, (s, last) in sorted(seen.items())]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _frame(device_id: str, rows: Sequence[tuple[int, Any]], every_ms: int | None,
           signals: Sequence[str] | None, running_only: Collection[str] = (),
           aggregate: Aggregate = "mean") -> SignalFrame:
    """``(ts_ms, signals JSON)`` rows of one device, in time order, as a frame: each signal
    averaged (or its ``aggregate``) over the values present in each ``every_ms`` window
    (each reading on its own without ``every_ms``), those in ``running_only`` over running
    readings only; windows without any wanted value are left out."""
    return _frames(device_id, rows, every_ms, signals, running_only, (aggregate,))[aggregate]


def _after_defrost(device_id: str, rows: Sequence[tuple[int, Any]], start_ms: int,
                   names: Sequence[str]) -> SignalFrame:
    """The rows at or after ``start_ms`` among ``(ts_ms, signals JSON)`` rows of one device,
    in time order, that are the first running reading after a defrost, with ``names``."""
    docs = [orjson.loads(doc) for _, doc in rows]
    state = np.array([[d.get("compressor_hz", math.nan), d.get("defrost", math.nan)]
                      for d in docs], dtype=float).reshape(len(docs), 2)
    ts = np.fromiter((t for t, _ in rows), dtype=np.int64, count=len(rows))
    keep = np.flatnonzero(after_defrost_rows(state[:, 0], state[:, 1]) & (ts >= start_ms))
    columns: dict[str, list[float | None]] = {
        n: [None if (v := docs[i].get(n)) is None else float(v) for i in keep] for n in names}
    return SignalFrame(device_id, ts[keep].tolist(), columns)


def _frames(device_id: str, rows: Sequence[tuple[int, Any]], every_ms: int | None,
            signals: Sequence[str] | None, running_only: Collection[str],
            aggregates: Sequence[Aggregate]) -> dict[Aggregate, SignalFrame]:
    """:func:`_frame` for each of ``aggregates``, parsing the rows once."""
    docs = [orjson.loads(doc) for _, doc in rows]
    wanted = set(signals) if signals is not None else None
    names = sorted({n for d in docs for n in d if wanted is None or n in wanted})
    if not names:
        return {a: SignalFrame(device_id) for a in aggregates}
    values = np.array([[d.get(n, math.nan) for n in names] for d in docs], dtype=float)
    masked = np.array([n in running_only for n in names])
    if masked.any():
        state = np.array([[d.get("compressor_hz", math.nan), d.get("defrost", math.nan)]
                          for d in docs], dtype=float)
        stopped = ~running_rows(state[:, 0], state[:, 1])
        values[stopped[:, None] & masked[None, :]] = np.nan
    ts = np.fromiter((t for t, _ in rows), dtype=np.int64, count=len(rows))
    windows = ts if every_ms is None else ts - ts % every_ms
    starts = np.flatnonzero(np.r_[True, windows[1:] != windows[:-1]])
    present = ~np.isnan(values)
    counts = np.add.reduceat(present.astype(np.int64), starts, axis=0)
    keep = counts.any(axis=1)
    has = counts[keep] > 0
    times = windows[starts][keep].tolist()
    out = {}
    for aggregate in aggregates:
        agg = window_aggregate(values, starts, aggregate, counts)[keep]
        columns: dict[str, list[float | None]] = {
            n: [v if h else None for v, h in zip(agg[:, c].tolist(), has[:, c].tolist(),
                                                    strict=True)]
            for c, n in enumerate(names)}
        out[aggregate] = SignalFrame(device_id, times, columns)
    return out
