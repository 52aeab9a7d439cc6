"""Console sessions: a random key per account, ids never reused, the browser of a failed sign-in.

On SQLite the users table is rebuilt with AUTOINCREMENT (only CREATE TABLE can say it). The
rebuild drops the old table, and with foreign keys on that deletes every API token through
ON DELETE CASCADE; the tokens are kept aside and put back. PostgreSQL's sequence never hands
out a number twice, so there only the column is added.

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-05
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
USERS = sa.table("users", sa.column("id"), sa.column("session_key"))
TOKENS = sa.table("api_tokens", sa.column("id"), sa.column("user_id"), sa.column("token_hash"),
                  sa.column("label"), sa.column("created_at", WHEN),
                  sa.column("last_used_at", WHEN))


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("users", sa.Column("session_key", sa.String(64), nullable=True))
    for user_id in bind.scalars(sa.select(USERS.c.id)).all():
        bind.execute(sa.update(USERS).where(USERS.c.id == user_id)
                     .values(session_key=secrets.token_urlsafe(24)))
    if bind.dialect.name == "sqlite":
        tokens = [dict(row) for row in bind.execute(sa.select(TOKENS)).mappings()]
        with op.batch_alter_table("users", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("session_key", existing_type=sa.String(64), nullable=False)
        bind.execute(sa.delete(TOKENS))  # none left when foreign keys are on; all, if off
        if tokens:
            bind.execute(sa.insert(TOKENS), tokens)
    else:
        op.alter_column("users", "session_key", existing_type=sa.String(64), nullable=False)
    op.add_column("login_failures", sa.Column("device", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("login_failures", "device")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        tokens = [dict(row) for row in bind.execute(sa.select(TOKENS)).mappings()]
        with op.batch_alter_table("users", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": False}) as batch:
            batch.drop_column("session_key")
        bind.execute(sa.delete(TOKENS))
        if tokens:
            bind.execute(sa.insert(TOKENS), tokens)
    else:
        op.drop_column("users", "session_key")
