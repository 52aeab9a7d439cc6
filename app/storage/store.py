"""Storing the call log: raw events once by key, then each touched call's rows rebuilt from them."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.calls.ledger import CallSummary, parse_at, summarise
from app.storage.db import WRITE_LOCK, get_engine
from app.storage.models import Attempt, Call, EventRecord, Voicemail

log = logging.getLogger(__name__)

EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]
CALLS: Table = Call.__table__  # type: ignore[assignment]
ATTEMPTS: Table = Attempt.__table__  # type: ignore[assignment]
VOICEMAILS: Table = Voicemail.__table__  # type: ignore[assignment]
_INSERTS: dict[str, Callable[[Table], Any]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert,
}


def store_events(engine: Engine, events: Iterable[dict[str, Any]]) -> int:
    """Insert the events not stored yet, then rebuild the calls they belong to."""
    rows = _valid_rows(events)
    if not rows:
        return 0
    with engine.begin() as conn:
        ordered = sorted(rows.values(), key=lambda r: r["key"])  # one lock order for all workers
        inserted = len(conn.execute(_statements(conn)["events"], ordered).all())
    # Every call in the batch is rebuilt, not just those with new events: a retry of a job
    # that died between the two phases must still finish the rebuild.
    rebuild_calls(engine, {r["call_sid"] for r in rows.values()})
    return inserted


def rebuild_calls(engine: Engine, call_sids: Iterable[str] | None = None) -> int:
    """Derive the calls, attempts and voicemails rows again from the events (all if None)."""
    if call_sids is None:
        with engine.connect() as conn:
            call_sids = conn.scalars(select(EVENTS.c.call_sid).distinct()).all()
    locked = engine.execution_options(**{WRITE_LOCK: True})
    count = 0
    for call_sid in sorted(set(call_sids)):
        with locked.begin() as conn:
            _rebuild_call(conn, call_sid)
        count += 1
    return count


def _rebuild_call(conn: Connection, call_sid: str) -> None:
    lock_call(conn, call_sid)
    write_summary(conn, load_summary(conn, call_sid))


def lock_call(conn: Connection, call_sid: str) -> None:
    """Create the call's row if needed and hold it until the transaction ends.

    Rebuilds of one call take turns, and each reads the events after the previous one wrote:
    the last write reflects every stored event. On SQLite the transaction's BEGIN IMMEDIATE
    (see ``WRITE_LOCK``) already holds the whole database.
    """
    conn.execute(_statements(conn)["lock"], {"call_sid": call_sid})
    conn.execute(select(CALLS.c.call_sid).where(CALLS.c.call_sid == call_sid).with_for_update())


def load_summary(conn: Connection, call_sid: str) -> CallSummary:
    """The ledger's summary of the call's stored events."""
    stored = conn.execute(
        select(EVENTS.c.key, EVENTS.c.type, EVENTS.c.call_sid, EVENTS.c.at, EVENTS.c.data)
        .where(EVENTS.c.call_sid == call_sid)
    ).mappings()
    return summarise([dict(row) for row in stored])


def write_summary(conn: Connection, summary: CallSummary) -> None:
    """Upsert the call's row, its attempts and its voicemails."""
    call_sid = summary.call_sid
    statements = _statements(conn)
    call = dict(vars(summary))
    del call["attempts"], call["voicemails"]
    conn.execute(statements["calls"], call)
    # A step stored earlier can vanish from the summary (a dial the caller never heard).
    conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.call_sid == call_sid,
                                        ATTEMPTS.c.step.not_in([a.step for a in summary.attempts])))
    if summary.attempts:
        rows = [{"call_sid": call_sid, **vars(a)} for a in summary.attempts]
        conn.execute(statements["attempts"], rows)
    if summary.voicemails:
        rows = [{"call_sid": call_sid, **vars(v)} for v in summary.voicemails]
        conn.execute(statements["voicemails"], rows)


def _statements(conn: Connection) -> dict[str, Any]:
    try:
        return _dialect_statements(conn.dialect.name)
    except KeyError:
        name = conn.dialect.name
        raise RuntimeError(f"the call log supports SQLite and PostgreSQL, not {name}") from None


@functools.cache
def _dialect_statements(dialect: str) -> dict[str, Any]:
    """The dialect's INSERT ... ON CONFLICT statements, built once: building them is slow."""
    insert = _INSERTS[dialect]
    return {
        "events": insert(EVENTS).on_conflict_do_nothing(index_elements=["key"])
        .returning(EVENTS.c.id),
        "lock": insert(CALLS).on_conflict_do_nothing(),
        "calls": _upsert(insert(CALLS), ["call_sid"]),
        "attempts": _upsert(insert(ATTEMPTS), ["call_sid", "step"]),
        "voicemails": _upsert(insert(VOICEMAILS), ["call_sid", "recording_sid"]),
    }


def _upsert(stmt: Any, keys: list[str]) -> Any:
    changed = {
        column.name: stmt.excluded[column.name]
        for column in stmt.table.columns
        if column.name not in keys and not column.primary_key
    }
    return stmt.on_conflict_do_update(index_elements=keys, set_=changed)


class SynchronousSink:
    """Stores in the caller's thread, straight into the database (tests, CLI tools)."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url

    def emit(self, events: list[dict[str, Any]]) -> None:
        store_events(get_engine(self.database_url), events)

    def flush(self, timeout: float = 5.0) -> bool:
        return True


def _valid_rows(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows for the events table by key (first copy wins); malformed events are logged, dropped."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        try:
            row: dict[str, Any] = {
                "key": _text(event["key"], 255), "type": _text(event["type"], 40),
                "call_sid": _text(event["call_sid"], 64), "at": parse_at(event["at"]),
                "data": dict(event.get("data") or {}),
            }
        except (KeyError, TypeError, ValueError) as error:
            log.error("dropping malformed call event %r: %s", event, error)
            continue
        rows.setdefault(row["key"], row)
    return rows


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"expected a string of 1 to {limit} characters, got {value!r}")
    return value
