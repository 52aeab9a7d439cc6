"""The alert tables: an alert (one open per group) with its escalation, members and log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.storage.models import Base, BigId, Json, UTCDateTime

# Alert status, as the sender sees it, and our escalation state.
FIRING, ACKNOWLEDGED, RESOLVED = "firing", "acknowledged", "resolved"
ACTIVE, STOPPED, EXHAUSTED, SILENT = "active", "stopped", "exhausted", "silent"


def _now() -> datetime:
    return datetime.now(UTC)


class Alert(Base):
    """An alert group while it fires; ``open_key`` is set until it resolves (one open per key)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration: Mapped[str] = mapped_column(String(16))
    dedup_key: Mapped[str] = mapped_column(String(80), index=True)
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    group_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=FIRING)
    severity: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(400))
    origin: Mapped[str] = mapped_column(String(80))
    labels: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    channel: Mapped[str] = mapped_column(String(8))
    policy: Mapped[str] = mapped_column(String(40))
    chain: Mapped[list[str]] = mapped_column(Json, default=list)
    round: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    escalation: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[AlertMember]] = relationship(
        order_by="AlertMember.id", viewonly=True)
    log: Mapped[list[AlertLogEntry]] = relationship(
        order_by="AlertLogEntry.id", viewonly=True)

    @property
    def person(self) -> str | None:
        """Who the escalation is at (or ended at)."""
        return self.chain[self.step] if 0 <= self.step < len(self.chain) else None


class AlertMember(Base):
    """One alert of the group, by the sender's fingerprint."""

    __tablename__ = "alert_members"
    __table_args__ = (UniqueConstraint("alert_id", "fingerprint",
                                       name="uq_alert_members_alert_id_fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    starts_at: Mapped[str | None] = mapped_column(String(40))
    ends_at: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class AlertLogEntry(Base):
    """What happened to an alert: opened, paged, escalated, acknowledged, resolved ..."""

    __tablename__ = "alert_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    kind: Mapped[str] = mapped_column(String(24))
    person: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(500), default="")
