"""Where findings go: the :class:`FindingSink` interface and two sinks.

Dispatch consumes findings; until it has its database sink, findings are written
as JSON lines (:class:`JsonLinesSink`, one finding per line, append-only, safe for
several ``forewarn detect`` processes on one file) or kept in memory
(:class:`MemorySink`, for tests and the evaluation).
"""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from detect.errors import SinkError
from detect.findings import Finding


@runtime_checkable
class FindingSink(Protocol):
    """Takes findings; ``put`` returns once they are handed on durably."""

    def put(self, findings: Sequence[Finding]) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Findings kept in a list (thread-safe)."""

    def __init__(self) -> None:
        self._items: list[Finding] = []
        self._lock = threading.Lock()

    def put(self, findings: Sequence[Finding]) -> None:
        with self._lock:
            self._items.extend(findings)

    @property
    def findings(self) -> list[Finding]:
        with self._lock:
            return list(self._items)

    def close(self) -> None:
        pass


class JsonLinesSink:
    """Findings appended to ``path`` as JSON lines, under an exclusive file lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"cannot create the folder for findings file {self.path}: {exc}"
                            ) from exc

    def put(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        text = "".join(json.dumps(f.to_dict(), separators=(",", ":")) + "\n" for f in findings)
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.write(text)
                fh.flush()
        except OSError as exc:
            raise SinkError(f"cannot append findings to {self.path}: {exc}") from exc

    def close(self) -> None:
        pass


class TeeSink:
    """A FindingSink handing every finding to several sinks in turn."""

    def __init__(self, *sinks: FindingSink) -> None:
        self.sinks = sinks

    def put(self, findings: Sequence[Finding]) -> None:
        for sink in self.sinks:
            sink.put(findings)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def read_findings(path: Path) -> Iterator[Finding]:
    """The findings in a JSON-lines file written by :class:`JsonLinesSink`, oldest first."""
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield Finding.from_dict(json.loads(line))
