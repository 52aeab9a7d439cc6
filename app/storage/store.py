"""Storing the call log: raw events once by key, then each touched call's rows rebuilt from them."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, select

from app.calls.ledger import CallSummary, parse_at, summarise
from app.storage import fold_cache
from app.storage.counted import count_new
from app.storage.db import WRITE_LOCK, get_engine
from app.storage.rebuild import (
    EVENTS,
    _statements,
    load_summaries,
    lock_calls,
    rebuild_locked,
    write_summaries,
)

log = logging.getLogger(__name__)

# Calls rebuilt per transaction: a batched job's calls fit in one (measured in decision 0020).
REBUILD_CHUNK = 25


def store_events(engine: Engine, events: Iterable[dict[str, Any]]) -> int:
    """Insert the events not stored yet, then rebuild the calls they belong to.

    The events and the first ``REBUILD_CHUNK`` calls are one transaction, each further chunk of
    calls its own (a large batch, as after an outage, does not hold every call's lock at once).
    """
    rows = _valid_rows(events)
    if not rows:
        return 0
    ordered = sorted(rows.values(), key=lambda r: r["key"])  # one lock order for all workers
    # Every call in the batch is rebuilt, not just those with new events: a retry of a job
    # that died between two chunks must still finish the rebuild.
    chunks = _chunks({r["call_sid"] for r in ordered})
    locked = engine.execution_options(**{WRITE_LOCK: True})
    inserted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with locked.begin() as conn:
        new = [key for (key,) in conn.execute(_statements(conn)["events"], ordered).all()]
        for key in new:
            inserted[rows[key]["call_sid"]].append(rows[key])
        folded = rebuild_locked(conn, chunks[0], inserted)
    fold_cache.remember(str(engine.url), folded)  # once committed: its rows are written
    for chunk in chunks[1:]:
        with locked.begin() as conn:
            done = rebuild_locked(conn, chunk, inserted)
        fold_cache.remember(str(engine.url), done)
        folded += done
    count_new((rows[key] for key in new), {f.call_sid: f for f in folded})
    return len(new)


def rebuild_calls(engine: Engine, call_sids: Iterable[str] | None = None) -> int:
    """Derive the calls, attempts and voicemails rows again from the events (all if None)."""
    if call_sids is None:
        with engine.connect() as conn:
            call_sids = conn.scalars(select(EVENTS.c.call_sid).distinct()).all()
    locked = engine.execution_options(**{WRITE_LOCK: True})
    chunks = _chunks(set(call_sids))
    for chunk in chunks:
        with locked.begin() as conn:
            done = rebuild_locked(conn, chunk)
        fold_cache.remember(str(engine.url), done)
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
