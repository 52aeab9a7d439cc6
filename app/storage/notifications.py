"""The ``notifications`` table: every SMS, e-mail and alert call, once per subject and person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.models import Base, BigId, Json, UTCDateTime

# Lifecycle of a row: pending -> sending -> sent | failed; a transient error puts it back to
# pending for the job's next retry; "skipped" when the channel cannot be used (no SMTP server);
# "dropped" when an alert page was not sent because its alert was acknowledged or resolved.
PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
DROPPED = "dropped"


def _now() -> datetime:
    return datetime.now(UTC)


class Notification(Base):
    """One message to one person about one subject (a call, an alert page, a shift)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("subject", "kind", "recipient", "channel",
                         name="uq_notifications_subject"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(120))  # "call:CA..", "alert:7:r0s1", "shift:.."
    kind: Mapped[str] = mapped_column(String(24))  # voicemail, missed, missed-ring, shift, alert
    recipient: Mapped[str] = mapped_column(String(64))  # person id
    channel: Mapped[str] = mapped_column(String(8))  # sms, email, call
    address: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str | None] = mapped_column(String(120))  # SM/CA sid, Message-ID
    provider_status: Mapped[str | None] = mapped_column(String(20))  # an alert call's outcome
    error_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
