"""Pure batching: what is waiting to be written, and when to write it.

No clock is read here: callers pass monotonic seconds in, so the decisions are
tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.deadletter import DeadLetter
from ingest.mqtt import Message
from ingest.records import Batch
from ingest.validate import Parsed


@dataclass(frozen=True, slots=True)
class FlushPolicy:
    """Write when any limit is reached.

    - ``batch_size`` readings are waiting;
    - ``max_messages`` messages are unacknowledged: the broker sends no more until we ack;
    - the oldest waiting message is ``flush_interval`` seconds old;
    - nothing has arrived for ``linger`` seconds (the stream paused: don't sit on data).
    """

    batch_size: int = 5000
    max_messages: int = 10_000
    flush_interval: float = 1.0
    linger: float = 0.02

    def due(self, pending: Pending, now: float) -> bool:
        if not pending.messages:
            return False
        return (len(pending.batch.readings) >= self.batch_size
                or len(pending.messages) >= self.max_messages
                or now - pending.first_at >= self.flush_interval
                or now - pending.last_at >= self.linger)

    def wait(self, pending: Pending, now: float) -> float:
        """Seconds until :meth:`due` can next become true without new messages."""
        if not pending.messages:
            return self.flush_interval
        deadline = min(pending.first_at + self.flush_interval, pending.last_at + self.linger)
        return max(0.0, deadline - now)


@dataclass(slots=True)
class Pending:
    """Messages received but not yet acknowledged, with what they yielded."""

    messages: list[Message] = field(default_factory=list)
    batch: Batch = field(default_factory=Batch)
    letters: list[DeadLetter] = field(default_factory=list)
    first_at: float = 0.0
    last_at: float = 0.0

    def add(self, message: Message, parsed: Parsed, now: float) -> None:
        if not self.messages:
            self.first_at = now
        self.last_at = now
        self.messages.append(message)
        self.batch.extend(parsed.batch)
        self.letters.extend(
            DeadLetter(message.received_ms, message.topic, r.reason.value, r.detail, r.raw)
            for r in parsed.rejections)

    def take(self) -> Pending:
        """Hand over everything waiting and start empty."""
        taken = Pending(self.messages, self.batch, self.letters, self.first_at, self.last_at)
        self.messages, self.batch, self.letters = [], Batch(), []
        return taken
