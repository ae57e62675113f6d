"""InfluxDB line protocol for readings and device records. Pure string building, no I/O.

Schema (timestamps in milliseconds; tags sorted by key, as InfluxDB prefers)::

    telemetry,device_id=<id>,site=<site> seq=<int>i,mode="<mode>",<context>=<float> <ts>
    telemetry,device_id=<id>,running=<bool>,site=<site> <machine>=<float> <ts>
    device_status,device_id=<id>,site=<site> state="online" <ts>
    device_event,code=<code>,device_id=<id>,site=<site> severity="fault",message="",active=true <ts>
    device_meta,device_id=<id>,site=<site> doc="<JSON>" <ts>

A reading is two points at one time: its context signals (:data:`ingest.reading.CONTEXT`)
with ``seq`` and ``mode``, and the machine's own signals tagged ``running`` (``true`` or
``false``, :func:`ingest.reading.running`). So InfluxDB can average the machine's signals
over running readings only, straight from storage: each signal of a device is one series
in such a query.

A point is identified by measurement, tags and timestamp, so writing the same reading
again overwrites it: redelivery is harmless (``running`` follows from the reading itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

import orjson

from ingest.reading import CONTEXT, Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus

TELEMETRY: Final = "telemetry"
STATUS: Final = "device_status"
EVENT: Final = "device_event"
META: Final = "device_meta"

_TAG_ESCAPES: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})
_STRING_ESCAPES: Final = str.maketrans({'"': r"\"", "\\": "\\\\", "\n": r"\n"})


def escape_key(text: str) -> str:
    """Escape a tag key, tag value or field key (commas, equals signs, spaces)."""
    return text.translate(_TAG_ESCAPES)


def quote(text: str) -> str:
    """A string field value: double-quoted, with quotes and backslashes escaped."""
    return '"' + text.translate(_STRING_ESCAPES) + '"'


def _series(measurement: str, device_id: str, site: str) -> str:
    # Device ids and sites match contract.ID_PATTERN: nothing to escape.
    return f"{measurement},device_id={device_id},site={site}"


def reading_line(r: Reading) -> str:
    """The reading's one or two points (see the module docs), newline-separated."""
    # Signal names match validate.SIGNAL_NAME and floats are finite: nothing to escape.
    context = ",".join([f"seq={r.seq}i", f'mode="{r.mode}"',
                        *[f"{k}={v!r}" for k, v in r.signals.items() if k in CONTEXT]])
    line = f"{TELEMETRY},device_id={r.device_id},site={r.site} {context} {r.ts_ms}"
    machine = ",".join(f"{k}={v!r}" for k, v in r.signals.items() if k not in CONTEXT)
    if not machine:
        return line
    state = "true" if r.running else "false"
    return (f"{line}\n{TELEMETRY},device_id={r.device_id},running={state},site={r.site} "
            f"{machine} {r.ts_ms}")


def status_line(s: DeviceStatus) -> str:
    return f"{_series(STATUS, s.device_id, s.site)} state={quote(s.state)} {s.ts_ms}"


def event_line(e: DeviceEvent) -> str:
    fields = (f"severity={quote(e.severity)},message={quote(e.message)},"
              f"active={'true' if e.active else 'false'}")
    return (f"{EVENT},code={escape_key(e.code)},device_id={e.device_id},site={e.site} "
            f"{fields} {e.ts_ms}")


def meta_line(m: DeviceMeta) -> str:
    doc = orjson.dumps(m.doc, option=orjson.OPT_SORT_KEYS).decode()
    return f"{_series(META, m.device_id, m.site)} doc={quote(doc)} {m.ts_ms}"


def batch_lines(batch: Batch) -> Iterator[str]:
    yield from map(reading_line, batch.readings)
    yield from map(status_line, batch.statuses)
    yield from map(event_line, batch.events)
    yield from map(meta_line, batch.metas)


def to_body(lines: Iterable[str]) -> bytes:
    """One write request's body: newline-separated lines, UTF-8."""
    return "\n".join(lines).encode()
