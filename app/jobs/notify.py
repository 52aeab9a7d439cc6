"""RQ jobs that notify: about a call, before a shift, and the one job that sends any message.

Jobs take ids and primitives, find their :mod:`services <app.services>` themselves, and
are idempotent: the ledger holds each message once, a job id names each piece of work.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from rq import get_current_job
from sqlalchemy import select

from app.calls import events as ev
from app.jobs.renamed import current_name
from app.notify import ledger
from app.notify.calls import VOICEMAIL, plan_call, transcription
from app.notify.delivery import PermanentError, TransientError
from app.notify.dispatch import deliver, dispatch
from app.notify.queueing import enqueue
from app.notify.reminders import Handoff, next_handoffs, plan_reminder
from app.services import Services, current
from app.storage.models import EventRecord
from app.storage.notifications import Notification

log = logging.getLogger(__name__)


def send_notification(notification_id: int) -> str:
    """RQ job: send one recorded message; transient errors are retried, permanent ones kept."""
    svc = current()
    row = ledger.claim(svc.engine, notification_id, svc.clock())
    if row is None:
        return "already handled"
    try:
        provider_id = deliver(svc, row)
    except PermanentError as error:
        return _give_up(svc, row, error)
    except TransientError as error:
        job = get_current_job()
        if job is not None and (job.retries_left or 0) > 0:
            ledger.retry_later(svc.engine, row.id, error.message, error.code, svc.clock())
            raise
        return _give_up(svc, row, error)
    if provider_id is None:
        ledger.skipped(svc.engine, row.id, f"no {row.channel} provider configured", svc.clock())
        return "skipped"
    ledger.sent(svc.engine, row.id, provider_id, svc.clock())
    return "sent"


def _give_up(svc: Services, row: Notification, error: TransientError | PermanentError) -> str:
    ledger.failed(svc.engine, row.id, error.message, error.code, svc.clock())
    log.warning("notification %s to %s failed for good: %s", row.id, row.recipient, error.message)
    then = (row.data or {}).get("on_failure")
    if then:  # e.g. an alert page that cannot be placed: escalate now instead of waiting
        enqueue(svc.queue, current_name(then["func"]), *then["args"], job_id=then["job_id"])
    return "failed"


def notify_call(call_sid: str, trigger: str) -> str:
    """RQ job: the notifications a call's log calls for (see :mod:`app.notify.calls`)."""
    svc = current()
    events = call_events(svc, call_sid)
    if trigger == VOICEMAIL and _await_transcription(svc, call_sid, events):
        return "waiting for the transcription"
    items = plan_call(events, svc.config, svc.notifications, trigger,
                      svc.public_base_url, svc.who())
    return f"{len(dispatch(svc, items))} to send"


def call_events(svc: Services, call_sid: str) -> list[ev.Event]:
    table = EventRecord.__table__
    with svc.engine.connect() as conn:
        rows = conn.execute(select(table.c.key, table.c.type, table.c.call_sid, table.c.at,
                                   table.c.data).where(table.c.call_sid == call_sid)).mappings()
        return [dict(row) for row in rows]


def _await_transcription(svc: Services, call_sid: str, events: list[ev.Event]) -> bool:
    """Put the voicemail job off once, until its transcription may have arrived."""
    wait = svc.notifications.transcription_wait_seconds
    recorded = [e["at"] for e in events if e["type"] == ev.VOICEMAIL_RECORDED]
    if not wait or not recorded or transcription(events):
        return False
    due = min(recorded) + timedelta(seconds=wait)
    if svc.clock() >= due:
        return False
    return enqueue(svc.queue, "app.jobs.notify.notify_call", call_sid, VOICEMAIL,
                   job_id=f"notify-{call_sid}-voicemail-transcribed", at=due)


def plan_shift_reminders() -> int:
    """RQ job (and worker start-up): schedule a reminder before each rotation's next handoff."""
    svc = current()
    lead = timedelta(minutes=svc.notifications.shift_reminder_minutes)
    if not lead:
        return 0
    now = svc.clock()
    count = 0
    for handoff in next_handoffs(svc.config.rotations, now):
        count += enqueue(svc.queue, "app.jobs.notify.remind_shift", handoff.rotation,
                         handoff.at.isoformat(), job_id=f"reminder-{handoff.key}",
                         at=max(handoff.at - lead, now))
    return count


def remind_shift(rotation_id: str, handoff_at: str) -> str:
    """RQ job: remind whoever takes over at the handoff, then plan the following reminder."""
    svc = current()
    handoff = Handoff(rotation_id, datetime.fromisoformat(handoff_at))
    sent = dispatch(svc, plan_reminder(svc.config, handoff, svc.who()))
    enqueue(svc.queue, "app.jobs.notify.plan_shift_reminders",
            job_id=f"reminders-after-{handoff.key}", at=handoff.at + timedelta(seconds=1))
    return f"{len(sent)} to send"
