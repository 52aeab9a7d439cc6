"""The call log's statements run on the DBAPI cursor behave as through SQLAlchemy: in the
connection's transaction, typed parameters, cursor events, and SQLAlchemy's errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError

from app.calls.ledger import parse_at
from app.storage import get_engine, store_events
from app.storage.log_statements import CALLS, statements_of
from app.storage.models import Call, EventRecord
from app.storage.prebuilt import Prebuilt, executemany_in_turn, fetch_in_turn
from tests.support.ledger_events import DECLINED_THEN_CONNECTED, for_call

STARTED = datetime(2026, 12, 2, 7, 0, 1, 250_000, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


def calls_upsert(engine: Engine) -> Prebuilt:
    statement = statements_of(engine.dialect.name)["calls"]
    return Prebuilt.compile(statement, engine.dialect, ["call_sid", "started_at", "out_of_hours"],
                            many=True)


def test_rows_go_in_typed_in_the_transaction_and_events_see_them(engine: Engine) -> None:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.begin() as conn:
            calls_upsert(engine).executemany(conn, [
                {"call_sid": "CA1", "started_at": STARTED, "out_of_hours": True},
                {"call_sid": "CA2", "started_at": None, "out_of_hours": False}])
            calls_upsert(engine).executemany(conn, [
                {"call_sid": "CA1", "started_at": STARTED, "out_of_hours": False}])
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert sum("INSERT INTO calls" in s for s in seen) == 2
    with engine.connect() as conn:
        rows = conn.execute(select(Call.call_sid, Call.started_at, Call.out_of_hours)
                            .order_by(Call.call_sid)).all()
    assert [tuple(r) for r in rows] == [("CA1", STARTED, False), ("CA2", None, False)]


def test_a_driver_error_is_sqlalchemys_and_rolls_back(engine: Engine) -> None:
    insert = Prebuilt.compile(CALLS.insert(), engine.dialect, ["call_sid"], many=True)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert.executemany(conn, [{"call_sid": "CA1"}, {"call_sid": "CA1"}])
    with engine.connect() as conn:
        assert conn.scalars(select(Call.call_sid)).all() == []


def test_statements_in_turn_run_in_order_and_fail_as_one(engine: Engine) -> None:
    """On PostgreSQL they share a pipeline: the second sees the first's rows, and an error
    reported when the pipeline syncs is SQLAlchemy's and rolls back both."""
    insert = Prebuilt.compile(CALLS.insert(), engine.dialect, ["call_sid"], many=True)
    count = Prebuilt.compile(select(Call.call_sid).order_by(Call.call_sid), engine.dialect, [])
    with engine.begin() as conn:
        insert.executemany(conn, [{"call_sid": "CA1"}])
        found = fetch_in_turn(conn, [(insert, {"call_sid": "CA2"}), (count, {})])
    assert found == [[], [("CA1",), ("CA2",)]]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        executemany_in_turn(conn, [(insert, [{"call_sid": "CA3"}]), (insert, [{"call_sid": "CA1"}])])
    with engine.connect() as conn:
        assert conn.scalars(select(Call.call_sid).order_by(Call.call_sid)).all() == ["CA1", "CA2"]


def test_stored_events_come_back_as_they_went_in(engine: Engine) -> None:
    """On PostgreSQL the events go in as one array per column (binary): text that a text
    array would have to escape, nested data and the instant come back unchanged, and only the
    keys not stored yet are reported new."""
    tricky = {"quote": 'say "hi", {x}', "slash": "a\\b\nc", "unicode": "Zürich ☎",
              "nested": {"list": [1, 2.5, None, True], "empty": {}}, "null": None}
    events = for_call(DECLINED_THEN_CONNECTED, "CA" + "7" * 32)
    first = [{**events[0], "data": {**events[0]["data"], **tricky}}, *events[1:3]]
    assert store_events(engine, first) == 3
    assert store_events(engine, events[:4]) == 1
    with engine.connect() as conn:
        rows = conn.execute(select(EventRecord.key, EventRecord.at, EventRecord.data)
                            .order_by(EventRecord.key)).all()
    sent = sorted([*first, events[3]], key=lambda e: e["key"])
    assert [(r.key, r.at, r.data) for r in rows] == [
        (e["key"], parse_at(e["at"]), json.loads(json.dumps(e["data"]))) for e in sent]
