"""Fixtures for dispatch: a ticket database on SQLite and on a real PostgreSQL server,
findings of detect's real type, a seeded directory, and a fixed clock."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from config import DispatchSettings
from detect.detector import Evidence
from detect.diagnosis import Diagnosis
from detect.findings import Finding
from detect.ttf import FailureWindow
from dispatch.directory import CustomerSpec, DeviceSpec, Directory, SiteSpec, TechnicianSpec, seed
from dispatch.dispatcher import Dispatcher
from dispatch.forecast import FixedForecast
from dispatch.store import connect, migrate, session_factory
from dispatch.store.tables import Base
from services.postgres import PostgreSQL
from services.process import free_port

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: Monday 2026-01-19 06:00 UTC (07:00 in Stockholm): the tests' "now"
NOW_MS = 1_768_802_400_000

MakeFinding = Callable[..., Finding]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgreSQL]:
    """A private PostgreSQL server on a free loopback port for the whole session.

    Its data lives outside pytest's temporary folder: a concurrent pytest session resets
    that folder to mode 0700, which would lock the ``postgres`` user out when run as root.
    """
    workdir = Path(tempfile.mkdtemp(prefix="forewarn-dispatch-pg-"))
    server = PostgreSQL(workdir, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgreSQL) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: the same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tickets.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def _shared_postgres_url(postgres_server: PostgreSQL) -> str:
    """One migrated database the PostgreSQL tests share, emptied before each of them."""
    admin = create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "dispatch_shared"'))
    admin.dispose()
    url = postgres_server.url.rsplit("/", 1)[0] + "/dispatch_shared"
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with no rows: the same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tickets.sqlite'}"
        engine = connect(url)
        migrate(engine)
        engine.dispose()
        return url
    url = str(request.getfixturevalue("_shared_postgres_url"))
    engine = create_engine(url)
    names = ", ".join(f'"{name}"' for name in Base.metadata.tables)
    with engine.begin() as conn:
        conn.execute(text("SET lock_timeout = '20s'"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = connect(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def sqlite_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = connect(f"sqlite:///{tmp_path / 'tickets.sqlite'}")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def directory(n_sites: int = 4, region: str = "stockholm", technicians: int = 2) -> Directory:
    """``n_sites`` customers in one region (hp-0 is the sole heat source of a vulnerable
    household) and ``technicians`` F-gas refrigeration technicians there."""
    customers = [CustomerSpec(
        id=f"c{i}", name=f"Kund {i}", email=f"kund{i}@example.se", phone=f"+4670000000{i}",
        language="sv" if i % 2 == 0 else "en",
        sites=[SiteSpec(id=f"site-{i}", region=region, climate="stockholm",
                        heat_source_role="sole" if i == 0 else "hybrid", vulnerable=i == 0,
                        devices=[DeviceSpec(id=f"hp-{i}", model="AW-8")])])
        for i in range(n_sites)]
    techs = [TechnicianSpec(id=f"t{k}", name=f"Tekniker {k}", region=region,
                            skills=["refrigeration technician (F-gas certified)",
                                    "heat-pump technician", "electrician"])
             for k in range(technicians)]
    return Directory(customers=customers, technicians=techs)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    seed(sessions, directory())
    return sessions


@pytest.fixture
def dispatch_settings(tmp_path: Path) -> DispatchSettings:
    return DispatchSettings(webhook_urls=("http://127.0.0.1:9/hook",), channels=("console",),
                            labels_path=tmp_path / "labels.jsonl")


@pytest.fixture
def dispatcher(seeded: sessionmaker[Session], dispatch_settings: DispatchSettings) -> Dispatcher:
    return Dispatcher(seeded, dispatch_settings, FixedForecast(-12.0))


def finding(device_id: str = "hp-0", fault: str = "refrigerant_leak", *, ts_ms: int = NOW_MS,
            confidence: float = 0.85, fails_in_h: float | None = 96.0,
            detector: str = "residual", sensor: str | None = None) -> Finding:
    """A finding of detect's real type, with evidence and (optionally) a failure window."""
    diagnosis = Diagnosis.of(fault, confidence, sensor)
    times = tuple(ts_ms - k * HOUR_MS for k in (3, 2, 1, 0))
    evidence = Evidence(("subcooling",), times, {"subcooling": [4.1, 3.6, 3.0, 2.4]},
                        {"subcooling": [5.0, 5.0, 5.1, 5.0]})
    window = None
    if fails_in_h is not None:
        expected = ts_ms + int(fails_in_h * HOUR_MS)
        window = FailureWindow(expected, expected - int(fails_in_h * HOUR_MS / 3),
                               expected + int(fails_in_h * HOUR_MS / 2), "subcooling", 0.45, 0.8)
    return Finding(device_id, ts_ms, detector, 5.2, 3.0, ("subcooling",), diagnosis, evidence,
                   window)


@pytest.fixture
def make_finding() -> MakeFinding:
    return finding
