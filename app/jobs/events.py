"""The call log's RQ job: store a batch of events, then queue the notifications they call for.

Stored events that end a call queue one notification job per call and trigger: cheap (no SQL,
no configuration) and idempotent, one job id per call and trigger, and the ledger holds each
message once anyway. Each call's end is settled a while later: a batch of ``call.settled``
events of this queue, stored as any, after which the call counts (``queue_settling``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError
from rq.serializers import JSONSerializer

from app.calls import events as ev
from app.eventlog.queueing import (
    DB_RETRY,
    FAILURE_TTL,
    JOB_TIMEOUT,
    PERSIST_JOB,
    RESULT_TTL,
    batch_job_id,
)
from app.notify.calls import CALLBACK, ENDED, TRANSCRIBED, VOICEMAIL
from app.notify.queueing import enqueue
from app.settings import NOTIFY_QUEUE
from app.storage.db import default_database_url, get_engine
from app.storage.store import store_events

# A call's last callbacks (recording status, a late dial result) may trail its end by seconds.
SETTLE = timedelta(seconds=15)
SETTLE_PREFIX = "settle-"  # the job ids of the settling batches


def persist_events(events: list[dict[str, Any]]) -> int:
    """RQ job: store ``events`` in the database at ``DATABASE_URL``; returns how many were new.

    Idempotent: a second run, or a concurrent one in another worker, leaves the same rows.
    Then queues the notifications for calls these events end (voicemail, missed), once each.
    """
    stored = store_events(get_engine(default_database_url()), events)
    queue_call_notifications(events)
    queue_settling(events)
    return stored


def queue_call_notifications(events: Iterable[dict[str, Any]]) -> int:
    """Queue ``notify_call`` for calls these events end; 0 outside an RQ job."""
    job = get_current_job()
    if job is None:
        return 0
    queue = Queue(NOTIFY_QUEUE, connection=job.connection, serializer=JSONSerializer)
    now = datetime.now(UTC)
    count = 0
    for call_sid, trigger in sorted(triggers(events)):
        at = now + SETTLE if trigger == ENDED else None
        count += enqueue(queue, "app.jobs.notify.notify_call", call_sid, trigger,
                         job_id=f"notify-{call_sid}-{trigger}", at=at)
    return count


def triggers(events: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(call, trigger) pairs: a recorded voicemail, its transcription, a call's end."""
    found = set()
    for event in events:
        sid = event.get("call_sid")
        if not isinstance(sid, str) or not sid.isalnum():
            continue
        if event.get("type") == ev.VOICEMAIL_RECORDED:
            found.add((sid, VOICEMAIL))
        elif event.get("type") == ev.VOICEMAIL_TRANSCRIBED:
            found.add((sid, TRANSCRIBED))
        elif event.get("type") == ev.CALL_ENDED:
            found.add((sid, ENDED))
        elif event.get("type") == ev.CALLBACK_REQUESTED:
            found.add((sid, CALLBACK))
    return found


def queue_settling(events: Iterable[dict[str, Any]]) -> int:
    """Queue, ``SETTLE`` from now, the storing of ``call.settled`` for the calls these events
    end (a batch of this queue, retried as any; its id from its keys, so once); 0 outside an
    RQ job. The call counts then, with what its log shows (:mod:`app.storage.counted`)."""
    job = get_current_job()
    due = datetime.now(UTC) + SETTLE
    settled = settling_events(events, due)
    if job is None or not settled:
        return 0
    queue = Queue(job.origin, connection=job.connection, serializer=JSONSerializer)
    try:
        queue.enqueue_at(due, PERSIST_JOB, settled,
                         job_id=settle_job_id(settled), unique=True, retry=DB_RETRY,
                         result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, job_timeout=JOB_TIMEOUT,
                         description=f"settle {len(settled)} calls")
    except DuplicateJobError:
        return 0
    return len(settled)


def settle_job_id(settled: list[dict[str, Any]]) -> str:
    """The settling batch's job id: from its keys, as any batch's, told apart by its prefix."""
    return SETTLE_PREFIX + batch_job_id(settled).removeprefix("events-")


def settling_events(events: Iterable[dict[str, Any]], due: datetime | None = None,
                    ) -> list[dict[str, Any]]:
    """One ``call.settled`` event per call these events end, at ``due`` (when it is stored: a
    waiting one never makes the log's lag look older)."""
    ended = sorted(sid for sid, trigger in triggers(events) if trigger == ENDED)
    return [ev.make_event(ev.CALL_SETTLED, sid, "settled", {}, at=due) for sid in ended]
