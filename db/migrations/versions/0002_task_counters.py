"""task counters: a task number is never given twice to a user

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
    if "task_counters" in sa.inspect(op.get_bind()).get_table_names():
        return  # made by `create_all` on a database that was not stamped
    op.create_table(
        "task_counters",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    # Existing users go on from their highest number (numbers of deleted tasks above it are
    # unknown, so the highest one still held is the best there is).
    op.execute(
        "INSERT INTO task_counters (user_id, last_number) "
        "SELECT user_id, MAX(number) FROM tasks GROUP BY user_id"
    )


def downgrade() -> None:
    op.drop_table("task_counters")
