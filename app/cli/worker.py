"""The RQ worker that persists call events.

It is RQ's SimpleWorker, which runs each job in its own process instead of forking a work horse
per job: a fork costs about 20 ms here, several times the job itself (about 4 ms), and buys an
isolation these jobs do not need, since they are idempotent and touch nothing but the database.
Jobs and results travel as JSON, never pickle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer
from rq.worker import BaseWorker

from app.eventlog import spool
from app.eventlog.sink import default_spool_path, replay_spool
from app.jobs.renamed import rename_moved_jobs
from app.notify.queueing import NOTIFY_QUEUE, queue_reminder_planning
from app.settings import EVENT_QUEUE
from app.storage import upgrade

log = logging.getLogger(__name__)

WORKER_CLASSES: dict[str, type[BaseWorker]] = {"simple": SimpleWorker, "fork": Worker}


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
    pause = 1.0
    while True:
        try:
            worker = WORKER_CLASSES[worker_class](
                list(queues), connection=connection, serializer=JSONSerializer
            )
            return worker.work(burst=burst, with_scheduler=True, logging_level=logging_level)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if burst:
                raise
            # Redis went away: wait for it rather than exit (the web tier spools meanwhile).
            log.warning("Redis unreachable (%s); working again in %.0f s", exc, pause)
            time.sleep(pause)
            pause = min(30.0, pause * 2)
