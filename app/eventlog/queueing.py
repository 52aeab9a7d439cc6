"""One RQ job per batch of events: its id, its retry policy, and a Redis that fails fast."""

from __future__ import annotations

import hashlib
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from app.telemetry.series import handed_off

Event = dict[str, Any]

# By dotted path, so the web tier enqueues without importing SQLAlchemy.
PERSIST_JOB = "app.jobs.events.persist_events"
# A database that is down gets about half an hour before a job lands in the failed registry,
# where `rq requeue` (or a replay of the same batch) brings it back.
# Five quick retries for a passing glitch, then backing off: about half an hour of database
# downtime in all. One interval per retry: RQ reads a shorter list from its end.
DB_RETRY = Retry(max=10, interval=[2, 2, 2, 2, 2, 60, 120, 300, 600, 900])
RESULT_TTL = 60
FAILURE_TTL = 14 * 24 * 3600
JOB_TIMEOUT = 120
# What says "Redis is out of reach" (connection refused, timeouts, a read-only replica, OOM).
REDIS_DOWN = (RedisError, OSError)


def connect(redis_url: str, timeout: float = 1.0) -> Redis:
    """A client with short timeouts and a single immediate reconnect, for a thread that spools."""
    return Redis.from_url(
        redis_url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=RedisRetry(NoBackoff(), 1),
        health_check_interval=30,
    )


def event_queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def batch_job_id(events: list[Event]) -> str:
    """The same set of event keys always gives the same job id."""
    digest = hashlib.sha256("\n".join(sorted(e["key"] for e in events)).encode())
    return f"events-{digest.hexdigest()[:40]}"


def enqueue_batch(queue: Queue, events: list[Event]) -> Job | None:
    """Queue one persisting job for the batch; None if a job with its id already exists."""
    try:
        job = queue.enqueue(
            PERSIST_JOB,
            events,
            job_id=batch_job_id(events),
            unique=True,
            retry=DB_RETRY,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            job_timeout=JOB_TIMEOUT,
            description=f"persist {len(events)} call events",
        )
    except DuplicateJobError:
        return None
    handed_off("redis", len(events))
    return job
