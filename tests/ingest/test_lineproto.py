"""Line protocol: one line per record, exact values, safe escaping."""

from __future__ import annotations

from ingest.lineproto import (
    batch_lines,
    escape_key,
    event_line,
    meta_line,
    quote,
    reading_line,
    status_line,
)
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus


def test_a_reading_is_a_context_point_and_a_machine_point_at_its_ms_timestamp() -> None:
    r = Reading("hp-1", "site-1", 1_768_456_800_000, 42, "heating",
                {"outdoor_temp": -3.2, "power_w": 2150.0})
    assert reading_line(r).split("\n") == [
        'telemetry,device_id=hp-1,site=site-1 seq=42i,mode="heating",outdoor_temp=-3.2 '
        "1768456800000",
        "telemetry,device_id=hp-1,running=false,site=site-1 power_w=2150.0 1768456800000"]


def test_a_reading_with_only_context_signals_is_one_point() -> None:
    assert reading_line(Reading("d", "s", 1, 1, "off", {"outdoor_temp": 2.0})) == (
        'telemetry,device_id=d,site=s seq=1i,mode="off",outdoor_temp=2.0 1')


def test_machine_signals_are_tagged_running_while_the_compressor_turns_outside_defrost() -> None:
    def tag(signals: dict[str, float]) -> str:
        machine = reading_line(Reading("d", "s", 1, 1, "heating", signals)).split("\n")[1]
        return machine.split(",")[2]

    assert tag({"compressor_hz": 40.0, "defrost": 0.0}) == "running=true"
    assert tag({"compressor_hz": 40.0}) == "running=true"
    assert tag({"compressor_hz": 40.0, "defrost": 1.0}) == "running=false"
    assert tag({"compressor_hz": 0.0}) == "running=false"
    assert tag({"power_w": 900.0}) == "running=false"


def test_floats_are_written_with_full_precision() -> None:
    """The shortest text that round-trips: what the device sent is what is stored."""
    value = 0.1 + 0.2
    line = reading_line(Reading("d", "s", 1, 1, "off", {"x": value, "big": 1e16}))
    assert f"x={value!r}" in line
    assert float(line.split("x=")[1].split(",")[0]) == value
    assert "big=1e+16" in line


def test_string_fields_escape_quotes_backslashes_and_newlines() -> None:
    assert quote('a "b" \\c\nd') == '"a \\"b\\" \\\\c\\nd"'


def test_tag_keys_and_values_escape_commas_equals_and_spaces() -> None:
    assert escape_key("E 1,a=b") == "E\\ 1\\,a\\=b"


def test_status_event_and_meta_lines() -> None:
    assert status_line(DeviceStatus("d", "s", 5, "online")) == (
        'device_status,device_id=d,site=s state="online" 5')
    assert event_line(DeviceEvent("d", "s", 5, "E 1", "fault", 'say "hi"', False)) == (
        'device_event,code=E\\ 1,device_id=d,site=s severity="fault",message="say \\"hi\\"",'
        "active=false 5")
    assert meta_line(DeviceMeta("d", "s", 5, {"model": "AW-8", "a": 1})) == (
        'device_meta,device_id=d,site=s doc="{\\"a\\":1,\\"model\\":\\"AW-8\\"}" 5')


def test_a_batch_becomes_readings_then_device_records() -> None:
    batch = Batch(readings=[Reading("d", "s", 1, 1, "off", {})],
                  statuses=[DeviceStatus("d", "s", 2, "online")])
    lines = list(batch_lines(batch))
    assert [line.split(",")[0] for line in lines] == ["telemetry", "device_status"]
