"""`hotline worker` runs the project's own job functions only, and keeps a running job's claim alive."""

from __future__ import annotations

import importlib
import inspect
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.cli.worker import HotlineSimpleWorker, run_worker
from app.eventlog import PERSIST_JOB, enqueue_batch
from app.jobs.allowed import JOB_FUNCTIONS, ProjectJob
from app.jobs.events import SETTLE_PREFIX
from app.settings import EVENT_QUEUE
from app.storage import get_engine
from app.storage.models import EventRecord
from tests.support.constants import REPO
from tests.support.plugins.databases import sqlite_job_database


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from sqlite_job_database(tmp_path, monkeypatch)


def work(redis_url: str, tmp_path: Path, worker_class: str = "simple") -> bool:
    """A burst of the real worker in this process, leaving the test's signal handlers as found."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return run_worker(redis_url, [EVENT_QUEUE], burst=True, worker_class=worker_class,
                          spool_path=tmp_path / "spool.jsonl", migrate=False,
                          logging_level="WARNING")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def one_call(sid: str) -> list[ev.Event]:
    return [ev.make_event(ev.CALL_STARTED, sid, "start", {"from": "+4930", "to": "+49"}),
            ev.make_event(ev.CALL_ENDED, sid, "end", {"call_status": "completed"})]


def stored_sids(db_url: str) -> set[str]:
    with Session(get_engine(db_url)) as session:
        return set(session.scalars(select(EventRecord.call_sid)))


def failure_of(job: Job) -> str:
    result = job.latest_result()
    return result.exc_string if result is not None and result.exc_string else ""


# --- only the project's job functions run ------------------------------------------------------

@pytest.mark.parametrize("worker_class", ["simple", "fork"])
def test_a_job_naming_any_other_function_is_refused_and_never_runs(
    tmp_path: Path, redis_url: str, db_url: str, worker_class: str
) -> None:
    marker = tmp_path / "the-job-ran"
    queue = Queue(EVENT_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    hostile = queue.enqueue("os.system", f"touch {marker}", retry=Retry(max=3))
    # A project function with a callback that is not one: the callback would run after it.
    called_back = queue.enqueue(PERSIST_JOB, one_call("CA" + "2" * 32),
                                on_success=Callback("builtins.print"))
    project = enqueue_batch(queue, one_call("CA" + "1" * 32))
    old_name = queue.enqueue("app.storage.jobs.persist_events", one_call("CA" + "3" * 32))
    assert project is not None

    work(redis_url, tmp_path, worker_class)

    assert not marker.exists(), "os.system ran in the worker"
    failed = FailedJobRegistry(queue=queue).get_job_ids(cleanup=False)
    for job, named in ((hostile, "os.system"), (called_back, "builtins.print")):
        job.refresh()
        assert job.get_status() == JobStatus.FAILED
        assert job.id in failed
        assert f"refused: {named} is not a job of this hotline" in failure_of(job)
    waiting = ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False)
    assert [job_id for job_id in waiting if not job_id.startswith(SETTLE_PREFIX)] == []  # no retry
    assert queue.count == 0 and queue.intermediate_queue.get_job_ids() == []
    assert project.get_status(refresh=True) == JobStatus.FINISHED
    assert old_name.get_status(refresh=True) == JobStatus.FINISHED  # queued by an older version
    assert stored_sids(db_url) == {"CA" + "1" * 32, "CA" + "3" * 32}


def test_a_failure_callback_of_an_abandoned_job_is_not_called_by_the_maintenance(
    redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = Redis.from_url(redis_url)
    queue = Queue(EVENT_QUEUE, connection=connection, serializer=JSONSerializer)
    job = queue.enqueue(PERSIST_JOB, [], on_failure=Callback("builtins.print"))
    # As if a worker had taken it and died long ago: RQ calls the failure callback on cleanup.
    assert queue.pop_job_id() == job.id
    job.set_status(JobStatus.STARTED)
    connection.zadd(StartedJobRegistry(queue=queue).key, {f"{job.id}:gone": 1})
    worker = HotlineSimpleWorker([EVENT_QUEUE], connection=connection, serializer=JSONSerializer)
    worker.clean_registries()
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "AbandonedJobError" not in capsys.readouterr().out  # print(job, connection, ...)


def test_every_job_the_code_queues_is_on_the_list_and_each_entry_is_a_function() -> None:
    source = "\n".join(p.read_text() for p in (REPO / "app").rglob("*.py"))
    queued = set(re.findall(r"[\"'](app\.jobs\.\w+\.\w+)[\"']", source))
    assert queued and queued <= JOB_FUNCTIONS, queued - JOB_FUNCTIONS
    for path in JOB_FUNCTIONS:
        module, _, name = path.rpartition(".")
        function = getattr(importlib.import_module(module), name)
        assert inspect.isfunction(function) and function.__module__ == module, path


# --- a running job keeps its claim; a dead worker's does not -----------------------------------

def slow_job(marker: str, seconds: float) -> str:
    with open(marker, "a") as file:
        file.write("ran\n")
    time.sleep(seconds)
    return "done"


class WithSlowJob(ProjectJob):
    functions = JOB_FUNCTIONS | {f"{__name__}.slow_job"}


class QuickBeats(HotlineSimpleWorker):
    heartbeat_grace = 2  # a claim lapses 3 s after its last heartbeat instead of 75 s


def test_a_live_workers_job_outlasting_its_claim_is_never_taken_back(
    tmp_path: Path, redis_url: str
) -> None:
    connection = Redis.from_url(redis_url)
    queue = Queue(EVENT_QUEUE, connection=connection, serializer=JSONSerializer)
    marker = tmp_path / "runs"
    job = queue.enqueue(f"{__name__}.slow_job", str(marker), 8, retry=Retry(max=3),
                        job_timeout=60)
    started = StartedJobRegistry(queue=queue)
    stop, lapsed = threading.Event(), []

    def other_workers_maintenance() -> None:  # what a live worker's pass does, 5 times a second
        while not stop.wait(0.2):
            lapsed.extend(started.get_expired_job_ids())
            started.cleanup()

    maintenance = threading.Thread(target=other_workers_maintenance, daemon=True)
    maintenance.start()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = QuickBeats([queue], connection=connection, serializer=JSONSerializer,
                            job_class=WithSlowJob, job_monitoring_interval=1)
        assert worker.work(burst=True, logging_level="WARNING")
    finally:
        stop.set()
        maintenance.join()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert lapsed == []
    assert marker.read_text() == "ran\n"
    job.refresh()
    assert (job.get_status(), job.retries_left) == (JobStatus.FINISHED, 3)
    assert ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False) == []
