"""Engineer accounts: an account may belong to a person id of the configuration.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("person_id", sa.String(40), nullable=True))


def downgrade() -> None:
    # Engineers have no meaning without their person: they go, with their tokens.
    op.execute(sa.text("DELETE FROM api_tokens WHERE user_id IN "
                       "(SELECT id FROM users WHERE role = 'engineer')"))
    op.execute(sa.text("DELETE FROM users WHERE role = 'engineer'"))
    # SQLite drops a column in place (3.35+): no rebuild, so the tokens' cascade never fires.
    op.drop_column("users", "person_id")
