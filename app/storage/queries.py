"""Reads of the call log for the CLI and the admin pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.storage.models import Attempt, Call


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


def rings_of(session: Session, person: str, limit: int = 20) -> list[tuple[Attempt, Call]]:
    """The latest attempts that rang ``person``, each with its call, latest first."""
    stmt = (
        select(Attempt, Call)
        .join(Call, Attempt.call_sid == Call.call_sid)
        .where(Attempt.person == person)
        .order_by(Attempt.started_at.desc().nulls_last(), Attempt.id.desc())
        .limit(limit)
    )
    return [(attempt, call) for attempt, call in session.execute(stmt)]
