"""Each call's fold token: which rebuild wrote its rows, so a worker trusts what it folded
before without reading the call's events (decision 0020).

A rebuild writes a fresh random token; a worker that folded the call last knows its token, any
other sees another and rebuilds from the events. Rows written before this revision get 0 (no
worker's); a row the lock created and no rebuild wrote yet has none (NULL: no events stored).
Changing or deleting an event by hand sets its call's token to 0.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE FUNCTION events_changed_by_hand() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calls SET fold_token = 0 WHERE call_sid = OLD.call_sid;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.add_column("calls", sa.Column("fold_token", sa.BigInteger(), server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("calls", "fold_token", server_default=None)
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER events_changed_by_hand AFTER UPDATE OR DELETE ON events"
                   " FOR EACH ROW EXECUTE FUNCTION events_changed_by_hand()")
    else:  # SQLite keeps the default: a row written without a token is no worker's
        for change in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_{change.lower()}d_by_hand AFTER {change} ON events"
                       " BEGIN UPDATE calls SET fold_token = 0 WHERE call_sid = OLD.call_sid;"
                       " END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_changed_by_hand ON events")
        op.execute("DROP FUNCTION events_changed_by_hand()")
    else:
        for change in ("update", "delete"):
            op.execute(f"DROP TRIGGER events_{change}d_by_hand")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("fold_token")
