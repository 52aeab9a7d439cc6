"""Sending what the ledger recorded: queue a job per pending message, hand one to its provider."""

from __future__ import annotations

from collections.abc import Iterable

from rq import Retry

from app.notify import ledger
from app.notify.delivery import CALL, EMAIL, SMS, Outgoing, PermanentError
from app.notify.outbox import Outbox
from app.notify.queueing import enqueue
from app.storage.notifications import Notification

SEND_RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])


def dispatch(services: Outbox, items: Iterable[Outgoing]) -> list[int]:
    """Record the messages and queue a sending job for each one still pending."""
    ids = ledger.record(services.engine, items, services.clock())
    for notification_id in ids:
        enqueue(services.queue, "app.jobs.notify.send_notification", notification_id,
                job_id=f"notification-{notification_id}", retry=SEND_RETRY)
    return ids


def deliver(svc: Outbox, row: Notification) -> str | None:
    """Hand one message to its provider; its id there, or None when none is configured."""
    if row.channel == EMAIL:
        if svc.mailer is None:
            return None
        message_id = f"<notification-{row.id}@{svc.email_from.rpartition('@')[2]}>"
        return svc.mailer.send(svc.email_from, row.address, row.data["subject"], row.body,
                               message_id)
    if svc.twilio is None:
        return None
    if row.channel == SMS:
        return svc.twilio.send_sms(row.address, svc.sms_from, row.body)
    if row.channel == CALL:
        return svc.twilio.place_call(row.address, svc.caller_id, row.data["url"],
                                     row.data["status_callback"], int(row.data["timeout"]))
    raise PermanentError(f"unknown channel {row.channel!r}")
