"""The call log's hand-off to notifications: stored events that end a call queue a job.

Called by the persisting job after it stored a batch. Cheap (no SQL, no configuration) and
idempotent: one job id per call and trigger, and the ledger holds each message once anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import Queue, get_current_job
from rq.serializers import JSONSerializer

# The tables of notifications and alerts live in the call log's database: loading them with the
# storage layer keeps Base.metadata whole for migrations and schema checks.
import app.alerts.models  # noqa: F401
import app.notify.models  # noqa: F401
from app.calls import events as ev
from app.notify.calls import ENDED, VOICEMAIL
from app.notify.queueing import NOTIFY_QUEUE, enqueue

# A call's last callbacks (recording status, a late dial result) may trail its end by seconds.
SETTLE = timedelta(seconds=15)


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
        count += enqueue(queue, "app.notify.jobs.notify_call", call_sid, trigger,
                         job_id=f"notify-{call_sid}-{trigger}", at=at)
    return count


def triggers(events: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(call, trigger) pairs: a recorded voicemail, a call's end."""
    found = set()
    for event in events:
        sid = event.get("call_sid")
        if not isinstance(sid, str) or not sid.isalnum():
            continue
        if event.get("type") == ev.VOICEMAIL_RECORDED:
            found.add((sid, VOICEMAIL))
        elif event.get("type") == ev.CALL_ENDED:
            found.add((sid, ENDED))
    return found
