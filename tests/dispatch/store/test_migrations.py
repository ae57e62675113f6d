"""The schema comes from the Alembic migrations, matches the models and enforces the
invariants itself (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from dispatch.errors import StoreError
from dispatch.store import connect, current_revision, head_revision, migrate, session_factory
from dispatch.store import tables as t


def test_migrating_twice_is_harmless_and_reaches_head(empty_database_url: str) -> None:
    engine = connect(empty_database_url)
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision() == current_revision(engine)
    engine.dispose()


def test_the_models_match_the_migrated_schema(empty_database_url: str) -> None:
    engine = connect(empty_database_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), t.Base.metadata)
    engine.dispose()
    assert diff == []


def _ticket(device: str, status: str = "open") -> t.Ticket:
    return t.Ticket(device_id=device, problem="low_flow", status=status, action="visit",
                    action_reason="", priority_score=1.0, priority_level="P3", priority={},
                    diagnosis={}, skill="s", parts=[], context={}, finding_count=1,
                    first_finding_ms=0, last_finding_ms=0, opened_ms=0, updated_ms=0,
                    escalated=False)


def test_the_database_refuses_a_second_open_ticket_for_one_problem(empty_database_url: str) -> None:
    engine = connect(empty_database_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        s.add_all([_ticket("hp-1"), _ticket("hp-1", "closed"), _ticket("hp-1", "closed")])
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(_ticket("hp-1"))
    engine.dispose()


def test_the_database_refuses_to_double_book_a_technician(empty_database_url: str) -> None:
    engine = connect(empty_database_url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as s:
        s.add(t.TechnicianRow(id="t1", name="T", skills=["x"], region="r", workdays=[0]))
        s.add_all([_ticket("hp-1"), _ticket("hp-2")])
    with sessions.begin() as s:
        s.add(t.Booking(ticket_id=1, technician_id="t1", start_ms=0, end_ms=1, created_ms=0,
                        status="cancelled"))
        s.add(t.Booking(ticket_id=1, technician_id="t1", start_ms=0, end_ms=1, created_ms=0))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(t.Booking(ticket_id=2, technician_id="t1", start_ms=0, end_ms=1, created_ms=0))
    engine.dispose()


def test_an_unreachable_database_is_reported_with_its_url() -> None:
    engine = connect("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreError, match=r"127\.0\.0\.1"):
        migrate(engine)
