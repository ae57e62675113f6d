"""The spool keeps batches durably, in order, and survives crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import SpoolError
from ingest.reading import Reading
from ingest.records import Batch, DeviceEvent, DeviceMeta, DeviceStatus
from ingest.spool import Spool, decode, encode


def batch(seq: int) -> Batch:
    return Batch(readings=[Reading("hp-1", "s", 1000 + seq, seq, "heating",
                                   {"outdoor_temp": -3.2, "x": 0.1 + 0.2})])


def test_encode_and_decode_round_trip_every_record_kind_exactly() -> None:
    original = Batch(
        readings=[Reading("d", "s", 1, 2, "heating", {"a": 0.1 + 0.2})],
        statuses=[DeviceStatus("d", "s", 3, "offline")],
        events=[DeviceEvent("d", "s", 4, "E1", "fault", "msg", False)],
        metas=[DeviceMeta("d", "s", 5, {"model": "AW-8", "nested": {"x": [1, 2]}})],
    )
    assert decode(encode(original)) == original


def test_segments_come_back_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for seq in range(3):
        spool.append(batch(seq))
    seen = []
    while (item := spool.oldest()) is not None:
        path, b = item
        seen.append(b.readings[0].seq)
        spool.remove(path)
    assert seen == [0, 1, 2]
    assert len(spool) == 0


def test_a_reopened_spool_still_holds_its_segments_and_counts_records(tmp_path: Path) -> None:
    first = Spool(tmp_path)
    first.append(batch(1))
    first.append(batch(2))
    again = Spool(tmp_path)
    assert (len(again), again.records) == (2, 2)
    again.append(batch(3))
    assert [p.name for p in sorted(tmp_path.glob("*.spool"))][-1] > sorted(
        tmp_path.glob("*.spool"))[0].name


def test_a_half_written_segment_from_a_crash_is_discarded(tmp_path: Path) -> None:
    """A .tmp file was never acknowledged: the broker still has those messages."""
    (tmp_path / "0000000000000001.tmp").write_bytes(b'{"k": "r", "device_')
    spool = Spool(tmp_path)
    assert len(spool) == 0
    assert not list(tmp_path.glob("*.tmp"))


def test_a_corrupt_segment_is_set_aside_with_an_error(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    path = spool.append(batch(1))
    path.write_bytes(b"garbage\n")
    with pytest.raises(SpoolError, match="corrupt"):
        spool.oldest()
    assert len(spool) == 0
    assert path.with_suffix(".corrupt").exists()


def test_an_unwritable_spool_directory_raises_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SpoolError, match="spool directory"):
        Spool(blocker / "spool")
