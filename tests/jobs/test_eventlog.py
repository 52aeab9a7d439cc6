"""The event hand-off against a real Redis server and a SimpleWorker: queue, spool, replay."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.job import JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.cli.worker import run_worker
from app.eventlog import (
    PERSIST_JOB,
    EventSink,
    batch_job_id,
    enqueue_batch,
    replay_spool,
)
from app.eventlog import spool as spool_file
from app.jobs.events import persist_events
from app.settings import EVENT_QUEUE
from app.storage import SynchronousSink, get_engine, store_events, upgrade
from app.storage.models import Call
from tests.support.constants import REPO
from tests.support.event_handoff import call_events, stored_keys, wait_for, work_events
from tests.support.plugins.databases import sqlite_job_database
from tests.support.redis import RedisServer, start_redis_server
from tests.support.sql import snapshot


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from sqlite_job_database(tmp_path, monkeypatch)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool" / "events.jsonl"


def queued_jobs(redis_url: str) -> int:
    return Queue(EVENT_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer).count


def test_emitted_events_reach_the_database(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    sink = EventSink(redis_server.url, spool_path=spool)
    events = call_events(20)
    for start in range(0, len(events), 3):  # a webhook emits a few events at a time
        sink.emit(events[start:start + 3])
    assert sink.flush(5)
    jobs = queued_jobs(redis_server.url)
    assert 1 <= jobs < len(events) / 3  # batched: fewer jobs than emits
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)
    with Session(get_engine(db_url)) as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 20
        assert set(session.scalars(select(Call.outcome))) == {"abandoned"}
    assert not spool_file.pending(spool)


def test_a_job_is_json_with_its_id_retry_and_ttl(redis_server: RedisServer, spool: Path) -> None:
    sink = EventSink(redis_server.url, spool_path=spool, linger=0.2)
    events = call_events(2)
    sink.emit(events)
    assert sink.flush(5)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    (job,) = queue.jobs
    assert job.id == batch_job_id(events) == batch_job_id(list(reversed(events)))
    assert job.func_name == PERSIST_JOB and job.func is persist_events
    assert list(job.args) == [events]
    assert (job.retries_left, job.retry_intervals) == (10, [2, 2, 2, 2, 2, 60, 120, 300, 600, 900])
    assert job.result_ttl == 60
    raw = queue.connection.hget(job.key, "data")
    assert isinstance(raw, bytes)
    assert json.loads(zlib.decompress(raw))[2] == [events]  # JSON on the wire, not pickle


def test_redis_down_spools_then_replays_each_event_once(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    sink = EventSink(redis_server.url, spool_path=spool, max_backoff=0.5)
    before, during, after = call_events(5, prefix="CA1"), call_events(30, prefix="CA2"), \
        call_events(5, prefix="CA3")
    sink.emit(before)
    assert sink.flush(5)
    assert work_events(redis_server.url, spool)
    redis_server.stop()
    took = []
    for event in during:
        start = time.perf_counter()
        sink.emit([event])
        took.append(time.perf_counter() - start)
    # nothing waits on Redis (a wait would cost a connection attempt, or a 1 s timeout)
    assert statistics.median(took) < 50e-6 and max(took) < 0.05
    assert sink.flush(10)
    assert sink.redis_down
    assert len(spool_file.read(spool)) == len(during)
    redis_server.start()  # same port, empty
    sink.emit(after)
    # A replay renames the spool before it queues it: done once the sink has seen Redis back.
    wait_for(lambda: not spool_file.pending(spool) and not sink.redis_down)
    assert sink.flush(10)
    assert work_events(redis_server.url, spool)
    keys = stored_keys(db_url)
    assert sorted(keys) == sorted(e["key"] for e in before + during + after)


def test_a_hung_redis_mid_burst_loses_and_doubles_nothing(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    """Frozen Redis: requests time out, yet some may still be carried out once it wakes, so a
    batch can be both queued and spooled. The rows must come out once each all the same."""
    sink = EventSink(redis_server.url, spool_path=spool, max_backoff=0.5, linger=0)
    events = call_events(60, per_call=5)
    third = len(events) // 3
    took = []
    for i, event in enumerate(events):
        if i == third:
            redis_server.pause()
        if i == 2 * third:
            wait_for(lambda: sink.redis_down or spool_file.pending(spool))
            redis_server.resume()
        start = time.perf_counter()
        sink.emit([event])
        took.append(time.perf_counter() - start)
        time.sleep(0.002)
    assert max(took) < 0.1  # while the sink's thread sat in 1 s timeouts
    wait_for(lambda: not spool_file.pending(spool) and not sink.redis_down)
    assert sink.flush(10)
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)


def test_replay_takes_over_what_a_dead_process_left(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    first, second = call_events(3, prefix="CA1"), call_events(3, prefix="CA2")
    spool_file.append(spool, first)
    # a replay that died midway: the file was renamed, then nothing
    spool.rename(spool.with_name(spool.name + ".4242-1.replay"))
    spool_file.append(spool, second[:5])
    with spool.open("ab") as torn:
        torn.write(b'{"key": "half a li')  # a writer killed mid-line
    spool_file.append(spool, second[5:])
    assert replay_spool(spool, redis_server.url) == len(first) + len(second)
    assert not spool_file.pending(spool)
    assert replay_spool(spool, redis_server.url) == 0
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in first + second)


def test_a_new_sink_replays_what_an_earlier_process_spooled(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    earlier, now = call_events(3, prefix="CA1"), call_events(1, prefix="CA2")
    spool_file.append(spool, earlier)
    sink = EventSink(redis_server.url, spool_path=spool)
    sink.emit(now)
    wait_for(lambda: not spool_file.pending(spool))
    assert sink.flush(5)
    assert work_events(redis_server.url, spool.with_name("elsewhere.jsonl"))
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in earlier + now)


def test_replay_failure_keeps_the_file(tmp_path: Path, spool: Path) -> None:
    url, stop = start_redis_server(tmp_path / "r")
    stop()
    spool_file.append(spool, call_events(1))
    with pytest.raises(RedisConnectionError):
        replay_spool(spool, url)
    assert spool_file.pending(spool)
    assert len(spool_file.read(next(spool.parent.glob("*.replay")))) == 6


def test_a_spool_file_that_cannot_be_replayed_holds_back_no_other(tmp_path: Path,
                                                                  spool: Path) -> None:
    """One spool file's replay keeps failing (a batch no queue takes): the files after it are
    still queued, the failing one stays for the next replay, and the error is raised after."""
    poison, later = call_events(1, prefix="CA1"), call_events(1, prefix="CA2")
    spool_file.append(spool, poison)
    spool.rename(spool.with_name(spool.name + ".1-1.replay"))  # sorts first
    spool_file.append(spool, later)
    queued: list[str] = []

    def enqueue(batch: list[ev.Event]) -> None:
        if batch[0]["call_sid"] == poison[0]["call_sid"]:
            raise RuntimeError("not a Redis error")
        queued.extend(e["key"] for e in batch)

    with pytest.raises(RuntimeError):
        spool_file.replay(spool, enqueue)
    assert sorted(queued) == sorted(e["key"] for e in later)
    left = [e for found in spool.parent.glob("*.replay") for e in spool_file.read(found)]
    assert sorted(e["key"] for e in left) == sorted(e["key"] for e in poison)


def test_the_worker_replays_the_spool_it_finds(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    events = call_events(2)
    spool_file.append(spool, events)
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)


def test_a_database_that_is_down_gets_retries(
    redis_server: RedisServer, db_url: str, spool: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-a-folder' / 'x.db'}")
    sink = EventSink(redis_server.url, spool_path=spool)
    events = call_events(1)
    sink.emit(events)
    assert sink.flush(5)
    work_events(redis_server.url, spool)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    job = queue.fetch_job(batch_job_id(events))
    assert job is not None
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 9
    monkeypatch.setenv("DATABASE_URL", db_url)  # the database is back
    time.sleep(2.2)  # the first retry interval
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)


def test_a_forked_child_ships_through_its_own_thread(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    sink = EventSink(redis_server.url, spool_path=spool)
    parent_events, child_events = call_events(2, prefix="CA1"), call_events(2, prefix="CA2")
    sink.emit(parent_events)  # the parent's thread is running when the child is forked
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # newer Pythons warn on fork+threads
        pid = os.fork()
    if pid == 0:
        sink.emit(child_events)
        os._exit(0 if sink.flush(5) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sink.flush(5)
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in parent_events + child_events)


@pytest.mark.parametrize("batch_size", [1, 200])
def test_a_batch_that_fails_unexpectedly_is_shipped_again(
    redis_server: RedisServer, spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    batch_size: int,
) -> None:
    """A failure other than Redis's (those go to the spool): the batch waits in the buffer and
    the journal and leaves again after a pause. One event a batch: the journal that holds both
    events is deleted once the second is queued, so the first must not be dropped either."""
    attempts: list[list[str]] = []

    def fails_once(queue: Queue, events: list[ev.Event]) -> object:
        attempts.append([e["key"] for e in events])
        if len(attempts) == 1:
            raise RuntimeError("not a Redis error")
        return enqueue_batch(queue, events)

    monkeypatch.setattr("app.eventlog.sink.enqueue_batch", fails_once)
    journal = tmp_path / "journal"
    sink = EventSink(redis_server.url, spool_path=spool, journal_dir=journal,
                     batch_size=batch_size, linger=0)
    events = call_events(1, per_call=2)
    sink.emit(events)
    assert sink.flush(10)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    queued = [e["key"] for job in queue.jobs for e in job.args[0]]
    assert sorted(queued) == sorted(e["key"] for e in events), attempts
    assert list(journal.glob("*.jsonl")) == []
    assert not spool_file.pending(spool)


def test_a_batch_that_keeps_failing_goes_to_the_spool_and_holds_back_nothing(
    redis_server: RedisServer, spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After three failed tries the batch is spooled (replayed with the spool) and the events
    emitted after it are queued as usual."""
    poison = call_events(1, per_call=2, prefix="CAx")
    poison_keys = {e["key"] for e in poison}

    def fails_for_poison(queue: Queue, events: list[ev.Event]) -> object:
        if poison_keys & {e["key"] for e in events}:
            raise RuntimeError("not a Redis error")
        return enqueue_batch(queue, events)

    monkeypatch.setattr("app.eventlog.sink.enqueue_batch", fails_for_poison)
    journal = tmp_path / "journal"
    sink = EventSink(redis_server.url, spool_path=spool, journal_dir=journal, linger=0)
    sink.emit(poison)
    assert sink.flush(10)
    later = call_events(1, per_call=2, prefix="CAy")
    sink.emit(later)
    assert sink.flush(10)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    assert sorted(e["key"] for job in queue.jobs for e in job.args[0]) == \
        sorted(e["key"] for e in later)
    spooled = [e for found in spool.parent.glob(f"{spool.name}*") for e in spool_file.read(found)]
    assert sorted(e["key"] for e in spooled) == sorted(poison_keys)  # kept for the next replay
    assert list(journal.glob("*.jsonl")) == []


def test_emit_from_many_threads(redis_server: RedisServer, db_url: str, spool: Path) -> None:
    sink = EventSink(redis_server.url, spool_path=spool, batch_size=50)
    events = call_events(40)

    def web_worker(chunk: list[ev.Event]) -> None:
        for event in chunk:
            sink.emit([event])

    threads = [threading.Thread(target=web_worker, args=(events[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sink.flush(5)
    assert work_events(redis_server.url, spool)
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)


def test_two_worker_processes_with_overlapping_jobs(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    events = call_events(12)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    shuffled = list(events)
    random.Random(5).shuffle(shuffled)
    for batch in [events[i:i + 7] for i in range(0, len(events), 7)] + \
            [shuffled[i:i + 5] for i in range(0, len(events), 5)]:
        enqueue_batch(queue, batch)
    code = (
        "import sys; from app.cli.worker import run_worker; "
        "run_worker(sys.argv[1], ['hotline-events'], burst=True, migrate=False, "
        "spool_path=sys.argv[2], logging_level='WARNING')"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, redis_server.url, str(spool)],
                         cwd=REPO)
        for _ in range(2)
    ]
    assert [w.wait(60) for w in workers] == [0, 0]
    assert queue.count == 0
    concurrent = snapshot(get_engine(db_url))
    reference_url = f"sqlite:///{spool.parent / 'reference.db'}"
    upgrade(reference_url)
    store_events(get_engine(reference_url), events)
    assert concurrent == snapshot(get_engine(reference_url))
    assert len(concurrent["events"]) == len(events)


def test_synchronous_sink_writes_straight_away(db_url: str) -> None:
    sink = SynchronousSink(db_url)
    events = call_events(1)
    sink.emit(events)
    assert sink.flush() is True
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)


def test_unknown_worker_class(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="worker_class"):
        run_worker(redis_server.url, [EVENT_QUEUE], worker_class="threads", migrate=False)


def test_a_batch_queued_before_the_upgrade_is_stored_by_the_new_worker(
    redis_server: RedisServer, db_url: str, spool: Path
) -> None:
    """Jobs of a version whose persisting job was ``app.storage.jobs.persist_events``."""
    events = call_events(2)
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_server.url),
                  serializer=JSONSerializer)
    queue.enqueue("app.storage.jobs.persist_events", events, job_id=batch_job_id(events))
    assert work_events(redis_server.url, spool) is True
    assert sorted(stored_keys(db_url)) == sorted(e["key"] for e in events)
    assert len(queue.failed_job_registry) == 0
