"""Overrides (shift swaps) in the database, and the in-memory copy the call path reads.

The live call path never waits on the database: it reads :class:`OverrideCache`, which a
background thread refreshes every few seconds and which keeps the last known state while the
database is unreachable.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, select
from sqlalchemy.orm import Session

from app.schedule import Override, OverrideIndex
from app.storage.models import OverrideRow
from app.storage.refreshing import BackgroundRefresh


def add_override(session: Session, rotation_id: str | None, person: str, start: datetime,
                 end: datetime, created_by: str | None = None, note: str | None = None,
                 created_at: datetime | None = None) -> OverrideRow:
    """Store an override; ``created_at`` defaults to the wall clock (the console passes its own)."""
    Override("new", rotation_id, person, start, end)  # validates: aware, end after start
    row = OverrideRow(rotation_id=rotation_id, person=person, start_at=start, end_at=end,
                      created_by=created_by, note=note,
                      created_at=created_at or datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


def list_overrides(session: Session, start: datetime | None = None,
                   end: datetime | None = None) -> list[OverrideRow]:
    query = select(OverrideRow).order_by(OverrideRow.start_at, OverrideRow.id)
    if start is not None:
        query = query.where(OverrideRow.end_at > start)
    if end is not None:
        query = query.where(OverrideRow.start_at < end)
    return list(session.scalars(query))


def delete_override(session: Session, override_id: int) -> bool:
    result = session.execute(delete(OverrideRow).where(OverrideRow.id == override_id))
    return cast(CursorResult[Any], result).rowcount > 0


def as_domain(row: OverrideRow) -> Override:
    return Override(str(row.id), row.rotation_id, row.person, row.start_at, row.end_at)


KEEP_PAST = timedelta(days=60)  # the calendar feeds look 30 days back


def load_index(engine: Engine, since: datetime | None = None) -> OverrideIndex:
    """The overrides that end after ``since`` (all if None), in creation order: a later one
    wins where two overlap."""
    query = select(OverrideRow).order_by(OverrideRow.id)
    if since is not None:
        query = query.where(OverrideRow.end_at > since)
    with Session(engine) as session:
        return OverrideIndex(as_domain(row) for row in session.scalars(query))


class OverrideCache(BackgroundRefresh):
    """The overrides as an :class:`OverrideIndex`, refreshed in the background."""

    thread_name = "override-cache"
    what = "overrides"

    def __init__(self, engine: Engine | None, refresh_seconds: float = 5.0) -> None:
        super().__init__(engine, refresh_seconds)
        self.index = OverrideIndex()
        self.loaded_at: float | None = None

    def load(self, engine: Engine) -> None:
        self.index = load_index(engine, datetime.now(UTC) - KEEP_PAST)
        self.loaded_at = time.monotonic()
