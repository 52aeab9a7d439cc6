"""Console indexes: a calls list by outcome or caller, the engineer filter, the follow-up count
and the latest handled follow-ups read an index instead of the whole log (decision 0021).

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-14
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_calls_outcome_started_at", "calls", ["outcome", "started_at", "call_sid"]),
    ("ix_calls_caller_started_at", "calls", ["caller", "started_at"]),
    ("ix_attempts_person_call_sid", "attempts", ["person", "call_sid"]),
    ("ix_follow_ups_handled_at", "follow_ups", ["handled_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
