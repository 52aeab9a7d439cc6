"""Calls and dial attempts are counted once, when their events are first stored, however often
they arrive (duplicate callbacks, a retried job, a spool replayed twice)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from app.calls import events as ev
from app.storage import get_engine, store_events
from tests.support.ledger_events import DECLINED_THEN_CONNECTED, REJECTED, started


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_call_and_attempt_counts_once(db_url: str) -> None:
    engine = get_engine(db_url)
    calls = counted("hotline_calls_total", outcome="connected", line="unknown", tier="24/7")
    no_answer = counted("hotline_dial_attempts_total", outcome="no-answer")
    connected = counted("hotline_dial_attempts_total", outcome="connected")
    half = len(DECLINED_THEN_CONNECTED) // 2
    store_events(engine, DECLINED_THEN_CONNECTED[:half + 2])
    store_events(engine, DECLINED_THEN_CONNECTED[half:])  # overlapping: duplicates in it
    store_events(engine, DECLINED_THEN_CONNECTED)  # the whole batch again (a retried job)
    assert counted("hotline_calls_total", outcome="connected", line="unknown", tier="24/7") - calls == 1
    assert counted("hotline_dial_attempts_total", outcome="no-answer") - no_answer == 1
    assert counted("hotline_dial_attempts_total", outcome="connected") - connected == 1


def test_a_call_on_a_line_without_a_contract(db_url: str) -> None:
    before = counted("hotline_calls_total", outcome="rejected", line="premium", tier="unknown")
    events = [{**REJECTED[0], "data": {**REJECTED[0]["data"], "line": "premium"}}, *REJECTED[1:]]
    assert events[0]["type"] == ev.CALL_STARTED and started()["key"] == events[0]["key"]
    store_events(get_engine(db_url), events)
    store_events(get_engine(db_url), events)
    assert counted("hotline_calls_total", outcome="rejected", line="premium", tier="unknown") \
        - before == 1
