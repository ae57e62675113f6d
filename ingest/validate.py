"""Validation at the MQTT boundary: raw (topic, payload) → readings and device records, or reasons.

Pure functions over bytes and plain values; the receive time is passed in. Nothing
here raises on bad input: every problem becomes a :class:`Rejection` with a
:class:`Reason`, and the good readings of a batch are kept even when others in the
same message are rejected.

>>> parsed = parse_message("forewarn/v1/s1/hp-1/telemetry",
...     b'{"ts": 1768456800000, "seq": 1, "mode": "heating", "signals": {"outdoor_temp": -3.5}}',
...     received_ms=1768456800500)
>>> parsed.batch.readings[0].signals, parsed.rejections
({'outdoor_temp': -3.5}, [])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final

import orjson

from ingest.contract import (
    DEFAULT_LIMITS,
    DEFAULT_PREFIX,
    SIGNALS,
    Channel,
    DeviceTopic,
    HeatSourceRole,
    Limits,
    Mode,
    Severity,
    TopicError,
)
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus

SIGNAL_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
#: Names a signal may not take: they are the reading's own fields and tags.
RESERVED_NAMES: Final = frozenset({"seq", "mode", "ts", "time", "site", "device_id"})
STATES: Final = frozenset({"online", "offline"})
_MODES: Final = frozenset(m.value for m in Mode)
_SEVERITIES: Final = frozenset(s.value for s in Severity)
_ROLES: Final = frozenset(r.value for r in HeatSourceRole)
_RANGES: Final = {name: (spec.minimum, spec.maximum, spec.unit) for name, spec in SIGNALS.items()}


class Reason(StrEnum):
    """Why a message or a reading was set aside (the ``reason`` label of the rejected metric)."""

    PAYLOAD_TOO_LARGE = "payload_too_large"
    BAD_TOPIC = "bad_topic"
    MALFORMED_JSON = "malformed_json"
    WRONG_TYPE = "wrong_type"
    MISSING_FIELD = "missing_field"
    BAD_VALUE = "bad_value"
    BAD_SIGNAL_NAME = "bad_signal_name"
    TOO_MANY_READINGS = "too_many_readings"
    TOO_MANY_SIGNALS = "too_many_signals"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_TOO_OLD = "timestamp_too_old"
    OUT_OF_RANGE = "out_of_range"
    STORE_REJECTED = "store_rejected"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rejected message, or one rejected reading of a batch (``index`` set)."""

    reason: Reason
    detail: str
    raw: bytes
    index: int | None = None


@dataclass(slots=True)
class Parsed:
    """What one MQTT message yielded."""

    channel: Channel | None
    batch: Batch = field(default_factory=Batch)
    rejections: list[Rejection] = field(default_factory=list)


class _Invalid(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        self.reason = reason
        self.detail = detail


def parse_message(
    topic: str,
    payload: bytes,
    received_ms: int,
    *,
    limits: Limits = DEFAULT_LIMITS,
    prefix: str = DEFAULT_PREFIX,
) -> Parsed:
    """Validate one MQTT message against the device contract. Never raises on bad input."""
    try:
        where = _parse_topic(topic, prefix)
    except TopicError as exc:
        return Parsed(None, rejections=[Rejection(Reason.BAD_TOPIC, str(exc), payload)])
    parsed = Parsed(where.channel)
    if len(payload) > limits.max_payload_bytes:
        detail = f"payload is {len(payload)} bytes, the limit is {limits.max_payload_bytes}"
        parsed.rejections.append(Rejection(Reason.PAYLOAD_TOO_LARGE, detail, payload))
        return parsed
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        parsed.rejections.append(Rejection(Reason.MALFORMED_JSON, f"not JSON: {exc}", payload))
        return parsed
    try:
        if not isinstance(doc, dict):
            raise _Invalid(Reason.WRONG_TYPE, f"payload must be a JSON object, not {_kind(doc)}")
        if where.channel is Channel.TELEMETRY:
            _telemetry(where, doc, payload, received_ms, limits, parsed)
        elif where.channel is Channel.STATUS:
            parsed.batch.statuses.append(_status(where, doc, received_ms, limits))
        elif where.channel is Channel.EVENT:
            parsed.batch.events.append(_event(where, doc, received_ms, limits))
        else:
            parsed.batch.metas.append(_meta(where, doc, received_ms, limits))
    except _Invalid as bad:
        parsed.rejections.append(Rejection(bad.reason, bad.detail, payload))
    return parsed


@lru_cache(maxsize=1 << 16)
def _parse_topic(topic: str, prefix: str) -> DeviceTopic:
    """:meth:`DeviceTopic.parse`, memoised: a fleet's topics repeat with every message."""
    return DeviceTopic.parse(topic, prefix)


def _telemetry(where: DeviceTopic, doc: dict[str, Any], payload: bytes, received_ms: int,
               limits: Limits, parsed: Parsed) -> None:
    if "readings" not in doc:
        parsed.batch.readings.append(_reading(where, doc, received_ms, limits))
        return
    items = doc["readings"]
    if not isinstance(items, list):
        raise _Invalid(Reason.WRONG_TYPE, f"readings must be a list, not {_kind(items)}")
    if len(items) > limits.max_batch_readings:
        raise _Invalid(Reason.TOO_MANY_READINGS,
                       f"batch has {len(items)} readings, the limit is {limits.max_batch_readings}")
    readings = parsed.batch.readings
    for index, item in enumerate(items):
        try:
            readings.append(_reading(where, item, received_ms, limits))
        except _Invalid as bad:
            raw = _dumped(item, payload)
            parsed.rejections.append(
                Rejection(bad.reason, f"readings[{index}]: {bad.detail}", raw, index))


def _reading(where: DeviceTopic, item: Any, received_ms: int, limits: Limits) -> Reading:
    if type(item) is not dict:
        raise _Invalid(Reason.WRONG_TYPE, f"a reading must be a JSON object, not {_kind(item)}")
    ts = _timestamp(item, received_ms, limits)
    seq = _required(item, "seq")
    if type(seq) is not int or not 0 <= seq < 2**63:
        raise _Invalid(Reason.WRONG_TYPE,
                       f"seq must be an integer from 0 to 2^63-1, not {seq!r}")
    mode = _required(item, "mode")
    if type(mode) is not str or mode not in _MODES:
        raise _Invalid(Reason.BAD_VALUE,
                       f"mode {mode!r} is not one of {', '.join(sorted(_MODES))}")
    raw_signals = _required(item, "signals")
    if type(raw_signals) is not dict:
        raise _Invalid(Reason.WRONG_TYPE, f"signals must be an object, not {_kind(raw_signals)}")
    if len(raw_signals) > limits.max_signals_per_reading:
        raise _Invalid(Reason.TOO_MANY_SIGNALS, f"{len(raw_signals)} signals, the limit is "
                       f"{limits.max_signals_per_reading}")
    signals: dict[str, float] = {}
    for name, value in raw_signals.items():
        if value is None:
            continue  # not measured this time
        kind = type(value)
        if kind is float:
            pass
        elif kind is int or kind is bool:
            value = float(value)
        else:
            raise _Invalid(Reason.WRONG_TYPE, f"signal {name!r} must be a number, not {value!r}")
        bounds = _RANGES.get(name)
        if bounds is None:
            if name in RESERVED_NAMES or not SIGNAL_NAME.match(name):
                raise _Invalid(Reason.BAD_SIGNAL_NAME, f"signal name {name!r} must be 1-64 "
                               "letters, digits or '_', start with a letter, and not be one of "
                               f"{', '.join(sorted(RESERVED_NAMES))}")
            if not math.isfinite(value):
                raise _Invalid(Reason.OUT_OF_RANGE, f"signal {name!r} is {value}")
        elif not bounds[0] <= value <= bounds[1]:
            lo, hi, unit = bounds
            raise _Invalid(Reason.OUT_OF_RANGE,
                           f"signal {name!r} is {value} {unit}, outside {lo:g}..{hi:g} {unit}")
        signals[name] = value
    return Reading(where.device_id, where.site, ts, seq, mode, signals)


def _timestamp(item: dict[str, Any], received_ms: int, limits: Limits,
               required: bool = True) -> int:
    ts = item.get("ts")
    if ts is None:
        if required:
            raise _Invalid(Reason.MISSING_FIELD, "field 'ts' is missing")
        return received_ms
    if type(ts) is not int:
        raise _Invalid(Reason.WRONG_TYPE,
                       f"ts must be an integer (Unix epoch milliseconds), not {ts!r}")
    if ts - received_ms > limits.max_future_skew_s * 1000:
        raise _Invalid(Reason.TIMESTAMP_IN_FUTURE, f"ts {ts} is {(ts - received_ms) / 1000:.0f} s "
                       f"ahead of the receive time; the limit is {limits.max_future_skew_s:g} s "
                       "(is it in microseconds, or is the device clock wrong?)")
    if received_ms - ts > limits.max_age_s * 1000:
        raise _Invalid(Reason.TIMESTAMP_TOO_OLD, f"ts {ts} is {(received_ms - ts) / 86_400_000:.0f}"
                       f" days old; the limit is {limits.max_age_s / 86_400:g} days "
                       "(is it in seconds instead of milliseconds?)")
    return ts


def _required(item: dict[str, Any], name: str) -> Any:
    try:
        return item[name]
    except KeyError:
        raise _Invalid(Reason.MISSING_FIELD, f"field {name!r} is missing") from None


def _string(doc: dict[str, Any], name: str, default: str | None = None) -> str:
    value = doc.get(name, default) if default is not None else _required(doc, name)
    if type(value) is not str:
        raise _Invalid(Reason.WRONG_TYPE, f"{name} must be a string, not {value!r}")
    return value


def _status(where: DeviceTopic, doc: dict[str, Any], received_ms: int,
            limits: Limits) -> DeviceStatus:
    state = _string(doc, "state")
    if state not in STATES:
        raise _Invalid(Reason.BAD_VALUE, f"state {state!r} is not 'online' or 'offline'")
    ts = _timestamp(doc, received_ms, limits, required=False)
    return DeviceStatus(where.device_id, where.site, ts, state)


def _event(where: DeviceTopic, doc: dict[str, Any], received_ms: int,
           limits: Limits) -> DeviceEvent:
    ts = _timestamp(doc, received_ms, limits)
    code = _string(doc, "code")
    if not code or len(code) > 64:
        raise _Invalid(Reason.BAD_VALUE, f"code must be 1-64 characters, not {code!r}")
    severity = _string(doc, "severity")
    if severity not in _SEVERITIES:
        raise _Invalid(Reason.BAD_VALUE,
                       f"severity {severity!r} is not one of {', '.join(sorted(_SEVERITIES))}")
    message = _string(doc, "message", "")
    active = doc.get("active", True)
    if type(active) is not bool:
        raise _Invalid(Reason.WRONG_TYPE, f"active must be true or false, not {active!r}")
    return DeviceEvent(where.device_id, where.site, ts, code, severity, message, active)


def _meta(where: DeviceTopic, doc: dict[str, Any], received_ms: int,
          limits: Limits) -> DeviceMeta:
    ts = _timestamp(doc, received_ms, limits, required=False)
    role = doc.get("heat_source_role")
    if role is not None and (type(role) is not str or role not in _ROLES):
        raise _Invalid(Reason.BAD_VALUE,
                       f"heat_source_role {role!r} is not one of {', '.join(sorted(_ROLES))}")
    return DeviceMeta(where.device_id, where.site, ts, {k: v for k, v in doc.items() if k != "ts"})


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "a value")


def _dumped(value: Any, fallback: bytes) -> bytes:
    """``value`` as JSON, or ``fallback`` if it cannot be encoded."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return fallback
