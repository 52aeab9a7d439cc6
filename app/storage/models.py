"""SQLAlchemy models of the call log: the raw events and the calls, attempts, voicemails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, also on SQLite, which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the call log stores UTC instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EventRecord(Base):
    """One event as the web tier emitted it; written once, never changed."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(Json)


class Call(Base):
    __tablename__ = "calls"
    # A contract's calls of a period (SLA reports) without reading anyone else's; the console's
    # filters by outcome (and the follow-up queue) and by caller likewise (decision 0021).
    __table_args__ = (Index("ix_calls_contract_started_at", "contract", "started_at"),
                      # call_sid too: the follow-up count reads this index alone.
                      Index("ix_calls_outcome_started_at", "outcome", "started_at", "call_sid"),
                      Index("ix_calls_caller_started_at", "caller", "started_at"))

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str | None] = mapped_column(String(64))
    hotline_number: Mapped[str | None] = mapped_column(String(64))
    contract: Mapped[str | None] = mapped_column(String(64))
    contract_name: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    time_to_answer_seconds: Mapped[float | None] = mapped_column(Float)
    identified_by: Mapped[str | None] = mapped_column(String(16))
    # Until the accept key, the voicemail or hanging up (see app.calls.ledger).
    waited_seconds: Mapped[float | None] = mapped_column(Float)
    # The caller heard that the hotline was closed for their contract.
    out_of_hours: Mapped[bool | None] = mapped_column(Boolean)
    # Which rebuild wrote the row: 0 none known, NULL none yet (migration 0013, decision 0020).
    fold_token: Mapped[int | None] = mapped_column(BigInteger)

    attempts: Mapped[list[Attempt]] = relationship(
        order_by="Attempt.step", back_populates="call", viewonly=True
    )
    voicemails: Mapped[list[Voicemail]] = relationship(
        order_by="Voicemail.id", back_populates="call", viewonly=True
    )


class Attempt(Base):
    """One dial step of a call: who was rung, and what came of it."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("call_sid", "step", name="uq_attempts_call_sid_step"),
                      # The calls an engineer was rung for (the console's engineer filter).
                      Index("ix_attempts_person_call_sid", "person", "call_sid"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_sid: Mapped[str] = mapped_column(ForeignKey("calls.call_sid", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    person: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    leg_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    accept_key: Mapped[str | None] = mapped_column(String(16))
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pass_number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    caller_id: Mapped[str | None] = mapped_column(String(64))

    call: Mapped[Call] = relationship(back_populates="attempts", viewonly=True)


class Voicemail(Base):
    __tablename__ = "voicemails"
    __table_args__ = (
        UniqueConstraint("call_sid", "recording_sid", name="uq_voicemails_call_sid_recording_sid"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_sid: Mapped[str] = mapped_column(ForeignKey("calls.call_sid", ondelete="CASCADE"))
    recording_sid: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(500))
    duration: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))

    call: Mapped[Call] = relationship(back_populates="voicemails", viewonly=True)


class OverrideRow(Base):
    """A shift swap: ``person`` covers ``rotation_id`` (every rotation if null) in [start, end)."""

    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rotation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    person: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))
