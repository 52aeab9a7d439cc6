"""Overrides (shift swaps) as runtime data.

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "overrides",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("rotation_id", sa.String(40), nullable=True),
        sa.Column("person", sa.String(40), nullable=False),
        sa.Column("start_at", WHEN, nullable=False),
        sa.Column("end_at", WHEN, nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_overrides"),
    )
    op.create_index("ix_overrides_start_at", "overrides", ["start_at"])
    op.create_index("ix_overrides_end_at", "overrides", ["end_at"])


def downgrade() -> None:
    op.drop_table("overrides")
