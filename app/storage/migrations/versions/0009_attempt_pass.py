"""Attempts: the pass through the chain each belongs to, and the number the engineer's phone showed.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("pass_number", sa.Integer(), nullable=False,
                                   server_default="1"))
        batch.add_column(sa.Column("caller_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("caller_id")
        batch.drop_column("pass_number")
