"""SQLAlchemy models of the admin console: accounts, API tokens, failed logins, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.models import Base, BigId, UTCDateTime


def _now() -> datetime:
    return datetime.now(UTC)


class User(Base):
    """A person who may sign in to the console: ``role`` is "admin" (edits), "viewer" (reads)
    or "engineer" (their own shifts, calls and allowance; ``person_id`` says who they are)."""

    __tablename__ = "users"
    # AUTOINCREMENT: SQLite would otherwise give a removed account's id to the next one.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    # Part of every session cookie: bumping it signs the user out everywhere at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # Also in every session cookie, random per account: no other account, not even a later
    # one with the same id or name, can match a cookie made for this one.
    session_key: Mapped[str] = mapped_column(String(64))
    # A person id of the configuration; set for engineers only. A string, not a foreign key:
    # people live in the hotline file, which can change without the database knowing.
    person_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed sign-in; recent ones decide how long the next attempt must wait."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    # The browser's id when it carried a device cookie for this username, else None.
    device: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FollowUp(Base):
    """A missed call or voicemail someone has dealt with.

    Keyed by CallSid without a foreign key: calls rows are derived from the events and may be
    rebuilt, and who handled a call must survive that.
    """

    __tablename__ = "follow_ups"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Indexed: the follow-ups page lists the latest handled (decision 0021).
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(200))
