"""Settled days of the overview, stored once: one row per (time zone, local day) in
``call_days`` holding that day's figures (app/storage/daily.py), so a 90-day overview reads
90 rows instead of aggregating every call of the period (decision 0026).

A day is settled when it ended more than ``SETTLED_AFTER`` ago by the app's clock and by the
wall clock. The first overview that shows a settled day aggregates and stores it; days not
settled are aggregated on every request by the same function. The storing job leaves the table
alone, except when it stores events of a call that started before the wall clock's last
``SETTLED_AFTER`` (late events, a replayed spool): then the rows of the days that call spans
are deleted, and the next overview aggregates them again. Filling and forgetting take one lock
(the database's write lock on SQLite, an advisory lock on PostgreSQL), so a day aggregated
before a late event cannot be stored after that event forgot it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, Engine, String, Table, delete, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.calls.fold import FoldedCall
from app.schedule.periods import day_start
from app.storage.daily import DayFigures, aggregate_days
from app.storage.db import WRITE_LOCK
from app.storage.models import Base, Json, UTCDateTime

SETTLED_AFTER = timedelta(hours=1)
FILL_DAYS = 7  # aggregated per transaction: at a million calls, about 0.2 s of lock
MOST_SPANS = 100  # of calls' times one DELETE names; more: everything from the first to the last
_LOCK_KEY = 0x686F746C696E6502  # PostgreSQL advisory lock of filling and forgetting days


class CallDay(Base):
    """The overview's figures of one local day of a time zone, [starts_at, ends_at) in UTC."""

    __tablename__ = "call_days"

    zone: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    figures: Mapped[dict[str, Any]] = mapped_column(Json)


DAYS: Table = CallDay.__table__  # type: ignore[assignment]


def figures_of_days(session: Session, tz: ZoneInfo, days: Sequence[date], now: datetime,
                    wall_now: datetime | None = None) -> list[DayFigures]:
    """The figures of each of ``days`` (consecutive, ascending) in ``tz``: stored for settled
    days (aggregated and stored first if missing), aggregated for the others."""
    bounds = [day_start(d, tz) for d in days] + [day_start(days[-1] + timedelta(days=1), tz)]
    cutoff = min(now, wall_now or datetime.now(UTC)) - SETTLED_AFTER
    settled = sum(1 for end in bounds[1:] if end <= cutoff)  # a prefix of the days
    found = _stored(session.connection(), tz.key, days[:settled])
    missing = [i for i in range(settled) if days[i] not in found]
    if missing:
        found |= _fill(session.get_bind(), tz.key, days, bounds, missing)
    live = aggregate_days(session.connection(), bounds[settled:]) if settled < len(days) else []
    return [found[d] for d in days[:settled]] + live


def _stored(conn: Connection, zone: str, days: Sequence[date]) -> dict[date, DayFigures]:
    if not days:
        return {}
    rows = conn.execute(select(DAYS.c.day, DAYS.c.figures).where(
        DAYS.c.zone == zone, DAYS.c.day >= days[0], DAYS.c.day <= days[-1]))
    return {day: DayFigures.from_json(figures) for day, figures in rows}


def _fill(bind: Any, zone: str, days: Sequence[date], bounds: Sequence[datetime],
          missing: Sequence[int]) -> dict[date, DayFigures]:
    """Aggregate the missing settled days (one pass per run of consecutive ones) and store
    them; a row another process stored meanwhile stays (it holds the same figures)."""
    out: dict[date, DayFigures] = {}
    for first, last in _runs(missing):
        with _locked(bind) as conn:
            aggregated = aggregate_days(conn, bounds[first:last + 2])
            rows = [{"zone": zone, "day": days[i], "starts_at": bounds[i], "ends_at": bounds[i + 1],
                     "figures": figures.as_json()} for i, figures in enumerate(aggregated, first)]
            conn.execute(_insert_ignoring(conn.dialect.name), rows)
        out |= {days[i]: figures for i, figures in enumerate(aggregated, first)}
    return out


def _runs(indexes: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive ``indexes`` (ascending), at most
    ``FILL_DAYS`` long: each is aggregated holding the lock the storing job waits for."""
    first = previous = indexes[0]
    for i in indexes[1:]:
        if i != previous + 1 or i - first == FILL_DAYS:
            yield first, previous
            first = i
        previous = i
    yield first, previous


def _insert_ignoring(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(DAYS).on_conflict_do_nothing(index_elements=["zone", "day"])


def forget_days_of(engine: Engine, calls: Iterable[FoldedCall],
                   wall_now: datetime | None = None) -> None:
    """Delete the stored days (of every time zone) that the events of ``calls``, just stored
    or rebuilt, span, if any of them can be settled: one statement. Nothing is read or written
    for recent calls, the storing job's usual ones."""
    cutoff = (wall_now or datetime.now(UTC)) - SETTLED_AFTER
    spans = sorted((c.log[0].at, c.log[-1].at) for c in calls if c.log and c.log[0].at < cutoff)
    if not spans:
        return
    merged = _merged(spans)
    if len(merged) > MOST_SPANS:
        merged = [(merged[0][0], max(last for _, last in merged))]
    with _locked(engine) as conn:
        conn.execute(delete(DAYS).where(or_(*(
            (DAYS.c.starts_at <= last) & (DAYS.c.ends_at > first) for first, last in merged))))


def _merged(spans: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted spans joined where they are less than a day apart (the rows are days: joining
    deletes at most a short day more)."""
    out = [spans[0]]
    for first, last in spans[1:]:
        if first - out[-1][1] < timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


@contextmanager
def _locked(bind: Any) -> Iterator[Connection]:
    with bind.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        yield conn
