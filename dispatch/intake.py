"""Where findings enter dispatch.

- :class:`DispatchSink` is a detect :class:`~detect.sink.FindingSink`: ``forewarn detect``
  hands findings straight to a dispatcher in the same process.
- :class:`FindingsFollower` follows the JSON-lines file detect's ``JsonLinesSink``
  writes (``forewarn dispatch run``), remembering how far it has read in the ticket
  database, so a restart resumes where it stopped. Findings are idempotent anyway
  (their id is a key): reading one twice changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from detect.findings import Finding
from dispatch.dispatcher import Dispatcher, Handled
from dispatch.errors import IntakeError
from dispatch.outbox import Outbox
from dispatch.store import tables as t
from dispatch.store import translate_errors

log = logging.getLogger(__name__)
Clock = Callable[[], int]


class DispatchSink:
    """A FindingSink that dispatches each finding at ``clock()`` (Unix ms) and, given the
    outbox, sends what that announced right away."""

    def __init__(self, dispatcher: Dispatcher, clock: Clock, outbox: Outbox | None = None,
                 keep: int = 1000) -> None:
        self.dispatcher, self.clock, self.outbox = dispatcher, clock, outbox
        self.handled: deque[Handled] = deque(maxlen=keep)

    def put(self, findings: Sequence[Finding]) -> None:
        now = self.clock()
        self.handled.extend(self.dispatcher.handle_many(findings, now))
        if self.outbox is not None:
            self.outbox.deliver_due(now)

    def close(self) -> None:
        pass


class FindingsFollower:
    """Reads new complete lines of a findings file and dispatches them."""

    def __init__(self, dispatcher: Dispatcher, path: Path) -> None:
        self.dispatcher, self.path = dispatcher, Path(path)
        self._key = str(self.path.resolve())

    def _offset(self) -> int:
        with self.dispatcher.sessions() as s:
            row = s.get(t.IntakeOffset, self._key)
            return row.offset if row else 0

    @translate_errors("following the findings file")
    def poll(self, now_ms: int) -> list[Handled]:
        """Dispatch the findings appended since the last poll."""
        offset = self._offset()
        replaced = False
        try:
            with self.path.open("rb") as fh:
                if fh.seek(0, 2) < offset:  # the file was replaced: start again
                    offset, replaced = 0, True
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise IntakeError(f"cannot read findings file {self.path}: {exc}") from exc
        end = data.rfind(b"\n") + 1  # a half-written last line waits for the next poll
        handled: list[Handled] = []
        for number, line in enumerate(data[:end].splitlines(), 1):
            if not line.strip():
                continue
            try:
                finding = Finding.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                log.error("%s: skipping malformed finding (line %d after byte %d): %s",
                          self.path, number, offset, exc)
                continue
            handled.append(self.dispatcher.handle(finding, now_ms))
        if end:
            self._save(offset + end, replaced)
        return handled

    def _save(self, offset: int, replaced: bool) -> None:
        """Remember ``offset``; never move back behind another follower of the same file
        (unless the file was replaced)."""
        try:
            with self.dispatcher.sessions.begin() as s:
                row = s.get(t.IntakeOffset, self._key, with_for_update=True)
                if row is None:
                    s.add(t.IntakeOffset(path=self._key, offset=offset))
                else:
                    row.offset = offset if replaced else max(row.offset, offset)
        except IntegrityError:  # another dispatcher recorded the file first: retry once
            with self.dispatcher.sessions.begin() as s:
                row = s.get(t.IntakeOffset, self._key, with_for_update=True)
                if row is not None:
                    row.offset = max(row.offset, offset)
