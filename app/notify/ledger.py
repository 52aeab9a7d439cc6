"""The notifications table as a ledger: record once, claim before sending, note the outcome.

A row is claimed (``pending`` -> ``sending``) by one job at a time; only a row whose claim is
older than ``LEASE`` (its worker died mid-send) can be claimed again. So a retried or duplicated
job sends nothing twice, except in the one case no ledger can rule out: a send that reached
the provider, then lost its answer (a read timeout), is retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.notify.delivery import Outgoing
from app.storage.notifications import (
    DROPPED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Notification,
)

LEASE = timedelta(minutes=5)
NOTIFICATIONS: Table = Notification.__table__  # type: ignore[assignment]
KEY = ("subject", "kind", "recipient", "channel")


def insert_for(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    dialect = conn.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def record(engine: Engine, items: Iterable[Outgoing], now: datetime) -> list[int]:
    """Store the items not stored yet; returns the ids of those (old or new) still pending."""
    rows = [{**vars(item), "status": PENDING, "attempts": 0, "created_at": now,
             "updated_at": now} for item in items]
    if not rows:
        return []
    keys = {tuple(row[k] for k in KEY) for row in rows}
    with engine.begin() as conn:
        conn.execute(insert_for(conn, NOTIFICATIONS).on_conflict_do_nothing(
            index_elements=list(KEY)), rows)
        found = conn.execute(
            select(NOTIFICATIONS.c.id, *(NOTIFICATIONS.c[k] for k in KEY))
            .where(NOTIFICATIONS.c.subject.in_({row["subject"] for row in rows}))
            .where(NOTIFICATIONS.c.status == PENDING)
            .order_by(NOTIFICATIONS.c.id)
        ).all()
    return [row.id for row in found if tuple(row[1:]) in keys]


def claim(engine: Engine, notification_id: int, now: datetime) -> Notification | None:
    """Take the row for sending; None when it is sent, failed, or another job holds it."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        taken = cast(CursorResult[Any], session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .where(or_(Notification.status == PENDING,
                       (Notification.status == SENDING) & (Notification.updated_at < now - LEASE)))
            .values(status=SENDING, attempts=Notification.attempts + 1, updated_at=now)
        )).rowcount
        return session.get(Notification, notification_id) if taken == 1 else None


def sent(engine: Engine, notification_id: int, provider_id: str, now: datetime) -> None:
    _set(engine, notification_id, status=SENT, provider_id=provider_id[:120], sent_at=now,
         updated_at=now, error=None, error_code=None)


def failed(engine: Engine, notification_id: int, error: str, code: int | None,
           now: datetime) -> None:
    _set(engine, notification_id, status=FAILED, error=error[:500], error_code=code,
         updated_at=now)


def retry_later(engine: Engine, notification_id: int, error: str, code: int | None,
                now: datetime) -> None:
    """Give the row back (``pending``) for the job's next try, keeping what went wrong."""
    _set(engine, notification_id, status=PENDING, error=error[:500], error_code=code,
         updated_at=now)


def skipped(engine: Engine, notification_id: int, reason: str, now: datetime) -> None:
    _set(engine, notification_id, status=SKIPPED, error=reason[:500], updated_at=now)


def dropped(engine: Engine, notification_id: int, reason: str, now: datetime) -> None:
    """Not sent, and never will be: what it was about is over (an acknowledged alert)."""
    _set(engine, notification_id, status=DROPPED, error=reason[:500], updated_at=now)


def call_status(engine: Engine, notification_id: int, status: str, now: datetime) -> None:
    """What became of an alert call (completed, no-answer, busy, failed ...)."""
    _set(engine, notification_id, provider_status=status[:20], updated_at=now)


def about(session: Session, subject_prefix: str) -> list[Notification]:
    """The notifications whose subject starts with ``subject_prefix``, oldest first."""
    prefix = Notification.subject.startswith(subject_prefix, autoescape=True)
    return list(session.scalars(select(Notification).where(prefix).order_by(Notification.id)))


def _set(engine: Engine, notification_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(NOTIFICATIONS).where(NOTIFICATIONS.c.id == notification_id)
                     .values(**values))
