"""The alert store and the notification ledger on SQLite and PostgreSQL: once, and only once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.alerts import escalation
from app.alerts.payloads import parse_generic
from app.alerts.store import acknowledge, advance, get_alert, receive
from app.config import HotlineConfig
from app.notify import ledger
from app.notify.delivery import SMS, Outgoing
from app.storage import get_engine, upgrade
from app.storage.alerts import Alert
from tests.support.alert_samples import FIRING, OPENING
from tests.support.constants import BOB, DANA, NOW
from tests.support.notify import services
from tests.support.redis import RedisServer

RESOLVED = parse_generic({"key": "db1-disk", "status": "resolved"})


@pytest.fixture
def engine(empty_db: str) -> Engine:
    upgrade(empty_db)
    return get_engine(empty_db)


def test_one_open_alert_per_group_and_its_escalation(engine: Engine) -> None:
    first = receive(engine, FIRING, OPENING, NOW)
    assert first.opened and first.alert_id is not None
    assert receive(engine, FIRING, OPENING, NOW) == type(first)(first.alert_id)
    assert advance(engine, first.alert_id, (0, 0), (0, 1), "timeout", NOW)
    assert not advance(engine, first.alert_id, (0, 0), (0, 1), "keypad", NOW)  # moved already
    with Session(engine) as session, session.begin():
        assert acknowledge(session, first.alert_id, "alice", now=NOW)
        assert not acknowledge(session, first.alert_id, "bob", now=NOW)
        assert not acknowledge(session, 999, "bob", now=NOW)
    assert not advance(engine, first.alert_id, (0, 1), None, "timeout", NOW)  # acknowledged
    assert receive(engine, RESOLVED, OPENING, NOW).resolved
    assert receive(engine, RESOLVED, OPENING, NOW).alert_id is None  # nothing open any more
    second = receive(engine, FIRING, OPENING, NOW)
    assert second.opened and second.alert_id != first.alert_id
    with Session(engine) as session:
        old = get_alert(session, first.alert_id)
        assert old is not None
        assert (old.status, old.acknowledged_by, old.step, old.open_key) == (
            "resolved", "alice", 1, None)
        assert [m.status for m in old.members] == ["resolved"]


def test_the_ledger_records_each_message_once(engine: Engine) -> None:
    items = [Outgoing("call:CA1", "missed", "dana", SMS, DANA, "hi"),
             Outgoing("call:CA1", "missed", "bob", SMS, BOB, "hi")]
    ids = ledger.record(engine, items, NOW)
    assert len(ids) == 2 and ledger.record(engine, items, NOW) == ids
    assert ledger.claim(engine, ids[0], NOW) is not None
    ledger.sent(engine, ids[0], "SM1", NOW)
    assert ledger.record(engine, items, NOW) == ids[1:]  # only the one still to send


def test_workers_receiving_a_new_group_at_once_open_one_alert(
    engine: Engine, empty_db: str, config: HotlineConfig, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        svc = services(config, empty_db, redis.url, None, clock=lambda: NOW)
        results, start = [], threading.Barrier(6)

        def worker() -> None:
            start.wait()
            results.append(escalation.receive(svc, FIRING))

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        redis.stop()
    assert sorted(r.opened for r in results) == [False] * 5 + [True]
    assert len({r.alert_id for r in results}) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 1


@pytest.fixture(autouse=True)
def _no_engines_left() -> Iterator[None]:
    yield
    from app.storage import dispose_engines

    dispose_engines()
