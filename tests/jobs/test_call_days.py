"""The overview's stored days (app/storage/call_days.py) on both databases: settled days come
from the table, a late event forgets them, local days are exact across daylight saving, and
readers filling the same days at once do not fail."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.storage import call_days, get_engine, rebuild_calls, store_events
from app.storage.call_days import DAYS, figures_of_days
from app.storage.daily import DayFigures
from app.storage.models import Call
from tests.support.ledger_events import CONNECTED_FIRST, SID

BERLIN = ZoneInfo("Europe/Berlin")
LATE_CALL = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)  # long settled by the wall clock too
NOW = datetime(2025, 11, 1, 12, tzinfo=UTC)  # the app's clock


def moved(events: list[ev.Event], call_sid: str, start: datetime) -> list[ev.Event]:
    """A scenario's events under another CallSid, its first event at ``start``."""
    first = min(datetime.fromisoformat(e["at"]) for e in events)
    return [{**e, "call_sid": call_sid, "key": e["key"].replace(SID, call_sid),
             "at": (datetime.fromisoformat(e["at"]) - first + start).isoformat()} for e in events]


def figures(engine: Engine, days: Sequence[date], now: datetime = NOW) -> list[DayFigures]:
    with Session(engine) as session:
        return figures_of_days(session, BERLIN, days, now, wall_now=now)


def stored_days(engine: Engine) -> list[tuple[date, datetime, datetime]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(DAYS.c.day, DAYS.c.starts_at, DAYS.c.ends_at).order_by(DAYS.c.day))]


def set_outcome(engine: Engine, call_sid: str, outcome: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(Call).where(Call.call_sid == call_sid).values(outcome=outcome))


def test_a_settled_day_is_read_from_the_table_until_a_late_event_forgets_it(db_url: str) -> None:
    engine = get_engine(db_url)
    events = moved(CONNECTED_FIRST, "CA" + "7" * 32, LATE_CALL)
    store_events(engine, events[:-1])  # all but the call's end
    set_outcome(engine, "CA" + "7" * 32, "abandoned")
    day = [LATE_CALL.astimezone(BERLIN).date()]
    assert figures(engine, day)[0].outcomes == {"abandoned": 1}
    set_outcome(engine, "CA" + "7" * 32, "voicemail")  # behind the table's back
    assert figures(engine, day)[0].outcomes == {"abandoned": 1}
    store_events(engine, moved(CONNECTED_FIRST, "CA" + "8" * 32, datetime.now(UTC)))
    assert stored_days(engine) and figures(engine, day)[0].outcomes == {"abandoned": 1}
    store_events(engine, events[-1:])  # the end arrives late: the call is rebuilt
    assert stored_days(engine) == []
    again = figures(engine, day)[0]
    assert again.outcomes == {"connected": 1} and sum(again.answer_tenths.values()) == 1
    assert [d for d, _, _ in stored_days(engine)] == day


def test_a_day_not_settled_is_aggregated_every_time(db_url: str) -> None:
    engine = get_engine(db_url)
    sid = "CA" + "7" * 32
    store_events(engine, moved(CONNECTED_FIRST, sid, LATE_CALL))
    day = [LATE_CALL.astimezone(BERLIN).date()]
    just_after = LATE_CALL.replace(hour=22, minute=30)  # Berlin's midnight was 30 minutes ago
    assert figures(engine, day, just_after)[0].outcomes == {"connected": 1}
    set_outcome(engine, sid, "abandoned")
    assert figures(engine, day, just_after)[0].outcomes == {"abandoned": 1}
    assert stored_days(engine) == []


def test_rebuilding_calls_forgets_their_days_only(db_url: str) -> None:
    engine = get_engine(db_url)
    earlier = LATE_CALL - timedelta(days=3)
    store_events(engine, moved(CONNECTED_FIRST, "CA" + "7" * 32, LATE_CALL)
                 + moved(CONNECTED_FIRST, "CA" + "6" * 32, earlier))
    figures(engine, [earlier.date() + timedelta(days=i) for i in range(4)])
    assert len(stored_days(engine)) == 4
    rebuild_calls(engine, ["CA" + "7" * 32])
    assert [d for d, _, _ in stored_days(engine)] == [earlier.date() + timedelta(days=i) for i in range(3)]
    rebuild_calls(engine)
    assert [d for d, _, _ in stored_days(engine)] == [earlier.date() + timedelta(days=i) for i in (1, 2)]


@pytest.mark.parametrize(("day", "hours"), [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25)])
def test_a_daylight_saving_day_counts_its_own_hours(db_url: str, day: date, hours: int) -> None:
    engine = get_engine(db_url)
    start = datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)
    end = start + timedelta(hours=hours)
    moments = [start - timedelta(seconds=1), start, end - timedelta(seconds=1), end]
    with Session(engine) as session:
        session.add_all(Call(call_sid=f"CA{i}", started_at=at, outcome="connected",
                             time_to_answer_seconds=4.0 + i) for i, at in enumerate(moments))
        session.commit()
    days = [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert [f.outcomes for f in figures(engine, days)] == [{"connected": 1}, {"connected": 2},
                                                           {"connected": 1}]
    assert stored_days(engine)[1] == (day, start, end)
    assert figures(engine, days)[1].answer_tenths == {50: 1, 60: 1}  # now from the table


def test_readers_filling_the_same_days_at_once_both_succeed(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine(db_url)
    store_events(engine, moved(CONNECTED_FIRST, "CA" + "7" * 32, LATE_CALL))
    both_looked = threading.Barrier(2, timeout=10)
    looked_up = call_days._stored

    def stored_then_wait(*args: Any) -> dict[date, DayFigures]:
        found = looked_up(*args)  # both find nothing stored, then both store the day
        both_looked.wait()
        return found

    monkeypatch.setattr(call_days, "_stored", stored_then_wait)
    days = [LATE_CALL.date() - timedelta(days=1), LATE_CALL.date()]
    results: list[list[DayFigures]] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            results.append(figures(engine, days))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(30)
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert results[0][1].outcomes == {"connected": 1}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DAYS)) == 2
