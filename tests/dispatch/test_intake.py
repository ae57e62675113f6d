"""Findings reach dispatch in-process (a detect FindingSink) or by following detect's
JSON-lines file, resuming after a restart without taking anything twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config import load_settings
from detect.sink import FindingSink, JsonLinesSink
from dispatch import open_service
from dispatch.directory import seed
from dispatch.dispatcher import Dispatcher
from dispatch.intake import DispatchSink, FindingsFollower
from dispatch.store import tables as t

from .conftest import HOUR_MS, NOW_MS, MakeFinding, directory


def findings_taken(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(t.FindingRow)) or 0)


def test_the_dispatch_sink_is_a_detect_finding_sink(dispatcher: Dispatcher,
                                                    make_finding: MakeFinding) -> None:
    sink = DispatchSink(dispatcher, clock=lambda: NOW_MS)
    assert isinstance(sink, FindingSink)
    sink.put([make_finding("hp-0"), make_finding("hp-1")])
    assert [h.created for h in sink.handled] == [True, True]


def test_the_follower_reads_new_lines_and_resumes_after_a_restart(
        dispatcher: Dispatcher, make_finding: MakeFinding, tmp_path: Path) -> None:
    path = tmp_path / "findings.jsonl"
    writer = JsonLinesSink(path)
    writer.put([make_finding("hp-0"), make_finding("hp-1")])
    assert len(FindingsFollower(dispatcher, path).poll(NOW_MS)) == 2
    writer.put([make_finding("hp-0", ts_ms=NOW_MS + HOUR_MS)])
    restarted = FindingsFollower(dispatcher, path)
    handled = restarted.poll(NOW_MS + HOUR_MS)
    assert len(handled) == 1 and not handled[0].created
    assert restarted.poll(NOW_MS + 2 * HOUR_MS) == []
    assert findings_taken(dispatcher.sessions) == 3


def test_a_half_written_line_waits_and_a_malformed_line_is_skipped(
        dispatcher: Dispatcher, make_finding: MakeFinding, tmp_path: Path) -> None:
    path = tmp_path / "findings.jsonl"
    JsonLinesSink(path).put([make_finding("hp-0")])
    with path.open("a") as fh:
        fh.write('{"not": "a finding"}\n{"device_id": "hp-1", "ts')
    follower = FindingsFollower(dispatcher, path)
    assert len(follower.poll(NOW_MS)) == 1
    assert follower.poll(NOW_MS) == []
    assert FindingsFollower(dispatcher, tmp_path / "missing.jsonl").poll(NOW_MS) == []


def test_a_replaced_findings_file_is_read_from_its_start(
        dispatcher: Dispatcher, make_finding: MakeFinding, tmp_path: Path) -> None:
    path = tmp_path / "findings.jsonl"
    JsonLinesSink(path).put([make_finding(f"hp-{i}") for i in range(3)])
    follower = FindingsFollower(dispatcher, path)
    assert len(follower.poll(NOW_MS)) == 3
    path.unlink()  # rotated: a new, shorter file
    JsonLinesSink(path).put([make_finding("hp-3")])
    [handled] = follower.poll(NOW_MS + 1)
    assert handled.created


def test_forewarn_detect_can_dispatch_in_process_and_send_at_once(
        make_finding: MakeFinding, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(tickets={"url": f"sqlite:///{tmp_path / 't.sqlite'}"},
                             dispatch={"labels_path": str(tmp_path / "labels.jsonl")})
    service = open_service(settings)
    seed(service.sessions, directory())
    sink = service.sink(clock=lambda: NOW_MS)
    assert isinstance(sink, FindingSink)
    sink.put([make_finding("hp-2")])
    service.close()
    assert sink.handled[0].booking_id is not None
    assert "--- message to c2 [sv] ---" in capsys.readouterr().out
