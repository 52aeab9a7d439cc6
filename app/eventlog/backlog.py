"""What waits to be done, read when someone asks (``/metrics``, ``/readyz``), never by a call.

The queues' depth by state, and the oldest call event not stored yet: in a queued, retrying or
running batch of the call log's queue, or in this host's spool. Reads only (no registry
clean-up), on a Redis client with short timeouts; failed jobs are counted, not aged (they wait
for someone to requeue them, and have their own alert).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from app.calls.ledger import parse_at

STATES = ("queued", "scheduled", "started", "failed")
SAMPLE = 20  # batches looked into per place: the oldest are at the front


@dataclass(frozen=True)
class Backlog:
    depths: dict[tuple[str, str], int] = field(default_factory=dict)  # (queue, state): jobs
    oldest_event: datetime | None = None


def read_backlog(connection: Redis, queues: Sequence[str], event_queue: str) -> Backlog:
    """Depths of ``queues`` and the oldest event waiting in ``event_queue``'s batches."""
    depths: dict[tuple[str, str], int] = {}
    for name in queues:
        queue = Queue(name, connection=connection, serializer=JSONSerializer)
        depths[(name, "queued")] = queue.count
        for state, registry in (("scheduled", queue.scheduled_job_registry),
                                ("started", queue.started_job_registry),
                                ("failed", queue.failed_job_registry)):
            depths[(name, state)] = registry.get_job_count(cleanup=False)
    return Backlog(depths, oldest_in_queue(connection, event_queue))


def oldest_in_queue(connection: Redis, name: str) -> datetime | None:
    queue = Queue(name, connection=connection, serializer=JSONSerializer)
    ids = [*queue.get_job_ids(0, SAMPLE),
           *queue.scheduled_job_registry.get_job_ids(0, SAMPLE - 1, cleanup=False),
           *queue.started_job_registry.get_job_ids(0, SAMPLE - 1, cleanup=False)]
    jobs = Job.fetch_many(list(dict.fromkeys(ids)), connection=connection,
                          serializer=JSONSerializer)
    return oldest(event for job in jobs if job is not None for event in events_of(job))


def events_of(job: Job) -> list[Any]:
    try:
        events = job.args[0] if job.args else []
    except Exception:  # a job we cannot read has no age to tell
        return []
    return events if isinstance(events, list) else []


def oldest(events: Iterable[Any]) -> datetime | None:
    found: datetime | None = None
    for event in events:
        try:
            at = parse_at(event["at"])
        except (KeyError, TypeError, ValueError):
            continue
        found = at if found is None or at < found else found
    return found


def spool_files(path: Path) -> list[Path]:
    """The spool's live file and any replay left unfinished (app/eventlog/spool.py)."""
    return [p for p in (path, *path.parent.glob(f"{path.name}.*.replay")) if p.exists()]


def spool_backlog(path: Path) -> tuple[int, datetime | None]:
    """Bytes waiting in this host's spool, and its oldest event (each file's first line)."""
    size, firsts = 0, []
    for found in spool_files(path):
        try:
            size += found.stat().st_size
            with found.open("rb") as file:
                firsts.append(file.readline())
        except OSError:  # replayed and removed meanwhile
            continue
    return size, oldest(_json(line) for line in firsts)


def _json(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None
