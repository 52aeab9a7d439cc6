"""Storing the call log: raw events once by key, then each touched call's rows rebuilt from them."""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, select

from app.calls.fold import FoldedCall
from app.calls.ledger import CallSummary, parse_at, summarise
from app.storage import fold_cache
from app.storage.call_days import forget_days_of
from app.storage.counted import count_new
from app.storage.db import WRITE_LOCK, get_engine
from app.storage.log_statements import EVENTS, statements_for, statements_of
from app.storage.prebuilt import Prebuilt, fetch_in_turn
from app.storage.rebuild import (
    load_summaries,
    lock_calls,
    lock_steps,
    rebuild_locked,
    write_summaries,
)

log = logging.getLogger(__name__)

# Calls rebuilt per transaction: a batched job's calls fit in one (measured in decision 0020).
REBUILD_CHUNK = 25


def store_events(engine: Engine, events: Iterable[dict[str, Any]]) -> int:
    """Insert the events not stored yet, then rebuild the calls they belong to.

    ``REBUILD_CHUNK`` calls at a time, each chunk one transaction: its calls' events and their
    rebuild (a large batch, as after an outage, does not hold every call's lock at once). An
    event is never committed without its call's rebuild, which the fold tokens rely on.
    """
    rows = _valid_rows(events)
    if not rows:
        return 0
    by_call: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows.values():
        by_call[row["call_sid"]].append(row)
    locked = engine.execution_options(**{WRITE_LOCK: True})
    database = str(engine.url)
    new: list[str] = []
    folded: list[FoldedCall] = []
    for chunk in _chunks(set(by_call)):
        # one lock order for all workers: the events by key, then the calls by call_sid
        ordered = sorted((r for sid in chunk for r in by_call[sid]), key=lambda r: r["key"])
        # Every call in the batch is rebuilt, not just those with new events: a retry of a
        # job that died between two chunks must still finish the rebuild.
        with locked.begin() as conn:
            inserted, tokens = _insert_and_lock(conn, ordered, chunk)
            by_inserted: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for key in inserted:
                by_inserted[rows[key]["call_sid"]].append(rows[key])
            done, written = rebuild_locked(conn, chunk, by_inserted, tokens)
        fold_cache.remember(database, done, written)  # once committed: its rows are written
        new += inserted
        folded += done
    count_new((rows[key] for key in new), {f.call_sid: f for f in folded})
    forget_days_of(engine, folded)  # a late event's settled days: aggregated again
    return len(new)


def _insert_and_lock(conn: Connection, ordered: list[dict[str, Any]], call_sids: list[str],
                     ) -> tuple[list[str], dict[str, int | None]]:
    """Insert the events not stored yet, then lock the calls (``lock_calls``): the keys
    inserted and the calls' fold tokens. On PostgreSQL the server is waited for once for all
    of it; it runs the statements in order, events before calls."""
    if conn.dialect.name != "postgresql":
        new = conn.execute(statements_for(conn)["events"], ordered).all()
        return [key for (key,) in new], lock_calls(conn, call_sids, read_tokens=True)
    insert = _events_from_arrays(conn.dialect)
    columns = {name: [row[name] for row in ordered] for name in insert.names}
    found = fetch_in_turn(conn, [(insert, columns), *lock_steps(conn, call_sids, True)])
    return [key for (key,) in found[0]], dict(found[-1])


@functools.cache
def _events_from_arrays(dialect: Dialect) -> Prebuilt:
    """The events' INSERT ... RETURNING for one array per column (each row's value converted
    as the column's type does), the rows inserted in key order."""
    names = ("key", "type", "call_sid", "at", "data")
    each = Prebuilt.compile(statements_of(dialect.name)["events"], dialect, names).processors
    processors = {k: functools.partial(_each, p) for k, p in each.items()}
    return Prebuilt("INSERT INTO events (key, type, call_sid, at, data) SELECT * FROM unnest("
                    "%(key)b::VARCHAR[], %(type)b::VARCHAR[], %(call_sid)b::VARCHAR[],"
                    " %(at)b::TIMESTAMPTZ[], %(data)b::JSONB[]) AS e(key, type, call_sid, at,"
                    " data) ORDER BY key ON CONFLICT (key) DO NOTHING RETURNING key",
                    names, False, processors)


def _each(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    return [processor(v) for v in values]


def rebuild_calls(engine: Engine, call_sids: Iterable[str] | None = None) -> int:
    """Derive the calls, attempts and voicemails rows again from the events (all if None)."""
    if call_sids is None:
        with engine.connect() as conn:
            call_sids = conn.scalars(select(EVENTS.c.call_sid).distinct()).all()
    locked = engine.execution_options(**{WRITE_LOCK: True})
    chunks = _chunks(set(call_sids))
    for chunk in chunks:
        with locked.begin() as conn:
            done, written = rebuild_locked(conn, chunk)
        fold_cache.remember(str(engine.url), done, written)
        forget_days_of(engine, done)  # the overview's stored days of these calls
    return sum(len(chunk) for chunk in chunks)


def _chunks(call_sids: set[str]) -> list[list[str]]:
    ordered = sorted(call_sids)
    return [ordered[i:i + REBUILD_CHUNK] for i in range(0, len(ordered), REBUILD_CHUNK)] or [[]]


def lock_call(conn: Connection, call_sid: str) -> None:
    """Create the call's row if needed and hold it until the transaction ends."""
    lock_calls(conn, [call_sid])


def load_summary(conn: Connection, call_sid: str) -> CallSummary:
    """The ledger's summary of the call's stored events."""
    found = load_summaries(conn, [call_sid])
    return found[0] if found else summarise([])


def write_summary(conn: Connection, summary: CallSummary) -> None:
    """Upsert the call's row, its attempts and its voicemails."""
    write_summaries(conn, [summary])


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
