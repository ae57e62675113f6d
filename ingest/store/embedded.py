"""The embedded telemetry store: one SQLite file, for the demo on a machine with no services.

Same contract as InfluxDB (see :mod:`ingest.store.base`), same idempotency: a reading
written again replaces itself. Good for a small fleet on one machine; production uses
InfluxDB.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson

from ingest.errors import StoreUnavailable
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.sqlite import open_db
from ingest.store.base import DeviceSummary, SignalFrame, window_start

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
                     every_ms: int | None = None) -> SignalFrame:
        if every_ms is not None:
            start_ms = window_start(start_ms, every_ms)
        readings = self.read_readings(device_id, start_ms, stop_ms)
        wanted = set(signals) if signals is not None else None
        # time -> signal -> values (several values per cell when downsampling)
        cells: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for r in readings:
            t = r.ts_ms if every_ms is None else window_start(r.ts_ms, every_ms)
            row = cells[t]
            for name, value in r.signals.items():
                if wanted is None or name in wanted:
                    row[name].append(value)
        times = sorted(t for t, row in cells.items() if row)
        names = sorted({n for t in times for n in cells[t]})
        columns: dict[str, list[float | None]] = {
            n: [_mean(cells[t][n]) if n in cells[t] else None for t in times] for n in names}
        return SignalFrame(device_id, times, columns)

    def read_fleet_signals(self, start_ms: int, stop_ms: int, every_ms: int,
                           signals: Sequence[str] | None = None,
                           device_ids: Sequence[str] | None = None) -> dict[str, SignalFrame]:
        if every_ms <= 0:
            raise ValueError(f"every_ms must be positive, not {every_ms}")
        start_ms = window_start(start_ms, every_ms)
        rows = self._rows("SELECT device_id, ts_ms, signals FROM readings "
                          "WHERE ts_ms >= ? AND ts_ms < ? ORDER BY device_id, ts_ms",
                          (start_ms, stop_ms))
        wanted = set(signals) if signals is not None else None
        only = set(device_ids) if device_ids is not None else None
        cells: dict[str, dict[int, dict[str, list[float]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(list)))
        for device, ts, doc in rows:
            if only is not None and device not in only:
                continue
            row = cells[device][window_start(ts, every_ms)]
            for name, value in orjson.loads(doc).items():
                if wanted is None or name in wanted:
                    row[name].append(value)
        out = {}
        for device, by_time in cells.items():
            times = sorted(t for t, row in by_time.items() if row)
            if not times:
                continue
            names = sorted({n for t in times for n in by_time[t]})
            out[device] = SignalFrame(device, times, {
                n: [_mean(by_time[t][n]) if n in by_time[t] else None for t in times]
                for n in names})
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
        for d, s, last in self._rows("SELECT device_id, site, MAX(ts_ms) FROM readings "
                                     "WHERE ts_ms >= ? GROUP BY device_id", (since_ms,)):
            seen[d] = (s, last)
        return [DeviceSummary(d, s, last, self.latest_status(d), self.latest_meta(d))
                for d, (s, last) in sorted(seen.items())]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)
