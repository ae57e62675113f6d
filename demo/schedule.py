"""The detectors' schedule on simulated time (pure).

The demo's jobs (quick, score, retrain, and dispatch's sweep) run at their cadences
of *simulated* time, once the telemetry up to that moment is stored, instead of on
the wall clock as APScheduler does in production: a month passes in minutes, and every
run sees exactly the history it would have seen live.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

#: When several jobs fall due at once: train first, then look, then tidy up.
ORDER = ("retrain", "quick", "score", "sweep")


@dataclass
class SimSchedule:
    """Each job every ``intervals[job]`` ms of simulated time, first at ``start_ms``."""

    intervals: Mapping[str, int]
    start_ms: int
    next_due: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for job, every in self.intervals.items():
            if every <= 0:
                raise ValueError(f"job {job!r}: interval must be positive, not {every}")
            self.next_due.setdefault(job, self.start_ms)

    def peek(self) -> tuple[int, str]:
        """The next run (its simulated time and job), without taking it."""
        rank = {job: ORDER.index(job) if job in ORDER else len(ORDER) for job in self.intervals}
        job = min(self.next_due, key=lambda j: (self.next_due[j], rank[j]))
        return self.next_due[job], job

    def take(self) -> tuple[int, str]:
        """The next run, moving its job on by one interval."""
        at, job = self.peek()
        self.next_due[job] = at + self.intervals[job]
        return at, job

    def due(self, until_ms: int) -> Iterator[tuple[int, str]]:
        """The runs due up to ``until_ms`` (inclusive), oldest first, each only once."""
        while self.intervals and self.peek()[0] <= until_ms:
            yield self.take()
