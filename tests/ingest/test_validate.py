"""Validation at the MQTT boundary: good readings pass, bad input is set aside with a reason."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from ingest.contract import Limits
from ingest.validate import Reason, parse_message

NOW = 1_768_456_800_000
TOPIC = "forewarn/v1/site-1/hp-1/telemetry"


def reading(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"ts": NOW - 1000, "seq": 7, "mode": "heating",
                           "signals": {"outdoor_temp": -3.2, "supply_temp": 41.5}}
    doc.update(overrides)
    return doc


def parse(doc: Any, topic: str = TOPIC, limits: Limits | None = None) -> Any:
    payload = doc if isinstance(doc, bytes) else orjson.dumps(doc)
    return parse_message(topic, payload, NOW, limits=limits or Limits())


def reasons(parsed: Any) -> list[Reason]:
    return [r.reason for r in parsed.rejections]


def test_a_single_reading_becomes_a_reading_with_exact_values() -> None:
    """Values, timestamp, sequence, mode, device and site come through unchanged."""
    parsed = parse(reading(signals={"outdoor_temp": -3.2, "power_w": 2150, "defrost": 0}))
    (r,) = parsed.batch.readings
    assert (r.device_id, r.site, r.ts_ms, r.seq, r.mode) == ("hp-1", "site-1", NOW - 1000, 7,
                                                             "heating")
    assert r.signals == {"outdoor_temp": -3.2, "power_w": 2150.0, "defrost": 0.0}
    assert parsed.rejections == []


def test_a_batch_yields_every_reading_in_order() -> None:
    parsed = parse({"readings": [reading(seq=i, ts=NOW - 10_000 + i) for i in range(5)]})
    assert [r.seq for r in parsed.batch.readings] == [0, 1, 2, 3, 4]


def test_unknown_extra_signals_are_stored_not_rejected() -> None:
    parsed = parse(reading(signals={"outdoor_temp": 1.0, "inverter_temp": 55.5}))
    assert parsed.batch.readings[0].signals["inverter_temp"] == 55.5


def test_null_signals_are_left_out_and_booleans_count_as_zero_or_one() -> None:
    parsed = parse(reading(signals={"outdoor_temp": None, "defrost": True}))
    assert parsed.batch.readings[0].signals == {"defrost": 1.0}


def test_bad_readings_in_a_batch_are_rejected_and_the_good_ones_kept() -> None:
    """One reading with a string value does not cost the other readings of the backlog."""
    items = [reading(seq=1), reading(seq=2, signals={"outdoor_temp": "cold"}), reading(seq=3)]
    parsed = parse({"readings": items})
    assert [r.seq for r in parsed.batch.readings] == [1, 3]
    (rejection,) = parsed.rejections
    assert rejection.reason is Reason.WRONG_TYPE
    assert rejection.index == 1
    assert "readings[1]" in rejection.detail
    assert orjson.loads(rejection.raw)["seq"] == 2


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", Reason.MALFORMED_JSON),
        (b"\xff\xfe", Reason.MALFORMED_JSON),
        (b'{"ts": NaN}', Reason.MALFORMED_JSON),
        (b"[1, 2]", Reason.WRONG_TYPE),
        (b'"text"', Reason.WRONG_TYPE),
        (orjson.dumps({"readings": {"a": 1}}), Reason.WRONG_TYPE),
        (orjson.dumps(reading(ts="yesterday")), Reason.WRONG_TYPE),
        (orjson.dumps(reading(ts=1.5e12)), Reason.WRONG_TYPE),
        (orjson.dumps(reading(seq=-1)), Reason.WRONG_TYPE),
        (orjson.dumps(reading(seq="7")), Reason.WRONG_TYPE),
        (orjson.dumps(reading(seq=2**63)), Reason.WRONG_TYPE),
        (orjson.dumps(reading(signals=[1, 2])), Reason.WRONG_TYPE),
        (orjson.dumps(reading(signals={"outdoor_temp": [1]})), Reason.WRONG_TYPE),
        (orjson.dumps({"seq": 1, "mode": "heating", "signals": {}}), Reason.MISSING_FIELD),
        (orjson.dumps({"ts": NOW, "mode": "heating", "signals": {}}), Reason.MISSING_FIELD),
        (orjson.dumps({"ts": NOW, "seq": 1, "signals": {}}), Reason.MISSING_FIELD),
        (orjson.dumps({"ts": NOW, "seq": 1, "mode": "heating"}), Reason.MISSING_FIELD),
        (orjson.dumps(reading(mode="turbo")), Reason.BAD_VALUE),
        (orjson.dumps(reading(mode=["heating"])), Reason.BAD_VALUE),
        (orjson.dumps(reading(signals={"seq": 1.0})), Reason.BAD_SIGNAL_NAME),
        (orjson.dumps(reading(signals={"bad name": 1.0})), Reason.BAD_SIGNAL_NAME),
        (orjson.dumps(reading(signals={"supply_temp": 250.0})), Reason.OUT_OF_RANGE),
        (orjson.dumps(reading(signals={"outdoor_temp": -90})), Reason.OUT_OF_RANGE),
        (orjson.dumps(reading(ts=NOW + 3_600_000)), Reason.TIMESTAMP_IN_FUTURE),
        (orjson.dumps(reading(ts=NOW * 1000)), Reason.TIMESTAMP_IN_FUTURE),
        (orjson.dumps(reading(ts=NOW // 1000)), Reason.TIMESTAMP_TOO_OLD),
        (orjson.dumps(reading(ts=0)), Reason.TIMESTAMP_TOO_OLD),
    ],
)
def test_out_of_contract_telemetry_is_rejected_with_its_reason(payload: bytes,
                                                              reason: Reason) -> None:
    parsed = parse(payload)
    assert parsed.batch.readings == []
    assert reasons(parsed) == [reason]
    assert parsed.rejections[0].detail


def test_a_payload_over_the_size_limit_is_rejected_before_parsing() -> None:
    huge = b'{"readings": [' + b"1," * 600_000 + b"1]}"
    parsed = parse(huge, limits=Limits(max_payload_bytes=1_000_000))
    assert reasons(parsed) == [Reason.PAYLOAD_TOO_LARGE]
    assert parsed.rejections[0].raw == huge


def test_a_batch_longer_than_the_limit_is_rejected_whole() -> None:
    parsed = parse({"readings": [reading(seq=i) for i in range(11)]},
                   limits=Limits(max_batch_readings=10))
    assert reasons(parsed) == [Reason.TOO_MANY_READINGS]
    assert parsed.batch.readings == []


def test_a_reading_with_too_many_signals_is_rejected() -> None:
    signals = {f"extra_{i}": 1.0 for i in range(6)}
    parsed = parse(reading(signals=signals), limits=Limits(max_signals_per_reading=5))
    assert reasons(parsed) == [Reason.TOO_MANY_SIGNALS]


@pytest.mark.parametrize("topic", [
    "forewarn/v1/site-1/hp-1/weather",
    "forewarn/v1/site-1/telemetry",
    "forewarn/v1/si te/hp-1/telemetry",
    "other/v1/site-1/hp-1/telemetry",
])
def test_messages_on_topics_outside_the_contract_are_rejected(topic: str) -> None:
    parsed = parse(reading(), topic=topic)
    assert reasons(parsed) == [Reason.BAD_TOPIC]
    assert parsed.channel is None


def test_no_input_makes_the_parser_raise() -> None:
    """Arbitrary bytes and odd JSON never raise: they are rejections."""
    odd: list[bytes] = [b"", b"null", b"0", b"{}", b'{"readings": [null, 1, "x", []]}',
                        b'{"ts": 99999999999999999999999}', bytes(range(256)),
                        b'{"readings": [{"ts": true, "seq": true, "mode": 1, "signals": 1}]}']
    for payload in odd:
        for channel in ("telemetry", "status", "event", "meta"):
            parsed = parse_message(f"forewarn/v1/s/d/{channel}", payload, NOW)
            assert parsed.batch.readings == [] or channel == "telemetry"


def test_a_status_without_timestamp_takes_the_receive_time() -> None:
    """A Last Will is fixed when the device connects, so it carries no useful time."""
    parsed = parse({"state": "offline"}, topic="forewarn/v1/site-1/hp-1/status")
    (status,) = parsed.batch.statuses
    assert (status.state, status.ts_ms) == ("offline", NOW)


def test_a_status_other_than_online_or_offline_is_rejected() -> None:
    parsed = parse({"state": "sleepy"}, topic="forewarn/v1/site-1/hp-1/status")
    assert reasons(parsed) == [Reason.BAD_VALUE]


def test_an_event_keeps_code_severity_message_and_active_flag() -> None:
    doc = {"ts": NOW - 5, "code": "E101", "severity": "fault",
           "message": "high pressure cut-out", "active": False}
    (ev,) = parse(doc, topic="forewarn/v1/site-1/hp-1/event").batch.events
    assert (ev.code, ev.severity, ev.message, ev.active, ev.ts_ms) == (
        "E101", "fault", "high pressure cut-out", False, NOW - 5)


@pytest.mark.parametrize("doc", [
    {"ts": NOW, "severity": "fault"},
    {"ts": NOW, "code": "E1", "severity": "catastrophic"},
    {"ts": NOW, "code": "E1", "severity": "fault", "active": "yes"},
    {"code": "E1", "severity": "fault"},
])
def test_events_outside_the_contract_are_rejected(doc: dict[str, Any]) -> None:
    parsed = parse(doc, topic="forewarn/v1/site-1/hp-1/event")
    assert parsed.batch.events == []
    assert len(parsed.rejections) == 1


def test_metadata_is_kept_as_sent() -> None:
    doc = {"model": "AW-8", "firmware": "3.2.1", "heat_source_role": "sole",
           "location": {"climate": "stockholm"}}
    (meta,) = parse(doc, topic="forewarn/v1/site-1/hp-1/meta").batch.metas
    assert meta.doc == doc
    assert meta.ts_ms == NOW


def test_metadata_with_an_unknown_heat_source_role_is_rejected() -> None:
    parsed = parse({"heat_source_role": "decorative"}, topic="forewarn/v1/site-1/hp-1/meta")
    assert reasons(parsed) == [Reason.BAD_VALUE]
