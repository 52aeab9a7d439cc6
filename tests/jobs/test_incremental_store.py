"""A worker folds only a job's new events into the calls it folded before, and rebuilds a call
whose stored events it does not know exactly (another worker's or thread's, an event deleted or
changed by hand), telling them apart by the fold token in the call's row."""

from __future__ import annotations

import os
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
    fold_cache._entries.update(known)


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


def test_an_event_changed_by_hand_makes_a_full_rebuild(engine: Engine) -> None:
    events = for_call(DECLINED_THEN_CONNECTED, SID)
    store_events(engine, events[:-1])
    with engine.begin() as conn:  # the caller's number corrected in the stored event
        conn.execute(text("UPDATE events SET data = :data WHERE key = :key"),
                     {"data": '{"from": "+4940", "to": "+4989100200"}', "key": events[0]["key"]})
    store_events(engine, events[-1:])
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT caller FROM calls WHERE call_sid = :sid"),
                           {"sid": SID}) == "+4940"


def test_a_rebuild_in_flight_hides_the_call_from_other_threads(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread of the process that locks the call between a job's commit and the job
    putting its fold back must rebuild, not fold into what the process held before."""
    events = for_call(DECLINED_THEN_CONNECTED, SID)
    expected = one_go(engine, events)
    store_events(engine, events[:3])
    remember = fold_cache.remember
    interleaved: list[bool] = []

    def other_thread_first(*args: Any) -> None:
        if not interleaved:
            interleaved.append(True)
            store_events(engine, events[5:])  # locks the call right after the commit
        remember(*args)

    monkeypatch.setattr(fold_cache, "remember", other_thread_first)
    store_events(engine, events[3:5])
    assert interleaved and snapshot(engine) == expected


def test_a_forked_child_holds_none_of_its_parents_folds(engine: Engine) -> None:
    store_events(engine, for_call(DECLINED_THEN_CONNECTED, SID)[:3])
    assert fold_cache._entries
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through the pipe)
        os.write(writer, str(len(fold_cache._entries)).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    assert os.read(reader, 16) == b"0"
    os.close(reader)


def test_a_known_call_costs_no_read_of_its_events(engine: Engine) -> None:
    """The second job of a call this process folded reads no event, and writes what changed."""
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
    assert len(reads) <= 1 and "FROM EVENTS" not in " ".join(reads), reads  # the token only
    assert not any(s.startswith("DELETE") for s in statements), statements
    # the settled call counted with its labels from the fold, without reading it back
    assert REGISTRY.get_sample_value("hotline_calls_total", labels) == counted + 1
