"""The RQ side of the call log: what a web process still holds, what is queued, taken, running,
scheduled or spooled, and the maintenance a test runs instead of waiting for RQ's own."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from rq import SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from app.cli.worker import HEARTBEAT_GRACE, JOB_HEARTBEAT
from app.eventlog.queueing import event_queue
from app.jobs.events import SETTLE_PREFIX
from app.settings import EVENT_QUEUE
from tests.support.processes import Service
from tests.support.waiting import wait_until


def log_idle(redis_url: str, spool_dir: Path) -> Callable[[], bool]:
    """Whether no web process holds events, no job is queued, taken, running or scheduled for
    the log and nothing is spooled."""
    def idle() -> bool:
        backlog = log_backlog(redis_url, spool_dir)
        return not any(n for name, n in backlog.items() if name != "failed")
    return idle


def log_backlog(redis_url: str, spool_dir: Path) -> dict[str, int]:
    """What is still waiting or stuck on the way to the log: the web processes' journal files
    (one exists exactly while a process has events buffered or in flight), queued jobs, those a
    worker took off the queue and has not registered yet (RQ's intermediate list), jobs by
    registry, spooled files; not the settling of calls' ends, which waits on purpose
    (app.jobs.events.queue_settling).

    Read without RQ's registry cleanup, which would act on abandoned jobs as a side effect."""
    connection = Redis.from_url(redis_url)
    try:
        queue = event_queue(connection, EVENT_QUEUE)
        registries = {"started": StartedJobRegistry, "failed": FailedJobRegistry}
        scheduled = connection.zrange(ScheduledJobRegistry(queue=queue).key, 0, -1)
        return {
            "journal files": journal_files(spool_dir),
            "queued": queue.count,
            "intermediate": int(connection.llen(queue.intermediate_queue_key)),
            **{name: int(connection.zcard(kind(queue=queue).key)) for name, kind in registries.items()},
            "scheduled": sum(not job_id.startswith(SETTLE_PREFIX.encode()) for job_id in scheduled),
            "spooled files": len(list(spool_dir.glob("*"))) if spool_dir.exists() else 0,
        }
    finally:
        connection.close()


def settled_backlog(redis_url: str, spool_dir: Path, timeout: float = 30.0) -> dict[str, int]:
    """The backlog once nothing is on the way any more, or as it stands after ``timeout`` s.

    A complete log does not mean an idle one: the job that stored the last events is still
    registered as started until RQ finishes it, and a replayed spool's job runs although its
    events are stored already."""
    idle = log_idle(redis_url, spool_dir)
    try:
        wait_until(idle, timeout, "the log's backlog to drain", every=0.1)
    except AssertionError:
        pass  # the caller's assertion shows what is left
    return log_backlog(redis_url, spool_dir)


def journal_files(spool_dir: Path) -> int:
    """The web processes' journal files: ``var/journal``, next to ``var/spool`` (app/eventlog/
    sink.py), ``<pid>-<ns>.jsonl`` each (app/eventlog/journal.py)."""
    folder = spool_dir.parent / "journal"
    return len(list(folder.glob("*.jsonl"))) if folder.is_dir() else 0


def reclaim_abandoned_jobs(redis_url: str, older_than: float = 5.0) -> int:
    """Give back the jobs of workers that died, as RQ 3's maintenance will; how many.

    A worker's maintenance pass (when it starts, then every 25 s) takes back a job whose claim
    lapsed (75 s after its worker's last heartbeat) and, from a single-queue worker's
    intermediate list, a job taken off the queue but never started, once a minute has passed
    since a pass first saw it. Either is retried 2 s later by a scheduler. This runs those
    passes now, for jobs last heard of over ``older_than`` s ago, and makes the retries due.
    """
    connection = Redis.from_url(redis_url)
    try:
        queue = event_queue(connection, EVENT_QUEUE)
        started, scheduled = StartedJobRegistry(queue=queue), ScheduledJobRegistry(queue=queue)
        cutoff = time.time() - older_than + JOB_HEARTBEAT + HEARTBEAT_GRACE
        abandoned = set(started.get_expired_job_ids(cutoff))
        started.cleanup(timestamp=cutoff)
        intermediate = queue.intermediate_queue
        stuck = set(intermediate.get_job_ids()) - set(started.get_job_ids(cleanup=False))
        for job_id in stuck:
            connection.set(intermediate.get_first_seen_key(job_id), time.time() - 61)
        intermediate.cleanup(SimpleWorker([queue], connection=connection), queue)
        for job_id in (abandoned | stuck) & set(scheduled.get_job_ids(cleanup=False)):
            scheduled.requeue(job_id)
        return len(abandoned | stuck)
    finally:
        connection.close()


def freeze_inside_a_job(worker: Service, redis_url: str, timeout: float = 30.0) -> None:
    """SIGSTOP the worker at a moment it is running a log job (not between two jobs)."""
    connection = Redis.from_url(redis_url)
    started = StartedJobRegistry(queue=event_queue(connection, EVENT_QUEUE))

    def frozen_inside() -> bool:
        os.kill(worker.pid, signal.SIGSTOP)
        time.sleep(0.005)  # commands already sent still land
        ids = started.get_job_ids(cleanup=False)
        jobs = [Job.fetch(i, connection=connection, serializer=JSONSerializer) for i in ids]
        if jobs and all(job.get_status(refresh=False) == JobStatus.STARTED for job in jobs):
            return True
        os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.002)
        return False

    try:
        wait_until(frozen_inside, timeout, "the worker to be inside a job", every=0)
    finally:
        connection.close()
