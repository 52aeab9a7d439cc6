"""Reads of the call log for the CLI and the admin pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.storage.models import Call


def recent_calls(session: Session, limit: int = 20) -> list[Call]:
    """The latest calls first, each with its attempts loaded."""
    stmt = (
        select(Call)
        .options(selectinload(Call.attempts))
        .order_by(Call.started_at.desc().nulls_last(), Call.call_sid)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def call_with_attempts(session: Session, call_sid: str) -> Call | None:
    """One call with its attempts and voicemails loaded, or None."""
    stmt = (
        select(Call)
        .options(selectinload(Call.attempts), selectinload(Call.voicemails))
        .where(Call.call_sid == call_sid)
    )
    return session.scalars(stmt).one_or_none()
