"""Everything the routes share, built once by :func:`api.create_app` from the settings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.metrics import Metrics
from api.ratelimit import RateLimiter
from config import Settings
from dispatch.dispatcher import Dispatcher
from ingest.store.base import TelemetryStore

Clock = Callable[[], int]
T = TypeVar("T")
READ_SLOTS = 2


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]  # reads only: on SQLite, without taking the write lock
    dispatcher: Dispatcher
    telemetry: TelemetryStore
    clock: Clock
    signer: URLSafeTimedSerializer
    login_limiter: RateLimiter
    metrics: Metrics
    owns_telemetry: bool = True
    read_engine: Engine | None = None
    #: how many threads may run ticket-database reads at once (see :meth:`read`)
    read_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(READ_SLOTS))
    closed: list[bool] = field(default_factory=list)

    def read(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` on a read-only session, at most :data:`READ_SLOTS` at a time.

        On SQLite a read is Python and C in this process, not a wait on a server: eight
        threads reading at once only fight over the GIL (the slowest then waits for all the
        others' switches), while two at a time keep both cores busy and serve in order."""
        with self.read_slots, self.readers() as s:
            return work(s)

    def close(self) -> None:
        if self.closed:
            return
        self.closed.append(True)
        if self.owns_telemetry:
            self.telemetry.close()
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()
