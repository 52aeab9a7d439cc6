"""Waiting calls: the follow-up queue as a table, filled from the calls and the follow-ups, so
the console's count reads what waits instead of every missed call (decision 0021).

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The missed outcomes as this revision knows them (app.storage.waiting.MISSED_OUTCOMES).
MISSED = ("voicemail", "abandoned", "callback")


def upgrade() -> None:
    op.create_table(
        "waiting_calls",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("call_sid", name="pk_waiting_calls"),
    )
    calls = sa.table("calls", sa.column("call_sid"), sa.column("started_at"),
                     sa.column("outcome"))
    follow_ups = sa.table("follow_ups", sa.column("call_sid"))
    waiting = sa.table("waiting_calls", sa.column("call_sid"), sa.column("started_at"))
    handled = sa.exists().where(follow_ups.c.call_sid == calls.c.call_sid)
    missed = (sa.select(calls.c.call_sid, calls.c.started_at)
              .where(calls.c.outcome.in_(MISSED), ~handled))
    op.execute(waiting.insert().from_select(["call_sid", "started_at"], missed))
    op.create_index("ix_waiting_calls_started_at", "waiting_calls", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_waiting_calls_started_at", table_name="waiting_calls")
    op.drop_table("waiting_calls")
