"""Incident messages: what callers hear after the greeting while an outage is known.

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("contracts", JSON, nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("press_through", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("cleared_at", WHEN, nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("alert_key", sa.String(200), nullable=True),
    )
    op.create_index("ix_incidents_expires_at", "incidents", ["expires_at"])
    op.create_index("ix_incidents_alert_key", "incidents", ["alert_key"])


def downgrade() -> None:
    op.drop_table("incidents")
