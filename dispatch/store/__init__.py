"""The ticket database: tables, Alembic migrations, connecting."""

from dispatch.store.database import (
    connect,
    current_revision,
    head_revision,
    migrate,
    migration_lock,
    session_factory,
    translate_errors,
)

__all__ = ["connect", "current_revision", "head_revision", "migrate", "migration_lock",
           "session_factory",
           "translate_errors"]
