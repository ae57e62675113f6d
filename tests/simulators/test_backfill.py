"""Backfill straight into the telemetry store: every reading, event and metadata record lands."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from config import Settings
from ingest.reading import Reading
from ingest.records import Batch
from ingest.store import EmbeddedStore, InfluxStore, TelemetryStore
from simulators.backfill import backfill_store
from simulators.fleet import Fleet
from simulators.plan import parse_plan

DAY = 86_400.0
START = float(int(time.time() - 3 * DAY) // 3600 * 3600)  # recent: within any retention


class ListStore:
    """The smallest telemetry store: keeps the batches it is given."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def write(self, batch: Batch) -> None:
        self.batches.append(batch)

    def write_readings(self, readings: Sequence[Reading]) -> None:
        self.write(Batch.of(readings))

    def close(self) -> None:
        pass


def _fleet(prefix: str, n: int = 4) -> Fleet:
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    plan = parse_plan([{"device": 0, "fault": "electronic", "onset_day": 0.5}], ids, START, 1)
    return Fleet(n, seed=1, start_s=START, interval_s=600, plan=plan, id_prefix=prefix)


def test_backfill_writes_large_batches_with_events_and_metadata() -> None:
    store = ListStore()
    done: list[int] = []
    result = backfill_store(_fleet("bf"), store, steps=144, batch_readings=100,
                            progress=done.append)
    assert result.readings == 4 * 144 and result.events == 1
    readings = [r for b in store.batches for r in b.readings]
    assert len(readings) == 576 and len(store.batches) == 6
    assert {r.device_id for r in readings} == {f"bf-{i:05d}" for i in range(4)}
    assert readings[0].ts_ms == int(START * 1000) and readings[-1].seq == 144
    metas = [m for b in store.batches for m in b.metas]
    assert len(metas) == 4 and metas[0].doc["model"]
    event = next(e for b in store.batches for e in b.events)
    assert event.code == "E901" and event.device_id == "bf-00000"
    assert done[-1] == 144


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


def test_backfilled_history_reads_back_from_a_real_store(store: TelemetryStore) -> None:
    prefix = f"b{uuid.uuid4().hex[:6]}"
    fleet = _fleet(prefix)
    backfill_store(fleet, store, steps=144)
    start_ms, stop_ms = int(START * 1000), int((START + DAY) * 1000)
    device = f"{prefix}-00001"
    assert store.count_readings(start_ms, stop_ms, device) == 144
    back = store.read_readings(device, start_ms, stop_ms)
    assert back[0].ts_ms == start_ms and back[-1].seq == 144
    assert len(back[0].signals) == 20 and back[0].site == fleet.devices[1].site
    events = store.events(f"{prefix}-00000", start_ms, stop_ms)
    assert [e.code for e in events] == ["E901"]
    meta = store.latest_meta(device)
    assert meta is not None and meta.doc == fleet.devices[1].meta
