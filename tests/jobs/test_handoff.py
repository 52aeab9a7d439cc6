"""No per-host state that loses events: Redis away, the web tier stores them in the shared
database itself and spools to its own disk only what the database cannot take (it is away too)
or a worker must still see; a killed web process's journal is handed on by its successor."""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from app.calls import events as ev
from app.config import HotlineConfig
from app.eventlog import EventSink, enqueue_batch
from app.eventlog import spool as spool_file
from app.jobs.events import triggers
from app.settings import EVENT_QUEUE, NOTIFY_QUEUE, Settings
from app.storage.handoff import DirectStore
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.backlog import log_backlog, log_idle
from tests.support.constants import REPO
from tests.support.event_handoff import call_events, stored_keys, wait_for, work_events
from tests.support.ports import free_port
from tests.support.redis import RedisServer


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool" / "events.jsonl"


def notifies(event: ev.Event) -> bool:
    """What the web tier passes on to a worker (app/web/__init__.py)."""
    return bool(triggers([event]))


def notify_jobs(redis_url: str) -> set[str]:
    queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    return set(queue.scheduled_job_registry.get_job_ids()) | set(queue.job_ids)


def test_redis_down_stores_directly_and_spools_only_what_notifies(
    redis_server: RedisServer, db_url: str, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)  # where the worker's job stores
    redis_server.stop()
    sink = EventSink(redis_server.url, spool_path=spool, max_backoff=0.5,
                     store=DirectStore(db_url, notifies))
    events = call_events(8)
    took = []
    for start in range(0, len(events), 3):
        began = time.perf_counter()
        sink.emit(events[start:start + 3])
        took.append(time.perf_counter() - began)
    assert statistics.median(took) < 0.001  # the database's work is the thread's, not the call's
    assert sink.flush(20)
    assert sink.redis_down
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)
    spooled = spool_file.read(spool)
    assert [e["key"] for e in spooled] == [e["key"] for e in events if e["type"] == ev.CALL_ENDED]

    redis_server.start()  # the notifications of those calls are still due: a worker queues them
    sink.emit([])
    wait_for(lambda: not spool_file.pending(spool) and not sink.redis_down)
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)  # once each
    calls = {e["call_sid"] for e in events}
    assert notify_jobs(redis_server.url) == {f"notify-{sid}-ended" for sid in calls}


def test_redis_and_the_database_down_spool_everything_and_replay_it(
    redis_server: RedisServer, db_url: str, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    redis_server.stop()
    away = f"postgresql+psycopg://hotline@127.0.0.1:{free_port()}/hotline"  # nobody listens
    sink = EventSink(redis_server.url, spool_path=spool, max_backoff=0.5,
                     store=DirectStore(away, notifies))
    first, second = call_events(3, prefix="CA1"), call_events(3, prefix="CA2")
    sink.emit(first)
    assert sink.flush(10)
    sink.emit(second)  # while the database backs off: straight to the spool
    assert sink.flush(10)
    assert [e["key"] for e in spool_file.read(spool)] == [e["key"] for e in first + second]
    assert stored_keys(db_url) == []

    redis_server.start()
    restarted = EventSink(redis_server.url, spool_path=spool, store=DirectStore(db_url, notifies))
    restarted.resume()  # a new process replays what the last one left, before any call
    wait_for(lambda: not spool_file.pending(spool))
    assert work_events(redis_server.url, spool.with_name("elsewhere.jsonl"))
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in first + second)


def test_the_web_tier_passes_on_what_queues_a_notification(
    settings: Settings, config: HotlineConfig, tmp_path: Path
) -> None:
    app = create_app(replace(settings, database_url=f"sqlite:///{tmp_path / 'log.db'}"), config,
                     overrides=OverrideCache(None), TESTING=True)
    sink = app.extensions["hotline"].sink
    assert isinstance(sink, EventSink) and isinstance(sink.store, DirectStore)
    sid = "CA" + "1" * 32
    voicemail = ev.make_event(ev.VOICEMAIL_RECORDED, sid, "vm", {"recording_sid": "RE1"})
    events = [*call_events(1), voicemail]
    passed_on = [e["type"] for e in events if sink.store.needs_worker(e)]
    assert passed_on == [ev.CALL_ENDED, ev.VOICEMAIL_RECORDED]


KILLED_AFTER_EMIT = """
import os, signal, sys, time
from app.eventlog import EventSink
from tests.support.event_handoff import call_events
sink = EventSink(sys.argv[1], spool_path=sys.argv[2], journal_dir=sys.argv[3], linger=30)
sink.emit(call_events(2, prefix="CA1"))  # a lone batch leaves at once
assert sink.flush(10)
sink.emit(call_events(2, prefix="CA2"))  # this one waits out the linger in memory...
time.sleep(0.2)
os.kill(os.getpid(), signal.SIGKILL)  # ...when the process dies
"""


def test_a_killed_process_loses_no_event_its_successor_hands_them_on(
    redis_server: RedisServer, db_url: str, spool: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    journal = tmp_path / "journal"
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_EMIT, redis_server.url, str(spool),
                             str(journal)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(list(journal.glob("*.jsonl"))) == 1  # the batch in memory, on disk too
    successor = EventSink(redis_server.url, spool_path=spool, journal_dir=journal)
    successor.resume()
    wait_for(lambda: not list(journal.glob("*.jsonl")))
    assert successor.flush(10)
    assert work_events(redis_server.url, spool)
    expected = call_events(2, prefix="CA1") + call_events(2, prefix="CA2")
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in expected)


def test_the_journal_is_emptied_as_events_are_handed_on(
    redis_server: RedisServer, spool: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    sink = EventSink(redis_server.url, spool_path=spool, journal_dir=journal, linger=0.05)
    for start in range(0, 60, 6):
        sink.emit(call_events(10)[start:start + 6])
        time.sleep(0.01)
    assert sink.flush(10)
    wait_for(lambda: not list(journal.glob("*.jsonl")))


def test_the_log_is_not_idle_while_a_web_process_holds_events_or_a_worker_takes_a_job(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events buffered or in flight show only as a journal file (next to the spool folder); a
    job a worker took off the queue, before it runs, only in RQ's intermediate list."""
    var = tmp_path / "var"
    idle = log_idle(redis_server.url, var / "spool")
    release = threading.Event()

    def held(queue: Queue, events: list[ev.Event]) -> object:
        release.wait(10)
        return enqueue_batch(queue, events)

    monkeypatch.setattr("app.eventlog.sink.enqueue_batch", held)
    sink = EventSink(redis_server.url, spool_path=var / "spool" / "events.jsonl",
                     journal_dir=var / "journal")
    assert idle()
    sink.emit(call_events(1))
    assert not idle()  # nothing in Redis yet, nothing spooled
    release.set()
    assert sink.flush(10)
    assert log_backlog(redis_server.url, var / "spool")["journal files"] == 0
    connection = Redis.from_url(redis_server.url)
    queue = Queue(EVENT_QUEUE, connection=connection, serializer=JSONSerializer)
    assert connection.lmove(queue.key, queue.intermediate_queue_key)  # as a worker takes a job
    assert queue.count == 0
    assert not idle()
    assert log_backlog(redis_server.url, var / "spool")["intermediate"] == 1


def test_worker_alive_reports_a_registered_worker_of_this_host_only(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from rq import SimpleWorker

    from app.cli import main

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    runner = CliRunner()
    assert runner.invoke(main, ["worker-alive"]).exit_code == 1  # nobody registered yet
    worker = SimpleWorker(["hotline-events"], connection=Redis.from_url(redis_server.url))
    worker.register_birth()
    assert runner.invoke(main, ["worker-alive"]).exit_code == 0
    assert runner.invoke(main, ["worker-alive", "--host", "another-host"]).exit_code == 1
    worker.register_death()
    assert runner.invoke(main, ["worker-alive"]).exit_code == 1
    redis_server.stop()
    gone = runner.invoke(main, ["worker-alive"])
    assert gone.exit_code == 1 and "Redis unreachable" in gone.output
