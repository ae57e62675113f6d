"""The private PostgreSQL answers SQL over a real loopback socket."""

from __future__ import annotations

import sqlalchemy as sa

from services import ServiceStack


def test_postgres_runs_sql_through_sqlalchemy_and_psycopg(service_stack: ServiceStack) -> None:
    engine = sa.create_engine(service_stack.postgres.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS probe (id int PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1) ON CONFLICT DO NOTHING"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 1
            version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        assert int(version.split(".")[0]) >= 13
    finally:
        engine.dispose()


def test_unique_constraint_is_enforced_by_the_database(service_stack: ServiceStack) -> None:
    """What 'one open ticket per device and problem' will rely on."""
    engine = sa.create_engine(service_stack.postgres.url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS uniq (k text UNIQUE)"))
            conn.execute(sa.text("DELETE FROM uniq"))
            conn.execute(sa.text("INSERT INTO uniq VALUES ('hp-1/leak')"))
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO uniq VALUES ('hp-1/leak')"))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a duplicate key was accepted")
    finally:
        engine.dispose()
