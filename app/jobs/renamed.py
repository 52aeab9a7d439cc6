"""The jobs' names before the layers moved them (docs/decisions/0007-layers.md), and the renaming.

RQ keeps a job's function as a dotted path, and a notification's ``on_failure`` keeps one in the
database: a job queued or scheduled by an older version (a reminder days ahead, an alert's next
step) must still run after an upgrade. ``hotline worker`` renames what waits in its queues at
start; ``current_name`` maps a path read from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from redis import Redis
from rq import Queue
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

MOVED_MODULES = {
    "app.storage.jobs": "app.jobs.events",
    "app.notify.jobs": "app.jobs.notify",
    "app.alerts.jobs": "app.jobs.alerts",
}


def current_name(func_name: str) -> str:
    """Where the job ``func_name`` lives now."""
    module, _, name = func_name.rpartition(".")
    return f"{MOVED_MODULES[module]}.{name}" if module in MOVED_MODULES else func_name


def waiting_job_ids(queue: Queue) -> set[str]:
    """Every job of ``queue`` that may still run: queued, scheduled, deferred, started, failed."""
    ids = set(queue.get_job_ids())
    for registry in (queue.scheduled_job_registry, queue.deferred_job_registry,
                     queue.started_job_registry, queue.failed_job_registry):
        ids.update(registry.get_job_ids(cleanup=False))
    return ids


def readable_job(connection: Redis, job_id: str) -> tuple[Job | None, str]:
    """The job and its function's path; (None, "") for a job gone or unreadable (left as is:
    the worker fails it with its reason when its turn comes)."""
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
        return job, job.func_name or ""
    except NoSuchJobError:
        return None, ""
    except (DeserializationError, ValueError, TypeError) as error:
        log.warning("job %s left as is: cannot read it (%s)", job_id, error)
        return None, ""


def rename_moved_jobs(connection: Redis, queue_names: Iterable[str]) -> int:
    """Give the waiting jobs of these queues their functions' current paths; how many changed."""
    renamed = 0
    for name in queue_names:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        for job_id in sorted(waiting_job_ids(queue)):
            job, old = readable_job(connection, job_id)
            new = current_name(old)
            if job is not None and new != old:
                job.func_name = new
                job.save()
                renamed += 1
    if renamed:
        log.info("renamed %d queued jobs to their functions' current paths", renamed)
    return renamed
