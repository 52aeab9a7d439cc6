"""When an alert is over (acknowledged or resolved): pages not sent yet are dropped, calls that
may still ring are ended through Twilio's REST API.

A page can be on its way when the alert stops: queued, or waiting for its next retry after a
5xx (up to about 43 minutes). So the sending job asks :func:`unwanted` right before it sends,
and :func:`end_if_over` right after a call went out, which closes the gap between that check
and the hang-up job that ran meanwhile. Someone who answers a call that could not be ended
hears what happened (``app.web.alert_calls``; docs/decisions/0014-alert-calls-after-ack.md).
"""

from __future__ import annotations

import logging

from rq import Queue, Retry
from sqlalchemy.orm import Session

from app.alerts import store
from app.alerts.pages import PAGE, alert_of
from app.calls.params import FINISHED
from app.notify import ledger
from app.notify.delivery import CALL, DeliveryError, PermanentError
from app.notify.outbox import Outbox
from app.notify.queueing import enqueue
from app.storage.alerts import RESOLVED
from app.storage.notifications import SENT, Notification

HANG_UP_JOB = "app.jobs.alerts.end_alert_calls"
HANG_UP_RETRY = Retry(max=4, interval=[5, 15, 60, 300])
# Ends a call still queued or ringing; one already answered goes on, and its key press is told
# that the alert is over (hanging up on someone mid-sentence would tell them nothing).
ENDING = "canceled"
log = logging.getLogger(__name__)


def hang_up_later(queue: Queue, alert_id: int) -> bool:
    """Queue the job that ends the alert's calls still ringing (once per alert)."""
    return enqueue(queue, HANG_UP_JOB, alert_id, job_id=f"alert-{alert_id}-hang-up",
                   retry=HANG_UP_RETRY)


def unwanted(svc: Outbox, row: Notification) -> str | None:
    """Why an alert page must not go out now (its alert is over), or None to send it."""
    alert_id = alert_of(row.subject) if row.kind == PAGE else None
    if alert_id is None:
        return None
    standing = store.standing(svc.engine, alert_id)
    if standing is None:
        return "the alert no longer exists"
    if not standing.over:
        return None
    if standing.status == RESOLVED:
        return "the alert was resolved"
    return f"the alert was acknowledged by {standing.acknowledged_by}"


def drop(svc: Outbox, row: Notification, reason: str) -> str:
    """Mark the page as not sent, with the reason, in the ledger and the alert's log."""
    ledger.dropped(svc.engine, row.id, reason, svc.clock())
    alert_id = alert_of(row.subject)
    if alert_id is not None:
        store.note(svc.engine, alert_id, "dropped", row.recipient,
                   f"page by {row.channel} not sent: {reason}", svc.clock())
    return "dropped"


def end_if_over(svc: Outbox, row: Notification, call_sid: str) -> None:
    """A call page just placed whose alert stopped meanwhile: end it now."""
    if row.channel != CALL or svc.twilio is None or unwanted(svc, row) is None:
        return
    try:
        svc.twilio.end_call(call_sid, ENDING)
    except DeliveryError as error:
        log.warning("alert call %s placed as its alert stopped, not ended: %s", call_sid,
                    error.message)


def end_calls(svc: Outbox, alert_id: int) -> list[str]:
    """End the alert's calls that may still ring; the Call SIDs asked to end.

    A transient error leaves the job to be retried; a call Twilio does not know is over.
    """
    if svc.twilio is None:
        return []
    ended = []
    for call_sid in _ringing(svc, alert_id):
        try:
            now = svc.twilio.end_call(call_sid, ENDING)
        except PermanentError as error:
            log.info("alert call %s not ended: %s", call_sid, error.message)
            continue
        if now == ENDING:  # not one that had ended meanwhile, nor one in progress
            ended.append(call_sid)
    if ended:
        store.note(svc.engine, alert_id, "hung up", None,
                   f"ended {len(ended)} call(s) still ringing", svc.clock())
    return ended


def _ringing(svc: Outbox, alert_id: int) -> list[str]:
    with Session(svc.engine) as session:
        pages = ledger.about(session, f"alert:{alert_id}:")
    return [p.provider_id for p in pages
            if p.kind == PAGE and p.channel == CALL and p.status == SENT and p.provider_id
            and p.provider_status not in FINISHED]
