"""The waiting calls' table holds exactly the missed calls nobody marked handled, whatever way
the calls' rows got there: stored, stored again, rebuilt, late events, handled and put back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, exists, select, text

from app.calls import events as ev
from app.storage import fold_cache, get_engine, rebuild_calls, store_events, upgrade
from app.storage.accounts import FollowUp
from app.storage.db import WRITE_LOCK
from app.storage.models import Call
from app.storage.rebuild import lock_calls
from app.storage.waiting import (
    MISSED_OUTCOMES,
    WaitingCall,
    enter_queue,
    mark_handled,
    put_back,
    waiting_count,
)
from tests.support.ledger_events import (
    ABANDONED_WHILE_RINGING,
    CONNECTED_FIRST,
    DECLINED_THEN_CONNECTED,
    VOICEMAIL_BOX_THEN_NOBODY,
    for_call,
)

AT = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
VOICEMAIL, ABANDONED, CONNECTED = ("CA" + c * 32 for c in "vbc")
THREE = [*for_call(VOICEMAIL_BOX_THEN_NOBODY, VOICEMAIL), *for_call(ABANDONED_WHILE_RINGING, ABANDONED),
         *for_call(CONNECTED_FIRST, CONNECTED)]


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


def queued(engine: Engine) -> set[str]:
    """The calls in the queue, each of which has the start its call's row has."""
    with engine.connect() as conn:
        rows = conn.execute(select(WaitingCall.call_sid, WaitingCall.started_at, Call.started_at)
                            .outerjoin(Call, Call.call_sid == WaitingCall.call_sid)).all()
    assert [(sid, queued) for sid, queued, start in rows if queued != start] == []
    return {sid for sid, _, _ in rows}


def from_the_log(engine: Engine) -> set[str]:
    """The queue as the follow-up count read it before: missed calls without a follow-up."""
    handled = exists().where(FollowUp.call_sid == Call.call_sid)
    with engine.connect() as conn:
        return set(conn.scalars(select(Call.call_sid)
                                .where(Call.outcome.in_(MISSED_OUTCOMES), ~handled)))


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return waiting_count(conn)


def test_a_missed_call_waits_until_handled_and_again_when_put_back(engine: Engine) -> None:
    store_events(engine, THREE)
    assert queued(engine) == {VOICEMAIL, ABANDONED} == from_the_log(engine)
    mark_handled(engine, VOICEMAIL, "ann", AT, "called back")
    mark_handled(engine, VOICEMAIL, "bob", AT, None)  # the first follow-up stays
    assert queued(engine) == {ABANDONED} == from_the_log(engine) and count(engine) == 1
    with engine.connect() as conn:
        assert conn.execute(select(FollowUp.handled_by, FollowUp.note)).all() == [
            ("ann", "called back")]
    put_back(engine, VOICEMAIL)
    put_back(engine, CONNECTED)  # a connected call never waits
    assert queued(engine) == {VOICEMAIL, ABANDONED} == from_the_log(engine) and count(engine) == 2


def test_stored_again_rebuilt_or_unknown_to_this_worker_changes_nothing(engine: Engine) -> None:
    store_events(engine, THREE)
    mark_handled(engine, ABANDONED, "ann", AT, None)
    store_events(engine, THREE)  # a retry of the job
    assert queued(engine) == {VOICEMAIL}
    fold_cache.forget_all()  # another worker's events: the rows before are unknown here
    store_events(engine, THREE)
    assert queued(engine) == {VOICEMAIL}
    rebuild_calls(engine)
    assert queued(engine) == {VOICEMAIL} == from_the_log(engine)


def test_a_rebuild_mends_a_queue_that_is_wrong(engine: Engine) -> None:
    store_events(engine, THREE)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM waiting_calls"))
        conn.execute(text(f"INSERT INTO waiting_calls (call_sid) VALUES ('{CONNECTED}')"))
    rebuild_calls(engine)
    assert queued(engine) == {VOICEMAIL, ABANDONED}


@pytest.mark.parametrize("known", [True, False], ids=["same-worker", "other-worker"])
def test_a_call_missed_first_and_connected_by_late_events_leaves_the_queue(
        engine: Engine, known: bool) -> None:
    events = for_call(DECLINED_THEN_CONNECTED, CONNECTED)
    late = [e for e in events if e["type"] in (ev.DIAL_RESULT, ev.SCREEN_RESULT, ev.LEG_STATUS)
            and e["data"].get("step") == 1]
    store_events(engine, [e for e in events if e not in late])
    assert queued(engine) == {CONNECTED} == from_the_log(engine)
    if not known:
        fold_cache.forget_all()
    store_events(engine, late)
    with engine.connect() as conn:
        assert conn.scalar(select(Call.outcome)) == ev.OUTCOME_CONNECTED
    assert queued(engine) == set() == from_the_log(engine)


def test_a_handled_call_that_is_missed_again_stays_handled(engine: Engine) -> None:
    """A late event that changes a handled call's outcome between missed ones (or away and
    back) does not queue it again: the follow-up is about the call, not its outcome."""
    events = for_call(DECLINED_THEN_CONNECTED, CONNECTED)
    late = [e for e in events if e["type"] in (ev.DIAL_RESULT, ev.SCREEN_RESULT, ev.LEG_STATUS)
            and e["data"].get("step") == 1]
    store_events(engine, [e for e in events if e not in late])
    mark_handled(engine, CONNECTED, "ann", AT, None)
    store_events(engine, late)
    assert queued(engine) == set()
    with engine.begin() as conn:  # the call's rows as an earlier version wrote them
        conn.execute(text(f"UPDATE calls SET outcome = 'connected' WHERE call_sid = '{CONNECTED}'"))
    fold_cache.forget_all()
    rebuild_calls(engine)
    assert queued(engine) == set() == from_the_log(engine)


def test_marking_handled_waits_for_a_rebuild_that_queues_the_call(engine: Engine) -> None:
    """A rebuild that queues the call and a follow-up of another worker meet: the follow-up
    waits for the rebuild to commit, then takes the call out of the queue."""
    store_events(engine, for_call(VOICEMAIL_BOX_THEN_NOBODY, VOICEMAIL))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM waiting_calls"))
    with engine.execution_options(**{WRITE_LOCK: True}).connect() as rebuilding:
        with rebuilding.begin():
            lock_calls(rebuilding, [VOICEMAIL])
            enter_queue(rebuilding, [VOICEMAIL])
            handling = threading.Thread(target=mark_handled,
                                        args=(engine, VOICEMAIL, "ann", AT, None))
            handling.start()
            handling.join(0.3)
            assert handling.is_alive()  # holding on for the rebuild
        handling.join(10)
    assert queued(engine) == set() == from_the_log(engine)


def test_a_start_that_arrives_late_moves_the_call_in_the_queue(engine: Engine) -> None:
    events = for_call(VOICEMAIL_BOX_THEN_NOBODY, VOICEMAIL)
    first = [e for e in events if e["type"] == ev.CALL_STARTED]
    store_events(engine, [e for e in events if e not in first])
    with engine.connect() as conn:
        without_start = conn.scalar(select(Call.started_at))
    store_events(engine, first)
    with engine.connect() as conn:
        assert conn.scalar(select(Call.started_at)) != without_start
    assert queued(engine) == {VOICEMAIL}


def test_the_migration_fills_the_queue_from_the_log(empty_db: str) -> None:
    upgrade(empty_db, "0010")
    engine = get_engine(empty_db)
    with engine.begin() as conn:
        for sid, outcome in ((VOICEMAIL, "voicemail"), (ABANDONED, "abandoned"),
                             (CONNECTED, "connected"), ("CA-callback", "callback"),
                             ("CA-in-progress", None)):
            conn.execute(text("INSERT INTO calls (call_sid, outcome) VALUES (:sid, :outcome)"),
                         {"sid": sid, "outcome": outcome})
        conn.execute(text("INSERT INTO follow_ups (call_sid, handled_at, handled_by)"
                          " VALUES (:sid, :at, 'ann')"), {"sid": VOICEMAIL, "at": AT})
    upgrade(empty_db)
    assert queued(engine) == {ABANDONED, "CA-callback"} == from_the_log(engine)
