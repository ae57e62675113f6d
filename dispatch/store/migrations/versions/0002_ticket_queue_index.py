"""tickets: an index in the queue's order (status, escalated, points, oldest, id)

The planner's queue (``GET /api/v1/tickets``, worst first) reads its page straight off
this index: no sort of all open tickets per request, and a later page by cursor starts
where the last one ended.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_queue", "tickets",
                    ["status", sa.text("escalated DESC"), sa.text("priority_score DESC"),
                     "opened_ms", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tickets_queue", table_name="tickets")
