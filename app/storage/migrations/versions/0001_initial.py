"""The call log: events, calls, attempts, voicemails.

Revision ID: 0001
Revises:
Create Date: 2027-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("key", name="uq_events_key"),
    )
    op.create_index("ix_events_call_sid", "events", ["call_sid"])
    op.create_table(
        "calls",
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(64)),
        sa.Column("hotline_number", sa.String(64)),
        sa.Column("contract", sa.String(64)),
        sa.Column("contract_name", sa.String(200)),
        sa.Column("started_at", WHEN),
        sa.Column("ended_at", WHEN),
        sa.Column("outcome", sa.String(16)),
        sa.Column("answered_by", sa.String(64)),
        sa.Column("time_to_answer_seconds", sa.Float()),
        sa.Column("identified_by", sa.String(16)),
        sa.PrimaryKeyConstraint("call_sid", name="pk_calls"),
    )
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_table(
        "attempts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(64)),
        sa.Column("number", sa.String(64)),
        sa.Column("leg_sid", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accept_key", sa.String(16)),
        sa.Column("ring_seconds", sa.Float()),
        sa.Column("talk_seconds", sa.Integer()),
        sa.Column("started_at", WHEN),
        sa.Column("ended_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.ForeignKeyConstraint(["call_sid"], ["calls.call_sid"], ondelete="CASCADE",
                                name="fk_attempts_call_sid_calls"),
        sa.UniqueConstraint("call_sid", "step", name="uq_attempts_call_sid_step"),
    )
    op.create_table(
        "voicemails",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("recording_sid", sa.String(64), nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("duration", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_voicemails"),
        sa.ForeignKeyConstraint(["call_sid"], ["calls.call_sid"], ondelete="CASCADE",
                                name="fk_voicemails_call_sid_calls"),
        sa.UniqueConstraint("call_sid", "recording_sid",
                            name="uq_voicemails_call_sid_recording_sid"),
    )


def downgrade() -> None:
    op.drop_table("voicemails")
    op.drop_table("attempts")
    op.drop_table("calls")
    op.drop_index("ix_events_call_sid", table_name="events")
    op.drop_table("events")
