"""The notification queue and how work is put on it: named jobs, queued once (no SQL here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from app.settings import NOTIFY_QUEUE

RESULT_TTL = 24 * 3600  # a finished job's id keeps blocking a duplicate this long
FAILURE_TTL = 14 * 24 * 3600


def enqueue(queue: Queue, func: str, *args: Any, job_id: str, at: datetime | None = None,
            now: datetime | None = None, retry: Retry | None = None,
            description: str = "") -> bool:
    """Queue ``func`` (a dotted path) now or ``at``; False if a job with ``job_id`` exists.

    ``now``: the app's clock that ``at`` was reckoned on; RQ's scheduler runs on the wall
    clock, so the job is due ``at - now`` from the wall clock's now (the same in production,
    where the app's clock is the wall clock; not in a test whose clock stands still)."""
    options: dict[str, Any] = dict(job_id=job_id, unique=True, retry=retry,
                                   result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                                   job_timeout=120, description=description or job_id)
    try:
        if at is None:
            queue.enqueue(func, *args, **options)
        elif now is not None:
            queue.enqueue_in(max(at - now, timedelta(0)), func, *args, **options)
        else:
            queue.enqueue_at(at, func, *args, **options)
    except DuplicateJobError:
        return False
    return True


def queue_reminder_planning(connection: Redis) -> None:
    """At a worker's start: plan the shift reminders (a job; planning twice changes nothing)."""
    Queue(NOTIFY_QUEUE, connection=connection, serializer=JSONSerializer).enqueue(
        "app.jobs.notify.plan_shift_reminders", result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        description="plan shift reminders")
