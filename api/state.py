"""Everything the routes share, built once by :func:`api.create_app` from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.metrics import Metrics
from api.ratelimit import RateLimiter
from config import Settings
from dispatch.dispatcher import Dispatcher
from ingest.store.base import TelemetryStore

Clock = Callable[[], int]


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
    closed: list[bool] = field(default_factory=list)

    def close(self) -> None:
        if self.closed:
            return
        self.closed.append(True)
        if self.owns_telemetry:
            self.telemetry.close()
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()
