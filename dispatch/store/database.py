"""Connecting to the ticket database and migrating it (Alembic, run at start)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dispatch.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
F = TypeVar("F", bound=Callable[..., Any])
_LOCK_ID = 0x466F72657761726E  # "Forewarn": serialises migrations of several processes


def connect(url: str) -> Engine:
    """An engine for ``url`` (sqlite:///path or postgresql+psycopg://...)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use ticket database {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    return engine


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy own SQLite transactions (savepoints work) and take the write lock at
    BEGIN, so check-then-insert steps of several processes on one file are serialised."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config() -> Config:
    """Alembic's configuration for the ticket database's migrations (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migration_lock(conn: Connection) -> None:
    """Serialise schema changes of several processes (PostgreSQL; SQLite locks the file)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_ID})


def migrate(engine: Engine) -> str | None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            migration_lock(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the ticket database {engine.url!r}: {exc}") from exc
    return current_revision(engine)


def translate_errors(what: str) -> Callable[[F], F]:
    """Decorate a public operation so that database errors (other than the integrity
    errors callers retry on) leave it as :class:`StoreError`, naming ``what`` failed."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except IntegrityError:
                raise
            except SQLAlchemyError as exc:
                raise StoreError(f"{what}: the ticket database failed: {exc}") from exc

        return cast(F, inner)

    return wrap


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
