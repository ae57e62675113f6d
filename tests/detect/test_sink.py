"""One contract over every finding sink: what goes in comes out, in order, complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from detect.detector import Evidence
from detect.diagnosis import Diagnosis
from detect.errors import SinkError
from detect.findings import Finding
from detect.sink import FindingSink, JsonLinesSink, MemorySink, TeeSink, read_findings


def _finding(i: int) -> Finding:
    return Finding(f"hp-{i}", 1_800_000_000_000 + i, "residual_ewma", 7.5, 5.0, ("flow_lpm",),
                   Diagnosis.of("low_flow", 0.9),
                   Evidence(("flow_lpm",), (1, 2), {"flow_lpm": [1.0, None]},
                            {"flow_lpm": [2.0, 2.0]}))


class _Sinks:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def memory(self) -> tuple[FindingSink, Callable[[], list[Finding]]]:
        sink = MemorySink()
        return sink, lambda: sink.findings

    def jsonl(self) -> tuple[FindingSink, Callable[[], list[Finding]]]:
        path = self.tmp / "out" / "findings.jsonl"
        return JsonLinesSink(path), lambda: list(read_findings(path))


@pytest.fixture(params=["memory", "jsonl"])
def sink(request: pytest.FixtureRequest, tmp_path: Path
         ) -> Iterator[tuple[FindingSink, Callable[[], list[Finding]]]]:
    made = getattr(_Sinks(tmp_path), request.param)()
    yield made
    made[0].close()


def test_a_sink_keeps_every_finding_in_order(sink) -> None:  # type: ignore[no-untyped-def]
    s, read = sink
    assert isinstance(s, FindingSink)
    s.put([_finding(1), _finding(2)])
    s.put([])
    s.put([_finding(3)])
    assert [f.device_id for f in read()] == ["hp-1", "hp-2", "hp-3"]
    assert read()[0] == _finding(1)


def test_an_unwritable_findings_file_is_a_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SinkError, match="findings"):
        JsonLinesSink(blocker / "sub" / "findings.jsonl")


def test_a_tee_hands_every_finding_to_each_sink_and_closes_them_all(tmp_path: Path) -> None:
    memory, lines = MemorySink(), JsonLinesSink(tmp_path / "findings.jsonl")
    tee = TeeSink(memory, lines)
    tee.put([_finding(1), _finding(2)])
    tee.close()
    assert memory.findings == [_finding(1), _finding(2)]
    assert list(read_findings(tmp_path / "findings.jsonl")) == memory.findings
