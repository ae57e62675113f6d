"""The telemetry-store contract, run over every store: embedded SQLite and real InfluxDB 2.x."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from config import Settings
from ingest.errors import StoreUnavailable
from ingest.reading import Reading, after_defrost_rows
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.store import EmbeddedStore, InfluxStore, SignalFrame, TelemetryStore
from services.process import free_port

MINUTE = 60_000
NOW = int(time.time() * 1000) // MINUTE * MINUTE


@pytest.fixture(params=["embedded", pytest.param("influxdb", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TelemetryStore]:
    s: TelemetryStore
    if request.param == "embedded":
        s = EmbeddedStore(tmp_path / "telemetry.sqlite")
    else:
        settings: Settings = request.getfixturevalue("settings")
        s = InfluxStore(settings.influx)
    yield s
    s.close()


@pytest.fixture
def device() -> str:
    """A device id of its own: the InfluxDB bucket is shared by the whole session."""
    return f"hp-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def base(device: str) -> int:
    """A minute-aligned time window of its own, within the last 30 days."""
    return NOW - (1 + int(device[3:], 16) % 40_000) * MINUTE


def reading(device: str, ts: int, seq: int, **signals: float) -> Reading:
    return Reading(device, "site-1", ts, seq, "heating", signals)


def test_written_readings_read_back_exactly_as_sent(store: TelemetryStore, device: str,
                                                    base: int) -> None:
    sent = [reading(device, base + i * 1000, i, outdoor_temp=-3.2 + i, supply_temp=41.5,
                    odd_extra=0.1 + 0.2, tiny=1.5e-7, big=1e16) for i in range(5)]
    store.write_readings(sent)
    assert store.read_readings(device, base, base + MINUTE) == sent


def test_writing_a_reading_again_keeps_one_copy(store: TelemetryStore, device: str,
                                                base: int) -> None:
    """Redelivery is harmless: same device and timestamp is the same point."""
    r = reading(device, base, 1, outdoor_temp=2.0)
    store.write_readings([r])
    store.write_readings([r])
    assert store.read_readings(device, base, base + MINUTE) == [r]
    assert store.count_readings(base, base + MINUTE, device) == 1


def test_windows_include_the_start_and_exclude_the_stop(store: TelemetryStore, device: str,
                                                        base: int) -> None:
    # the fleet-wide count sees whatever other tests wrote to the shared bucket in that minute
    others = store.count_readings(base, base + MINUTE)
    store.write_readings([reading(device, base + i * 1000, i, x=float(i)) for i in range(10)])
    got = store.read_readings(device, base + 2000, base + 5000)
    assert [r.seq for r in got] == [2, 3, 4]
    assert store.count_readings(base + 2000, base + 5000, device) == 3
    assert store.count_readings(base, base + MINUTE) == others + 10


def test_signal_frames_have_one_column_per_signal_and_gaps_as_none(
        store: TelemetryStore, device: str, base: int) -> None:
    store.write_readings([reading(device, base, 0, a=1.0, b=2.0),
                          reading(device, base + 1000, 1, a=3.0)])
    frame = store.read_signals(device, base, base + MINUTE)
    assert frame.times_ms == [base, base + 1000]
    assert frame.columns == {"a": [1.0, 3.0], "b": [2.0, None]}
    only_a = store.read_signals(device, base, base + MINUTE, signals=["a"])
    assert list(only_a.columns) == ["a"]
    assert only_a.column("missing") == [None, None]


def test_downsampling_averages_epoch_aligned_windows_and_skips_empty_ones(
        store: TelemetryStore, device: str, base: int) -> None:
    # 0 s, 20 s, 40 s in the first minute; nothing in the second; 2 values in the third.
    offsets = [0, 20_000, 40_000, 2 * MINUTE, 2 * MINUTE + 30_000]
    values = [1.0, 2.0, 6.0, 10.0, 20.0]
    store.write_readings([reading(device, base + o, i, power_w=v)
                          for i, (o, v) in enumerate(zip(offsets, values, strict=True))])
    frame = store.read_signals(device, base + 10_000, base + 3 * MINUTE, every_ms=MINUTE)
    assert frame.times_ms == [base, base + 2 * MINUTE]
    assert frame.column("power_w") == pytest.approx([3.0, 15.0])


def test_running_only_signals_are_averaged_over_running_readings(
        store: TelemetryStore, device: str, base: int) -> None:
    """The machine's own signals over the minutes it ran outside defrost; the rest over all."""
    rows = [(0, 40.0, 0.0, 1000.0, 0.0),        # running
            (15_000, 0.0, 0.0, 10.0, 2.0),      # stopped
            (30_000, 40.0, 1.0, 300.0, 4.0),    # defrosting
            (2 * MINUTE, 0.0, 0.0, 5.0, 1.0)]   # a window without a running reading
    store.write_readings([reading(device, base + o, i, compressor_hz=hz, defrost=df,
                                  power_w=p, outdoor_temp=t)
                          for i, (o, hz, df, p, t) in enumerate(rows)])
    names = ["outdoor_temp", "power_w"]
    frame = store.read_signals(device, base, base + 3 * MINUTE, names, every_ms=MINUTE,
                               running_only=["power_w"])
    assert frame.times_ms == [base, base + 2 * MINUTE]
    assert frame.column("power_w") == [pytest.approx(1000.0), None]
    assert frame.column("outdoor_temp") == pytest.approx([2.0, 1.0])
    fleet = store.read_fleet_signals(base, base + 3 * MINUTE, MINUTE, names,
                                     device_ids=[device], running_only=["power_w"])
    assert fleet[device] == frame
    plain = store.read_signals(device, base, base + 3 * MINUTE, names, every_ms=MINUTE)
    assert plain.column("power_w") == pytest.approx([1310.0 / 3, 5.0])


def test_windows_give_their_lowest_highest_value_or_count_when_asked(
        store: TelemetryStore, device: str, base: int) -> None:
    """How far a signal scatters within a window (a hunting valve): min, max and count,
    running readings only where asked, single-device and fleet reads alike."""
    rows = [(0, 40.0, 0.0, 5.0, 1.0),           # running
            (10_000, 40.0, 0.0, 9.0, 3.0),      # running
            (20_000, 0.0, 0.0, 30.0, -2.0),     # stopped: not a running superheat
            (40_000, 40.0, 0.0, 6.5, 0.0),      # running
            (2 * MINUTE, 40.0, 0.0, 4.0, 2.0)]  # a window of one reading
    store.write_readings([reading(device, base + o, i, compressor_hz=hz, defrost=df,
                                  superheat=sh, outdoor_temp=t)
                          for i, (o, hz, df, sh, t) in enumerate(rows)])
    names = ["outdoor_temp", "superheat"]
    for aggregate, superheat, outdoor in (("min", [5.0, 4.0], [-2.0, 2.0]),
                                          ("max", [9.0, 4.0], [3.0, 2.0]),
                                          ("count", [3, 1], [4, 1])):
        frame = store.read_signals(device, base, base + 3 * MINUTE, names, every_ms=MINUTE,
                                   running_only=["superheat"], aggregate=aggregate)
        assert frame.times_ms == [base, base + 2 * MINUTE]
        assert frame.column("superheat") == pytest.approx(superheat)
        assert frame.column("outdoor_temp") == pytest.approx(outdoor)
        fleet = store.read_fleet_signals(base, base + 3 * MINUTE, MINUTE, names,
                                         device_ids=[device], running_only=["superheat"],
                                         aggregate=aggregate)
        assert fleet[device] == frame
    both = store.read_fleet_aggregates(base, base + 3 * MINUTE, MINUTE, ("min", "max", "count"),
                                       names, device_ids=[device], running_only=["superheat"])
    for aggregate, frames in both.items():
        assert frames == store.read_fleet_signals(base, base + 3 * MINUTE, MINUTE, names,
                                                  device_ids=[device],
                                                  running_only=["superheat"],
                                                  aggregate=aggregate)
    with pytest.raises(ValueError, match="aggregate must be one of count, max, mean, min"):
        store.read_signals(device, base, base + MINUTE, every_ms=MINUTE,
                           aggregate="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aggregate must be one of"):
        store.read_fleet_signals(base, base + MINUTE, MINUTE,
                                 aggregate="stddev")  # type: ignore[arg-type]


def test_a_context_signal_cannot_be_running_only(store: TelemetryStore, device: str,
                                                  base: int) -> None:
    with pytest.raises(ValueError, match="context signals"):
        store.read_signals(device, base, base + MINUTE, every_ms=MINUTE,
                           running_only=["outdoor_temp"])
    with pytest.raises(ValueError, match="context signals"):
        store.read_fleet_signals(base, base + MINUTE, MINUTE, running_only=["defrost"])


def test_a_fleet_read_gives_each_device_its_downsampled_frame(store: TelemetryStore,
                                                              base: int) -> None:
    """One call, many devices: the same frames read_signals(every_ms=...) gives one by one."""
    devices = [f"hp-{uuid.uuid4().hex[:10]}" for _ in range(3)]
    for k, d in enumerate(devices[:2]):
        store.write_readings([reading(d, base + o, i, power_w=v + k, flow_lpm=20.0)
                              for i, (o, v) in enumerate([(0, 1.0), (30_000, 3.0),
                                                          (2 * MINUTE, 10.0)])])
    frames = store.read_fleet_signals(base, base + 3 * MINUTE, MINUTE, ["power_w"],
                                      device_ids=devices)
    assert sorted(frames) == sorted(devices[:2])
    for d in devices[:2]:
        assert frames[d] == store.read_signals(d, base, base + 3 * MINUTE, ["power_w"],
                                               every_ms=MINUTE)
    assert frames[devices[1]].column("power_w") == pytest.approx([3.0, 11.0])


def test_after_defrost_reads_the_first_running_reading_after_each_defrost(
        store: TelemetryStore, device: str, base: int) -> None:
    """Raw rows, not windows: each running reading whose previous reading was defrosting,
    with the wanted signals' values exactly as sent; a missing defrost counts as 0, a
    missing compressor speed as stopped. The same rows as ingest.reading.after_defrost_rows."""
    rows: list[dict[str, float]] = [
        {"compressor_hz": 40.0, "defrost": 0.0, "low_pressure": 3.0},    # running
        {"compressor_hz": 40.0, "defrost": 1.0, "low_pressure": 2.0},    # defrost ...
        {"compressor_hz": 38.0, "defrost": 1.0, "low_pressure": 2.1},    # ... of 2 readings
        {"compressor_hz": 42.0, "defrost": 0.0, "low_pressure": 0.1 + 0.2,
         "outdoor_temp": -3.2},                                          # YES
        {"compressor_hz": 41.0, "defrost": 0.0, "low_pressure": 2.6},    # running again: no
        {"compressor_hz": 40.0, "defrost": 2.0, "low_pressure": 2.0},    # defrost
        {"compressor_hz": 0.0, "defrost": 0.0, "low_pressure": 4.0},     # idle after it: no
        {"compressor_hz": 40.0, "defrost": 0.0, "low_pressure": 2.7},    # after idle: no
        {"compressor_hz": 40.0, "defrost": 1.0},                         # defrost
        {"compressor_hz": 45.0, "low_pressure": 1.5e-7},                 # no defrost sent: YES
        {"defrost": 1.0},                                                # defrost, no hz
        {"outdoor_temp": 1.0},                                           # no hz (stopped): no
        {"compressor_hz": 40.0, "defrost": 0.0, "low_pressure": 2.8},    # after that: no
        {"compressor_hz": 30.0, "defrost": 0.5},                         # defrost
        {"compressor_hz": 4.9, "defrost": 0.0, "low_pressure": 5.0},     # below running: no
        {"compressor_hz": 40.0, "defrost": 1.0},                         # defrost
        {"compressor_hz": 5.0, "defrost": 0.0, "low_pressure": 1e16,
         "outdoor_temp": 7.25},                                          # at RUNNING_HZ: YES
    ]
    sent = [reading(device, base + i * 10_000, i, **r) for i, r in enumerate(rows)]
    store.write_readings(sent)
    names = ["low_pressure", "outdoor_temp", "compressor_hz", "never_sent"]
    got = store.read_fleet_after_defrost(base, base + 10 * MINUTE, names, device_ids=[device])
    assert list(got) == [device]
    frame = got[device]
    assert frame.times_ms == [base + 30_000, base + 90_000, base + 160_000]
    assert frame.columns == {"low_pressure": [0.1 + 0.2, 1.5e-7, 1e16],
                             "outdoor_temp": [-3.2, None, 7.25],
                             "compressor_hz": [42.0, 45.0, 5.0],
                             "never_sent": [None, None, None]}
    back = store.read_readings(device, base, base + 10 * MINUTE)
    hz, defrost = (np.array([r.signals.get(n, np.nan) for r in back]) for n in
                   ("compressor_hz", "defrost"))
    assert frame.times_ms == [r.ts_ms for r, k in zip(back, after_defrost_rows(hz, defrost),
                                                      strict=True) if k]
    assert store.read_fleet_after_defrost(base, base + 10 * MINUTE, [],
                                          device_ids=[device])[device].columns == {}


def test_after_defrost_counts_a_defrost_that_ended_right_at_the_start(
        store: TelemetryStore, device: str, base: int) -> None:
    """The reading before the window is the previous one of its first reading."""
    store.write_readings([reading(device, base - 10 * MINUTE, 0, compressor_hz=40.0, defrost=1.0),
                          reading(device, base, 1, compressor_hz=40.0, defrost=0.0,
                                  low_pressure=2.5),
                          reading(device, base + MINUTE, 2, compressor_hz=40.0, defrost=1.0),
                          reading(device, base + 2 * MINUTE, 3, compressor_hz=40.0,
                                  low_pressure=2.4)])
    frames = store.read_fleet_after_defrost(base, base + 2 * MINUTE, ["low_pressure"],
                                            device_ids=[device])
    assert frames[device].times_ms == [base]  # and the stop is excluded
    assert frames[device].columns == {"low_pressure": [2.5]}
    later = store.read_fleet_after_defrost(base + 2 * MINUTE, base + 3 * MINUTE,
                                           ["low_pressure"], device_ids=[device])
    assert later[device].times_ms == [base + 2 * MINUTE]
    assert store.read_fleet_after_defrost(base + 1, base + 2 * MINUTE, ["low_pressure"],
                                          device_ids=[device]) == {}


def test_after_defrost_reads_the_devices_asked_for_and_leaves_out_those_without(
        store: TelemetryStore, base: int) -> None:
    devices = [f"hp-{uuid.uuid4().hex[:10]}" for _ in range(4)]
    for k, d in enumerate(devices[:3]):
        store.write_readings([reading(d, base, 0, compressor_hz=40.0, defrost=1.0),
                              reading(d, base + 10_000, 1, compressor_hz=40.0 if k < 2 else 0.0,
                                      defrost=0.0, low_pressure=2.0 + k)])
    window = (base, base + MINUTE, ["low_pressure"])
    asked = store.read_fleet_after_defrost(*window, device_ids=[devices[0], *devices[2:]])
    assert asked == {devices[0]: SignalFrame(devices[0], [base + 10_000],
                                             {"low_pressure": [2.0]})}
    everyone = store.read_fleet_after_defrost(*window)  # other tests' devices too, maybe
    assert {devices[0], devices[1]} <= set(everyone)
    assert devices[2] not in everyone and devices[3] not in everyone
    assert everyone[devices[1]] == SignalFrame(devices[1], [base + 10_000],
                                               {"low_pressure": [3.0]})
    assert store.read_fleet_after_defrost(*window, device_ids=[]) == {}


def test_latest_status_and_metadata_are_the_newest(store: TelemetryStore, device: str,
                                                   base: int) -> None:
    store.write(Batch(
        statuses=[DeviceStatus(device, "site-1", base, "online"),
                  DeviceStatus(device, "site-1", base + 5000, "offline")],
        metas=[DeviceMeta(device, "site-1", base, {"model": "AW-6"}),
               DeviceMeta(device, "site-1", base + 1000,
                          {"model": "AW-8", "location": {"lat": 59.33}, "tags": [1, "a"]})],
    ))
    assert store.latest_status(device) == DeviceStatus(device, "site-1", base + 5000, "offline")
    meta = store.latest_meta(device)
    assert meta is not None
    assert meta.doc == {"model": "AW-8", "location": {"lat": 59.33}, "tags": [1, "a"]}
    assert store.latest_status("never-heard-of") is None
    assert store.latest_meta("never-heard-of") is None


def test_events_come_back_in_time_order_with_all_fields(store: TelemetryStore, device: str,
                                                       base: int) -> None:
    sent = [DeviceEvent(device, "site-1", base + 2000, "E101", "fault", 'cut-out "HP"', True),
            DeviceEvent(device, "site-1", base + 1000, "W7", "warning", "", True),
            DeviceEvent(device, "site-1", base + 3000, "E101", "fault", "cleared", False)]
    store.write(Batch(events=sent))
    assert store.events(device, base, base + MINUTE) == sorted(sent, key=lambda e: e.ts_ms)


def test_devices_lists_where_each_device_is_and_what_is_known(store: TelemetryStore,
                                                             device: str, base: int) -> None:
    quiet = device + "-quiet"  # sent metadata but no readings yet
    store.write(Batch(readings=[reading(device, base + 500, 1, x=1.0)],
                      statuses=[DeviceStatus(device, "site-1", base, "online")],
                      metas=[DeviceMeta(quiet, "site-2", base, {"model": "AW-8"})]))
    found = {d.device_id: d for d in store.devices(since_ms=base)}
    assert found[device].site == "site-1"
    assert found[device].last_reading_ms == base + 500
    status = found[device].status
    assert status is not None and status.state == "online"
    assert found[quiet].site == "site-2"
    assert found[quiet].last_reading_ms is None
    meta = found[quiet].meta
    assert meta is not None and meta.doc == {"model": "AW-8"}


def test_an_unreachable_store_raises_store_unavailable(tmp_path: Path) -> None:
    influx = InfluxStore(Settings(influx={"url": f"http://127.0.0.1:{free_port()}",
                                          "timeout": 2}).influx)
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        influx.write_readings([reading("hp-1", NOW, 1, x=1.0)])
    with pytest.raises(StoreUnavailable):
        influx.read_readings("hp-1", NOW, NOW + 1)
    influx.close()


def test_an_embedded_store_that_cannot_write_raises_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreUnavailable, match="embedded store"):
        EmbeddedStore(blocker / "telemetry.sqlite")
