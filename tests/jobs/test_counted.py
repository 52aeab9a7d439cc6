"""Dial attempts are counted once, when their events are first stored, and calls once, when
their end is settled, however often events arrive (duplicate callbacks, a retried job, a spool
replayed twice) and in whichever order two workers store them."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from redis import Redis

from app.calls import events as ev
from app.eventlog.queueing import enqueue_batch, event_queue
from app.jobs.events import settle_job_id, settling_events
from app.settings import EVENT_QUEUE
from app.storage import get_engine, store_events
from tests.support.event_handoff import work_events
from tests.support.ledger_events import (
    DECLINED_THEN_CONNECTED,
    REJECTED,
    VOICEMAIL_BOX_THEN_NOBODY,
    for_call,
    settled,
    started,
)
from tests.support.redis import RedisServer


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_call_and_attempt_counts_once(db_url: str) -> None:
    engine = get_engine(db_url)
    calls = counted("hotline_calls_total", outcome="connected", line="unknown", tier="24/7")
    no_answer = counted("hotline_dial_attempts_total", outcome="no-answer")
    connected = counted("hotline_dial_attempts_total", outcome="connected")
    half = len(DECLINED_THEN_CONNECTED) // 2
    events = [*DECLINED_THEN_CONNECTED, settled()]
    store_events(engine, events[:half + 2])
    store_events(engine, events[half:])  # overlapping: duplicates in it
    store_events(engine, events)  # the whole batch again (a retried job)
    assert counted("hotline_calls_total", outcome="connected", line="unknown", tier="24/7") - calls == 1
    assert counted("hotline_dial_attempts_total", outcome="no-answer") - no_answer == 1
    assert counted("hotline_dial_attempts_total", outcome="connected") - connected == 1


def test_a_call_on_a_line_without_a_contract(db_url: str) -> None:
    before = counted("hotline_calls_total", outcome="rejected", line="premium", tier="unknown")
    events = [{**REJECTED[0], "data": {**REJECTED[0]["data"], "line": "premium"}}, *REJECTED[1:],
              settled()]
    assert events[0]["type"] == ev.CALL_STARTED and started()["key"] == events[0]["key"]
    store_events(get_engine(db_url), events)
    store_events(get_engine(db_url), events)
    assert counted("hotline_calls_total", outcome="rejected", line="premium", tier="unknown") \
        - before == 1


VOICEMAIL_LABELS = {"line": "unknown", "tier": "24/7"}
RECORDING = (ev.VOICEMAIL_RECORDED, ev.RECORDING_STATUS)


def outcomes_counted() -> dict[str, float]:
    return {outcome: counted("hotline_calls_total", outcome=outcome, **VOICEMAIL_LABELS)
            for outcome in (ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED)}


def test_a_recording_stored_after_the_end_counts_the_call_as_a_voicemail(db_url: str) -> None:
    engine = get_engine(db_url)
    events = for_call(VOICEMAIL_BOX_THEN_NOBODY, "CA" + "e" * 32)
    before = outcomes_counted()
    store_events(engine, [e for e in events if e["type"] not in RECORDING])  # one worker
    store_events(engine, [e for e in events if e["type"] in RECORDING])  # the other, later
    store_events(engine, settling_events(events))  # the end's settling, a while later
    store_events(engine, [*events, *settling_events(events)])  # a retried job
    after = outcomes_counted()
    assert after[ev.OUTCOME_VOICEMAIL] - before[ev.OUTCOME_VOICEMAIL] == 1
    assert after[ev.OUTCOME_ABANDONED] == before[ev.OUTCOME_ABANDONED]


def test_a_call_counts_once_when_its_end_is_settled(db_url: str) -> None:
    engine = get_engine(db_url)
    events = [e for e in for_call(VOICEMAIL_BOX_THEN_NOBODY, "CA" + "f" * 32)
              if e["type"] not in RECORDING]
    assert settling_events(events[:-1]) == [], "only the calls a batch ends"
    before = outcomes_counted()
    store_events(engine, events)
    assert outcomes_counted() == before, "a recording may still come"
    store_events(engine, settling_events(events))
    store_events(engine, settling_events(events))  # a retried job: the same key
    after = outcomes_counted()
    assert after[ev.OUTCOME_ABANDONED] - before[ev.OUTCOME_ABANDONED] == 1
    assert after[ev.OUTCOME_VOICEMAIL] == before[ev.OUTCOME_VOICEMAIL]


def test_the_log_worker_settles_a_call_a_while_after_storing_its_end(
    redis_server: RedisServer, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    queue = event_queue(Redis.from_url(redis_server.url), EVENT_QUEUE)
    events = for_call(VOICEMAIL_BOX_THEN_NOBODY, "CA" + "d" * 32)
    before = outcomes_counted()
    enqueue_batch(queue, events)
    assert work_events(redis_server.url, tmp_path / "spool.jsonl")
    settling = queue.fetch_job(settle_job_id(settling_events(events)))
    assert settling is not None and settling.id in queue.scheduled_job_registry.get_job_ids()
    assert outcomes_counted() == before, "not yet"
    queue.scheduled_job_registry.remove(settling)
    queue.enqueue_job(settling)  # its time has come
    assert work_events(redis_server.url, tmp_path / "spool.jsonl")
    after = outcomes_counted()
    assert after[ev.OUTCOME_VOICEMAIL] - before[ev.OUTCOME_VOICEMAIL] == 1
