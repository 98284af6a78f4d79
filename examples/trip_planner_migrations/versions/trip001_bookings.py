"""trip_bookings

Revision ID: trip001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "trip001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trip_bookings",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("flight", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index("ix_trip_bookings_user_id", "trip_bookings", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_trip_bookings_user_id", table_name="trip_bookings")
    op.drop_table("trip_bookings")
