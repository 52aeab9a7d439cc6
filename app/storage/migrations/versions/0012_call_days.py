"""The overview's figures of settled local days, one row per (time zone, day) (decision 0026).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Empty at first: the overview stores each settled day the first time it shows it.
    op.create_table(
        "call_days",
        sa.Column("zone", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False),
        sa.Column("figures", JSON, nullable=False),
    )
    # Forgetting the days a late event touches reads the few rows that end after it.
    op.create_index("ix_call_days_ends_at", "call_days", ["ends_at"])


def downgrade() -> None:
    op.drop_table("call_days")
