"""When to write: by size, by unacknowledged messages, by age, or when the stream pauses."""

from __future__ import annotations

from ingest.batching import FlushPolicy, Pending
from ingest.contract import Channel
from ingest.mqtt import Message
from ingest.reading import Reading
from ingest.validate import Parsed, Reason, Rejection


def parsed(readings: int) -> Parsed:
    p = Parsed(Channel.TELEMETRY)
    p.batch.readings.extend(Reading("d", "s", i, i, "off", {}) for i in range(readings))
    return p


def pending_with(n_messages: int, readings_each: int, first: float, last: float) -> Pending:
    pending = Pending()
    for i in range(n_messages):
        pending.add(Message("t", b"", 0, i + 1, 1), parsed(readings_each),
                    first if i == 0 else last)
    return pending


POLICY = FlushPolicy(batch_size=100, max_messages=10, flush_interval=1.0, linger=0.02)


def test_nothing_waiting_is_never_due() -> None:
    assert not POLICY.due(Pending(), now=100.0)


def test_a_full_batch_is_due_at_once() -> None:
    assert POLICY.due(pending_with(2, 50, first=10.0, last=10.0), now=10.0)


def test_a_full_window_of_unacknowledged_messages_is_due_at_once() -> None:
    """The broker sends no more until we acknowledge: waiting would only stall."""
    assert POLICY.due(pending_with(10, 1, first=10.0, last=10.0), now=10.0)


def test_a_small_batch_waits_while_messages_keep_coming() -> None:
    assert not POLICY.due(pending_with(3, 1, first=10.0, last=10.5), now=10.51)


def test_a_small_batch_is_due_when_the_stream_pauses() -> None:
    assert POLICY.due(pending_with(3, 1, first=10.0, last=10.0), now=10.03)


def test_the_oldest_message_never_waits_longer_than_the_flush_interval() -> None:
    assert POLICY.due(pending_with(3, 1, first=10.0, last=10.999), now=11.0)


def test_wait_is_the_time_to_the_next_deadline() -> None:
    pending = pending_with(1, 1, first=10.0, last=10.0)
    assert abs(POLICY.wait(pending, now=10.005) - 0.015) < 1e-9
    assert POLICY.wait(Pending(), now=10.0) == 1.0


def test_take_hands_over_messages_readings_and_dead_letters_and_empties() -> None:
    pending = Pending()
    p = parsed(2)
    p.rejections.append(Rejection(Reason.WRONG_TYPE, "bad", b"{}", 2))
    pending.add(Message("forewarn/v1/s/d/telemetry", b"{}", 77, 1, 1), p, 1.0)
    taken = pending.take()
    assert (len(taken.messages), len(taken.batch.readings), len(taken.letters)) == (1, 2, 1)
    assert taken.letters[0].topic == "forewarn/v1/s/d/telemetry"
    assert taken.letters[0].received_ms == 77
    assert (len(pending.messages), len(pending.batch), len(pending.letters)) == (0, 0, 0)
