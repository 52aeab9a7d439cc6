"""The follow-up queue as a table: one row per missed call nobody has marked handled.

Its size is the number of calls waiting, so the console's count and list cost what waits, not
the log (decision 0021). It is kept in the transactions that change it: the storing job's
rebuild of a call whose outcome became or stopped being a missed one, and marking a call
handled or putting it back. Both hold the call's row (PostgreSQL) or the database (SQLite), so
the follow-up and the queue cannot disagree when they meet.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from app.calls import events as ev
from app.calls.ledger import CallSummary
from app.storage.accounts import FollowUp
from app.storage.db import WRITE_LOCK
from app.storage.models import Base, Call, UTCDateTime

# Calls waiting for someone to call back: the follow-up queue ("missed" in the list's filter).
MISSED_OUTCOMES = (ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED, ev.OUTCOME_CALLBACK)


class WaitingCall(Base):
    """A missed call without a follow-up. Keyed by CallSid without a foreign key, like
    ``follow_ups``: the calls' rows are derived from the events."""

    __tablename__ = "waiting_calls"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The call's, kept with it: the follow-ups page lists the newest waiting off this index.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


WAITING: Table = WaitingCall.__table__  # type: ignore[assignment]
CALLS: Table = Call.__table__  # type: ignore[assignment]
FOLLOW_UPS: Table = FollowUp.__table__  # type: ignore[assignment]


def track_rebuilt(conn: Connection, summaries: Sequence[CallSummary],
                  written: Mapping[str, CallSummary]) -> None:
    """Enter or leave the queue for the rebuilt calls, after their rows are written.

    ``written``: the summaries the rows held before; a call whose missed-or-not and start did
    not change from it costs nothing, one whose previous rows are unknown a probe of this small
    table.
    """
    enter: list[str] = []
    leave: list[str] = []
    for summary in summaries:
        if summary.outcome is None:
            continue  # under way: never missed before either, as a call's events only grow
        missed = summary.outcome in MISSED_OUTCOMES
        before = written.get(summary.call_sid)
        if before is None or (before.outcome in MISSED_OUTCOMES) != missed:
            (enter if missed else leave).append(summary.call_sid)
        elif missed and before.started_at != summary.started_at:
            enter.append(summary.call_sid)  # an earlier event arrived late
    if enter:
        enter_queue(conn, enter)
    if leave:
        conn.execute(_leave_statement(), {"sids": leave})


def enter_queue(conn: Connection, call_sids: Sequence[str]) -> None:
    """Queue those of the calls whose outcome is missed and that have no follow-up, or give
    those queued already their start as the calls' rows have it now."""
    conn.execute(_enter_statement(conn.dialect.name), {"sids": list(call_sids)})


@functools.cache
def _leave_statement() -> Any:
    return delete(WAITING).where(WAITING.c.call_sid.in_(bindparam("sids", expanding=True)))


@functools.cache
def _enter_statement(dialect: str) -> Any:
    """Built once per dialect: the storing job runs it for every call that becomes missed."""
    handled = exists().where(FOLLOW_UPS.c.call_sid == CALLS.c.call_sid)
    missed = (select(CALLS.c.call_sid, CALLS.c.started_at)
              .where(CALLS.c.call_sid.in_(bindparam("sids", expanding=True)),
                     CALLS.c.outcome.in_(MISSED_OUTCOMES), ~handled))
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_into(WAITING).from_select(["call_sid", "started_at"], missed)
    return stmt.on_conflict_do_update(index_elements=["call_sid"],
                                      set_={"started_at": stmt.excluded.started_at})


def mark_handled(engine: Engine, call_sid: str, handled_by: str, at: datetime,
                 note: str | None) -> None:
    """Record the follow-up (the first one stays) and take the call out of the queue."""
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        _hold_call(conn, call_sid)
        if conn.scalar(select(FOLLOW_UPS.c.call_sid).where(FOLLOW_UPS.c.call_sid == call_sid)):
            return
        conn.execute(insert(FOLLOW_UPS).values(call_sid=call_sid, handled_at=at,
                                               handled_by=handled_by, note=note))
        conn.execute(delete(WAITING).where(WAITING.c.call_sid == call_sid))


def put_back(engine: Engine, call_sid: str) -> None:
    """Forget the follow-up; the call waits again if its outcome is a missed one."""
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        _hold_call(conn, call_sid)
        conn.execute(delete(FOLLOW_UPS).where(FOLLOW_UPS.c.call_sid == call_sid))
        enter_queue(conn, [call_sid])


def _hold_call(conn: Connection, call_sid: str) -> None:
    """Wait for a rebuild of the call to commit, and keep the next one waiting until this
    transaction does (on SQLite, BEGIN IMMEDIATE holds the whole database already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(CALLS.c.call_sid).where(CALLS.c.call_sid == call_sid)
                     .with_for_update()).all()


def waiting_count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(WAITING)) or 0)


def waiting_calls() -> Select[Call]:
    """The waiting calls, newest first: the queue's index read backwards, a call's row each."""
    return (select(Call).join(WaitingCall, WaitingCall.call_sid == Call.call_sid)
            .order_by(WaitingCall.started_at.desc()))

