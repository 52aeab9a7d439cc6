"""`hotline worker`: the RQ worker that persists call events (and works the notification queue).

It is RQ's SimpleWorker, which runs each job in its own process instead of forking a work horse
per job: a fork costs about 20 ms here, several times the job itself (about 4 ms), and buys an
isolation these jobs do not need, since they are idempotent and touch nothing but the database.
Jobs and results travel as JSON, never pickle. A worker runs only the project's own job functions
(app/jobs/allowed.py), and a job it was running when it died is taken back within two minutes
(docs/decisions/0011-host-and-workers.md).
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker, WorkerStatus

from app.eventlog import spool
from app.eventlog.sink import default_spool_path, replay_spool
from app.jobs.allowed import ProjectJob, refusal
from app.jobs.renamed import rename_moved_jobs
from app.notify.queueing import NOTIFY_QUEUE, queue_reminder_planning
from app.settings import EVENT_QUEUE
from app.storage import upgrade
from app.telemetry.logs import bound
from app.telemetry.logs import configure as configure_logging
from app.telemetry.series import JOBS

log = logging.getLogger(__name__)

# A running job's claim in RQ's started registry is renewed every JOB_HEARTBEAT s and lapses
# HEARTBEAT_GRACE s after the last renewal; a live worker's maintenance pass, every MAINTENANCE s,
# hands a lapsed job to its retry. A dead worker's job runs again within about two minutes
# (RQ's defaults: the job timeout plus 60 s, seen at a pass every 10 minutes).
JOB_HEARTBEAT = 15
HEARTBEAT_GRACE = 60
MAINTENANCE = 25
# An idle worker waits for a job for worker_ttl - 15 s at a time, then makes its pass.
WORKER_TTL = MAINTENANCE + 20
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")


class ProjectJobsOnly(BaseWorker):
    """Refuses a job that names any function but the project's before importing it: failed at
    once, never retried, with the reason in RQ's failed registry."""

    job_class = ProjectJob

    def execute_job(self, job: Job, queue: Queue) -> None:
        with bound(job_id=job.id, queue=queue.name, call_sid=call_sid_of(job)):
            self._execute_allowed(job, queue)

    def handle_job_success(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        super().handle_job_success(job, queue, *args, **kwargs)
        JOBS.labels(queue.name, "done").inc()

    def handle_job_failure(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        retried = job.should_retry and self._stopped_job_id != job.id  # read before RQ changes it
        super().handle_job_failure(job, queue, *args, **kwargs)
        JOBS.labels(queue.name, "retried" if retried else "failed").inc()

    def handle_job_retry(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> None:
        super().handle_job_retry(job, queue, *args, **kwargs)  # the job returned a Retry
        JOBS.labels(queue.name, "retried").inc()

    def _execute_allowed(self, job: Job, queue: Queue) -> None:
        try:
            reason = job.refusal() if isinstance(job, ProjectJob) else refusal(job)
        except Exception as exc:  # data that is no JSON job: fail the job, not the worker
            reason = f"refused: unreadable job ({type(exc).__name__})"
        if reason is None:
            super().execute_job(job, queue)
            return
        log.error("job %s %s", job.id, reason)
        job.retries_left = 0
        self.handle_job_failure(job, queue, exc_string=reason)
        queue.intermediate_queue.remove(job.id)  # a single-queue worker took it through there
        self.set_state(WorkerStatus.IDLE)


def call_sid_of(job: Job) -> str | None:
    """The call a job is about: its CallSid argument, or the one call of its batch of events."""
    try:
        args = job.args
    except Exception:  # unreadable: refused later, with its reason
        return None
    for arg in args:
        if isinstance(arg, str) and CALL_SID.match(arg):
            return arg
        if isinstance(arg, list):
            sids = {e.get("call_sid") for e in arg if isinstance(e, dict)}
            if len(sids) == 1 and isinstance(found := sids.pop(), str) and CALL_SID.match(found):
                return found
    return None


class HotlineSimpleWorker(ProjectJobsOnly, SimpleWorker):
    """SimpleWorker, with the heartbeat RQ gives only a forking worker's running job."""

    heartbeat_grace = HEARTBEAT_GRACE

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return int(self.job_monitoring_interval + self.heartbeat_grace)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with self._beating(job, execution):
            return super().perform_job(job, queue, execution)

    @contextmanager
    def _beating(self, job: Job, execution: Execution) -> Iterator[None]:
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.job_monitoring_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except (RedisError, OSError) as exc:  # the next beat tries again
                    log.warning("heartbeat of job %s failed: %s", job.id, exc)

        thread = threading.Thread(target=beat, name=f"heartbeat {job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(1.0)


class HotlineForkWorker(ProjectJobsOnly, Worker):
    """RQ's forking Worker (a work horse per job), with the same allow-list and timings."""


WORKER_CLASSES: dict[str, type[BaseWorker]] = {
    "simple": HotlineSimpleWorker, "fork": HotlineForkWorker}
TIMINGS: dict[str, Any] = {"job_monitoring_interval": JOB_HEARTBEAT,
                           "maintenance_interval": MAINTENANCE, "worker_ttl": WORKER_TTL}


def run_worker(
    redis_url: str,
    queues: Sequence[str] = (EVENT_QUEUE,),
    burst: bool = False,
    worker_class: str = "simple",
    *,
    spool_path: str | Path | None = None,
    migrate: bool = True,
    logging_level: str = "INFO",
) -> bool:
    """Work the queues (until empty with ``burst``); True if any job ran.

    First brings the database at ``DATABASE_URL`` to the latest schema (``migrate``) and queues
    what a web process on this host left in the spool.
    """
    if worker_class not in WORKER_CLASSES:
        raise ValueError(f"worker_class must be one of {sorted(WORKER_CLASSES)}")
    if migrate:
        upgrade()
    path = Path(spool_path) if spool_path else default_spool_path()
    if spool.pending(path):
        count = replay_spool(path, redis_url, EVENT_QUEUE if EVENT_QUEUE in queues else queues[-1])
        log.info("queued %d events from the spool %s", count, path)
    connection = Redis.from_url(redis_url)
    rename_moved_jobs(connection, queues)  # queued by a version before the layers moved them
    if NOTIFY_QUEUE in queues:
        queue_reminder_planning(connection)  # shift reminders, planned again at every start
    # What start-up built (modules, configuration, the schema's metadata) lives as long as the
    # worker: keep it out of the collector's full passes, which would walk it during every job
    # that allocates enough to trigger one (as app/wsgi.py does for the web workers).
    gc.freeze()
    pause = 1.0
    while True:
        try:
            worker = WORKER_CLASSES[worker_class](
                list(queues), connection=connection, serializer=JSONSerializer, **TIMINGS
            )
            return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if burst:
                raise
            # Redis went away: wait for it rather than exit (the web tier spools meanwhile).
            log.warning("Redis unreachable (%s); working again in %.0f s", exc, pause)
            time.sleep(pause)
            pause = min(30.0, pause * 2)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option("--queue", "queues", multiple=True, default=[EVENT_QUEUE], show_default=True,
              help=f"Queue to work on: {EVENT_QUEUE} (the call log) or {NOTIFY_QUEUE} "
                   "(notifications, alert calls, reminders).")
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """An RQ worker on REDIS_URL: by default it writes the call log to the database.

    One queue per worker: RQ hands a single-queue worker its job through an intermediate list,
    so a worker killed at that instant loses nothing; with several queues it cannot.
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        raise click.UsageError(
            "REDIS_URL is not set. `hotline run` starts Redis itself and prints its URL; "
            "for a separate worker, export REDIS_URL=redis://HOST:6379/0"
        )
    configure_logging()  # LOG_FORMAT: text, or json lines
    run_worker(url, list(queues), burst=burst)
