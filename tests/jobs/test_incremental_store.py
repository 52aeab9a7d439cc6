"""A worker folds only a job's new events into the calls it folded before, and rebuilds a call
whose stored events it does not know exactly (another worker's, a deleted one, a late one)."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, text
from sqlalchemy import event as sa_event

from app.storage import fold_cache, get_engine, store_events
from tests.support.ledger_events import DECLINED_THEN_CONNECTED, SID, THREE_CALLS, for_call, settled
from tests.support.sql import snapshot, wipe


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


def one_go(engine: Engine, events: list[dict[str, Any]]) -> dict[str, Any]:
    store_events(engine, events)
    rows = snapshot(engine)
    wipe(engine)
    return rows


def store_elsewhere(engine: Engine, events: list[dict[str, Any]]) -> None:
    """Events another worker stored, and its rebuild: in the tables, unknown to this process."""
    known = dict(fold_cache._entries)
    store_events(engine, events)
    fold_cache.forget_all()
    fold_cache.remember(str(engine.url), known.values())


def test_events_another_worker_stored_are_folded_too(engine: Engine) -> None:
    expected = one_go(engine, THREE_CALLS)
    third = len(THREE_CALLS) // 3
    store_events(engine, THREE_CALLS[:third])
    store_elsewhere(engine, THREE_CALLS[third:2 * third])
    store_events(engine, THREE_CALLS[2 * third:])
    assert snapshot(engine) == expected


def test_a_late_event_is_folded_in_its_place(engine: Engine) -> None:
    expected = one_go(engine, DECLINED_THEN_CONNECTED)
    late = DECLINED_THEN_CONNECTED[1]  # identified, long before the call ended
    store_events(engine, [e for e in DECLINED_THEN_CONNECTED if e is not late])
    store_events(engine, [late])
    assert snapshot(engine) == expected


def test_a_deleted_event_makes_a_full_rebuild(engine: Engine) -> None:
    events = for_call(DECLINED_THEN_CONNECTED, SID)
    store_events(engine, events[:-1])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE key = :key"), {"key": events[1]["key"]})
    store_events(engine, events[-1:])
    expected = [e for e in events if e is not events[1]]
    assert snapshot(engine) == one_go_after_wipe(engine, expected)


def one_go_after_wipe(engine: Engine, events: list[dict[str, Any]]) -> dict[str, Any]:
    wipe(engine)
    return one_go(engine, events)


def test_a_known_call_costs_no_read_of_its_events(engine: Engine) -> None:
    """The second job of a call this process folded reads keys only, and writes what changed."""
    first, rest = DECLINED_THEN_CONNECTED[:-3], [*DECLINED_THEN_CONNECTED[-3:], settled()]
    store_events(engine, first)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).upper())

    labels = {"outcome": "connected", "line": "unknown", "tier": "24/7"}
    counted = REGISTRY.get_sample_value("hotline_calls_total", labels) or 0.0
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        store_events(engine, rest)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.startswith("SELECT") and "FOR UPDATE" not in s]
    assert len(reads) == 1 and "EVENTS.DATA" not in reads[0], reads  # keys only
    assert not any(s.startswith("DELETE") for s in statements), statements
    # the settled call counted with its labels from the fold, without reading it back
    assert REGISTRY.get_sample_value("hotline_calls_total", labels) == counted + 1
