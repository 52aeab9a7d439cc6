"""SLA reports: how long each caller waited, whether the hotline was closed, an index per contract.

The two columns are derived from the events like the rest of a call's row, so existing calls
are filled by the ledger from their stored events, a batch of calls at a time.

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-07
"""

from __future__ import annotations

from itertools import islice

import sqlalchemy as sa
from alembic import op

from app.calls.ledger import summarise

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 500
CALLS = sa.table("calls", sa.column("call_sid"), sa.column("waited_seconds"),
                 sa.column("out_of_hours"))
EVENTS = sa.table("events", sa.column("key"), sa.column("type"), sa.column("call_sid"),
                  sa.column("at"), sa.column("data", sa.JSON()))


def upgrade() -> None:
    op.add_column("calls", sa.Column("waited_seconds", sa.Float(), nullable=True))
    op.add_column("calls", sa.Column("out_of_hours", sa.Boolean(), nullable=True))
    op.create_index("ix_calls_contract_started_at", "calls", ["contract", "started_at"])
    _fill_from_events(op.get_bind())


def _fill_from_events(bind: sa.Connection) -> None:
    sids = iter(bind.scalars(sa.select(CALLS.c.call_sid).order_by(CALLS.c.call_sid)).all())
    while batch := list(islice(sids, BATCH)):
        by_call: dict[str, list[dict[str, object]]] = {}
        rows = bind.execute(sa.select(EVENTS).where(EVENTS.c.call_sid.in_(batch))).mappings()
        for row in rows:
            by_call.setdefault(row["call_sid"], []).append(dict(row))
        for sid, events in by_call.items():
            summary = summarise(events)
            bind.execute(sa.update(CALLS).where(CALLS.c.call_sid == sid).values(
                waited_seconds=summary.waited_seconds, out_of_hours=summary.out_of_hours))


def downgrade() -> None:
    op.drop_index("ix_calls_contract_started_at", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("out_of_hours")
        batch.drop_column("waited_seconds")
