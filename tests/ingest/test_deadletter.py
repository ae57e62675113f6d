"""The dead-letter store keeps raw payload, topic, time and reason, durably."""

from __future__ import annotations

from pathlib import Path

from ingest.deadletter import MAX_KEPT_BYTES, DeadLetter, DeadLetterStore


def test_letters_are_kept_with_topic_time_reason_and_raw_payload(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "dl.sqlite")
    store.put([DeadLetter(1, "t/a", "malformed_json", "not JSON", b"{bad"),
               DeadLetter(2, "t/b", "wrong_type", "seq", b'{"seq": "x"}')])
    store.close()
    again = DeadLetterStore(tmp_path / "dl.sqlite")
    newest = again.latest()
    assert [(d.received_ms, d.topic, d.reason, d.payload) for d in newest] == [
        (2, "t/b", "wrong_type", b'{"seq": "x"}'), (1, "t/a", "malformed_json", b"{bad")]
    assert again.counts() == {"malformed_json": 1, "wrong_type": 1}
    assert [d.topic for d in again.latest(reason="wrong_type")] == ["t/b"]


def test_a_huge_payload_is_cut_but_its_true_size_is_kept(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "dl.sqlite")
    store.put([DeadLetter(1, "t", "payload_too_large", "big", b"x" * (MAX_KEPT_BYTES * 3))])
    (letter,) = store.latest()
    assert len(letter.payload) == MAX_KEPT_BYTES
    assert letter.payload_size == MAX_KEPT_BYTES * 3
