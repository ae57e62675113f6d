"""Alembic environment: migrations run on the connection :func:`dispatch.store.migrate` passes."""

from __future__ import annotations

from alembic import context

from dispatch.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through dispatch.store.migrate(engine)")
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
