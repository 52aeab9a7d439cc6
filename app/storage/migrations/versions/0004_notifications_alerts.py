"""Notifications (SMS, e-mail, alert calls) and alerts with their members and log.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    _notifications()
    _alerts()
    op.create_table(
        "alert_members",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("annotations", JSON, nullable=False),
        sa.Column("starts_at", sa.String(40)),
        sa.Column("ends_at", sa.String(40)),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_members"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name="fk_alert_members_alert_id_alerts"),
        sa.UniqueConstraint("alert_id", "fingerprint",
                            name="uq_alert_members_alert_id_fingerprint"),
    )
    op.create_table(
        "alert_log",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", BIG_ID, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("person", sa.String(64)),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_log"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name="fk_alert_log_alert_id_alerts"),
    )
    op.create_index("ix_alert_log_alert_id", "alert_log", ["alert_id"])


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(120)),
        sa.Column("provider_status", sa.String(20)),
        sa.Column("error_code", sa.Integer()),
        sa.Column("error", sa.String(500)),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("subject", "kind", "recipient", "channel",
                            name="uq_notifications_subject"),
    )
    op.create_index("ix_notifications_status", "notifications", ["status"])


def _alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(80), nullable=False),
        sa.Column("open_key", sa.String(80)),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("summary", sa.String(400), nullable=False),
        sa.Column("origin", sa.String(80), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("policy", sa.String(40), nullable=False),
        sa.Column("chain", JSON, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("escalation", sa.String(16), nullable=False),
        sa.Column("next_step_at", WHEN),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("acknowledged_at", WHEN),
        sa.Column("acknowledged_by", sa.String(80)),
        sa.Column("resolved_at", WHEN),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("open_key", name="uq_alerts_open_key"),
    )
    op.create_index("ix_alerts_dedup_key", "alerts", ["dedup_key"])
    op.create_index("ix_alerts_opened_at", "alerts", ["opened_at"])


def downgrade() -> None:
    op.drop_table("alert_log")
    op.drop_table("alert_members")
    op.drop_index("ix_alerts_opened_at", table_name="alerts")
    op.drop_index("ix_alerts_dedup_key", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_notifications_status", table_name="notifications")
    op.drop_table("notifications")
