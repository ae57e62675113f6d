"""The outcome labels dispatch writes, as detect reads them: one bad line hides no other."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from detect.labels import Label, LabelError, fault_spans, parse_label, read_labels, sound_since

GOOD = ('{"device_id":"hp-1","problem":"machine","fault":"compressor_wear","sensor":null,'
        '"label":"no_fault","cause":null,"start_ms":1000,"end_ms":5000,"ticket_id":7,'
        '"suppress_until_ms":9000}')


def test_a_label_line_as_dispatch_writes_it() -> None:
    assert parse_label(GOOD) == Label("hp-1", "machine", "no_fault", 1000, 5000)


@pytest.mark.parametrize(("line", "says"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"device_id":"hp-1","problem":"machine","label":"no_fault"}', "missing start_ms, end_ms"),
    (GOOD.replace('"no_fault"', '"fixed"'), "'fixed' is not one of fault, no_fault, cleared"),
    (GOOD.replace('"start_ms":1000', '"start_ms":"soon"'), "must be integers"),
    (GOOD.replace('"end_ms":5000', '"end_ms":10'), "before start_ms"),
])
def test_a_line_that_is_not_a_label_says_what_is_wrong(line: str, says: str) -> None:
    with pytest.raises(LabelError, match=says):
        parse_label(line)


def test_the_file_is_read_by_device_and_bad_lines_are_skipped_with_their_number(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join([GOOD, "{broken", "",
                               GOOD.replace("hp-1", "hp-2").replace("no_fault", "fault")]) + "\n",
                    encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="detect.labels"):
        labels = read_labels(path)
    assert sorted(labels) == ["hp-1", "hp-2"]
    assert labels["hp-2"][0].label == "fault"
    assert "line 2 skipped" in caplog.text
    assert read_labels(tmp_path / "none-yet.jsonl") == {} and read_labels(None) == {}


def test_which_labels_rebaseline_and_which_spans_are_never_learnt() -> None:
    sound = Label("hp-1", "machine", "no_fault", 1000, 5000)
    sensor = Label("hp-1", "sensors", "no_fault", 1000, 6000)
    silent = Label("hp-1", "connectivity", "no_fault", 1000, 8000)
    fixed = Label("hp-1", "machine", "fault", 2000, 3000)
    assert sound_since([sound, sensor, silent, fixed], 0) == 6000
    assert sound_since([sound], 5000) is None  # closed before the current baseline
    assert sound_since([silent, fixed], 0) is None
    assert fault_spans([sound, fixed]) == [(2000, 3000)]
