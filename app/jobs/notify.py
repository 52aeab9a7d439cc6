"""RQ jobs that notify: about a call, before a shift, of a takeover, and the one that sends.

Jobs take ids and primitives, find their :mod:`services <app.services>` themselves, and
are idempotent: the ledger holds each message once, a job id names each piece of work.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from rq import Retry, get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import stop
from app.jobs.follow_ups import tell_call
from app.jobs.renamed import current_name
from app.notify import ledger
from app.notify.delivery import PermanentError, TransientError
from app.notify.dispatch import SEND_RETRY, deliver, dispatch
from app.notify.queueing import enqueue
from app.notify.reminders import Handoff, next_handoffs, plan_reminder
from app.notify.takeovers import GIVEBACK, Takeover, displaced, plan_takeover
from app.services import Services, current
from app.storage.models import OverrideRow
from app.storage.notifications import Notification
from app.storage.overrides import as_domain
from app.telemetry.series import NOTIFICATIONS

log = logging.getLogger(__name__)


def send_notification(notification_id: int) -> str | Retry:
    """RQ job: send one recorded message; transient errors are retried, permanent ones kept."""
    svc = current()
    row = ledger.claim(svc.engine, notification_id, svc.clock())
    if row is None:
        return "already handled"
    unwanted = stop.unwanted(svc, row)  # an alert page, its alert over while it waited
    if unwanted is not None:
        return stop.drop(svc, row, unwanted)
    try:
        provider_id = deliver(svc, row)
    except PermanentError as error:
        return _give_up(svc, row, error)
    except TransientError as error:
        return _retry_or_give_up(svc, row, error)
    if provider_id is None:
        ledger.skipped(svc.engine, row.id, f"no {row.channel} provider configured", svc.clock())
        NOTIFICATIONS.labels(row.channel, "skipped").inc()
        return "skipped"
    ledger.sent(svc.engine, row.id, provider_id, svc.clock())
    NOTIFICATIONS.labels(row.channel, "sent").inc()
    stop.end_if_over(svc, row, provider_id)
    return "sent"


def _retry_or_give_up(svc: Services, row: Notification, error: TransientError) -> str | Retry:
    """An expected failure: one line in the log and RQ's next try (a returned Retry, so the
    worker logs no traceback), until the tries run out."""
    job = get_current_job()
    tries = SEND_RETRY.max if job is None else job.number_of_retries or 0
    if tries >= SEND_RETRY.max:
        return _give_up(svc, row, error)
    ledger.retry_later(svc.engine, row.id, error.message, error.code, svc.clock())
    NOTIFICATIONS.labels(row.channel, "retried").inc()
    log.warning("notification %s (%s to %s) not sent: %s; retry in %s s", row.id, row.channel,
                row.recipient, error.message, Retry.get_interval(tries, SEND_RETRY.intervals))
    return SEND_RETRY


def _give_up(svc: Services, row: Notification, error: TransientError | PermanentError) -> str:
    ledger.failed(svc.engine, row.id, error.message, error.code, svc.clock())
    NOTIFICATIONS.labels(row.channel, "failed").inc()
    log.warning("notification %s to %s failed for good: %s", row.id, row.recipient, error.message)
    then = (row.data or {}).get("on_failure")
    if then:  # e.g. an alert page that cannot be placed: escalate now instead of waiting
        enqueue(svc.queue, current_name(then["func"]), *then["args"], job_id=then["job_id"])
    return "failed"


def notify_call(call_sid: str, trigger: str, due: str | None = None) -> str:
    """RQ job: the notifications a call's log calls for (see :mod:`app.notify.calls`); ``due``:
    the moment a delayed voicemail note was put off to (RQ runs it then)."""
    return tell_call(current(), call_sid, trigger, due)


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
                         at=max(handoff.at - lead, now), now=now)
    return count


def remind_shift(rotation_id: str, handoff_at: str) -> str:
    """RQ job: remind whoever takes over at the handoff, then plan the following reminder."""
    svc = current()
    handoff = Handoff(rotation_id, datetime.fromisoformat(handoff_at))
    sent = dispatch(svc, plan_reminder(svc.config, handoff, svc.who()))
    enqueue(svc.queue, "app.jobs.notify.plan_shift_reminders",
            job_id=f"reminders-after-{handoff.key}", at=handoff.at + timedelta(seconds=1),
            now=svc.clock())
    return f"{len(sent)} to send"


def notify_takeover(override_id: int, key: str) -> str:
    """RQ job: tell the colleagues an engineer took a shift from, and the admins, once each.

    ``key`` is the takeover's (:attr:`Takeover.key`): a later override that got the same id
    is not this one.
    """
    svc = current()
    with Session(svc.engine) as session:
        row = session.get(OverrideRow, override_id)
        earlier = [as_domain(r) for r in session.scalars(
            select(OverrideRow).where(OverrideRow.id < override_id).order_by(OverrideRow.id))]
    if row is None or row.rotation_id is None or row.rotation_id not in svc.config.rotations:
        return "no such takeover any more"
    takeover = Takeover(row.id, row.rotation_id, row.person, row.start_at, row.end_at,
                        row.created_at)
    if takeover.key != key:
        return "no such takeover any more"
    colleagues = displaced(svc.config.rotations[row.rotation_id], takeover, earlier)
    items = plan_takeover(svc.config, takeover, colleagues, svc.public_base_url)
    return f"{len(dispatch(svc, items))} to send"


def notify_giveback(takeover_args: dict[str, Any]) -> str:
    """RQ job: an engineer undid their takeover; tell whoever is on call again, and the admins."""
    svc = current()
    takeover = Takeover.from_args(takeover_args)
    rotation = svc.config.rotations.get(takeover.rotation)
    if rotation is None:
        return "no such rotation any more"
    with Session(svc.engine) as session:
        now_stored = [as_domain(r) for r in session.scalars(
            select(OverrideRow).order_by(OverrideRow.id))]
    back = displaced(rotation, takeover, now_stored)
    items = plan_takeover(svc.config, takeover, back, svc.public_base_url, GIVEBACK)
    return f"{len(dispatch(svc, items))} to send"
