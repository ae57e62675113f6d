"""Frames and events in the device contract's shapes: JSON payloads and :class:`Reading` s."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson

from ingest.reading import Reading
from simulators.devices import SIGNAL_NAMES, DeviceInfo
from simulators.fleet import MODES, DeviceEvent, Frame

_MODE_NAMES = [m.value for m in MODES]


def reading_dicts(frame: Frame) -> Iterator[dict[str, Any]]:
    """One contract reading (``{"ts", "seq", "mode", "signals"}``) per device, in fleet order.

    Missing values (NaN, e.g. a sensor dropout) are left out of ``signals``.
    """
    ts = frame.ts_ms
    rows = np.round(frame.values, 3).tolist()
    seqs = frame.seq.tolist()
    modes = frame.mode.tolist()
    names = SIGNAL_NAMES
    for row, seq, mode in zip(rows, seqs, modes, strict=True):
        signals = {k: v for k, v in zip(names, row, strict=True) if v == v}
        yield {"ts": ts, "seq": seq, "mode": _MODE_NAMES[mode], "signals": signals}


def frame_readings(frame: Frame, devices: Sequence[DeviceInfo]) -> list[Reading]:
    """The frame as the project's own :class:`Reading` type (for writing to a store)."""
    return [Reading(d.device_id, d.site, r["ts"], r["seq"], r["mode"], r["signals"])
            for d, r in zip(devices, reading_dicts(frame), strict=True)]


def encode(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj)


def batch_payload(readings: Sequence[dict[str, Any]]) -> bytes:
    return encode({"readings": list(readings)})


def status_payload(online: bool, ts_ms: int) -> bytes:
    return encode({"state": "online" if online else "offline", "ts": int(ts_ms)})


def event_payload(event: DeviceEvent, ts_ms: int) -> bytes:
    return encode({"ts": ts_ms, "code": event.code, "severity": event.severity,
                   "message": event.message, "active": event.active})


def meta_payload(device: DeviceInfo) -> bytes:
    return encode(device.meta)
