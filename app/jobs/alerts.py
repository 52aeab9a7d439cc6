"""RQ jobs of the alerts: receive a notification, page a step, move on, acknowledge, call status,
end the calls of an alert that is over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import escalation, replies, stop, store
from app.alerts.commands import Command
from app.alerts.incidents import apply_alert
from app.alerts.pages import PAGE, subject
from app.alerts.payloads import Incoming
from app.notify import ledger
from app.notify.delivery import CALL
from app.services import current
from app.storage.notifications import Notification

UNANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})


def ingest_alert(payload: dict[str, Any]) -> str:
    """A validated notification from an endpoint (``Incoming.to_json()``)."""
    svc = current()
    incoming = Incoming.from_json(payload)
    with Session(svc.engine) as session, session.begin():
        apply_alert(session, incoming, svc.clock())  # incident messages, before any paging
    received = escalation.receive(svc, incoming)
    if received.alert_id is None:
        return "nothing open to resolve"
    what = "opened" if received.opened else "resolved" if received.resolved else "updated"
    return f"alert {received.alert_id} {what}"


def page_step(alert_id: int, round_: int, step: int) -> str:
    return escalation.page(current(), alert_id, round_, step)


def escalate_alert(alert_id: int, round_: int, step: int, reason: str) -> str:
    return escalation.escalate(current(), alert_id, round_, step, reason)


def acknowledge_alert(alert_id: int, by: str, via: str) -> str:
    svc = current()
    with Session(svc.engine) as session, session.begin():
        done = store.acknowledge(session, alert_id, by, via, svc.clock())
    if not done:
        return "already acknowledged, resolved or unknown"
    stop.hang_up_later(svc.queue, alert_id)
    return "acknowledged"


def end_alert_calls(alert_id: int) -> str:
    """End the calls of an acknowledged or resolved alert that may still ring."""
    return f"{len(stop.end_calls(current(), alert_id))} call(s) ended"


def answer_sms(number: str, action: str, alert_id: int | None, message_sid: str) -> str:
    """An SMS reply to an alert (app.alerts.commands), acted on and answered by SMS."""
    return replies.answer_reply(current(), number, Command(action, alert_id), message_sid)


def alert_call_status(alert_id: int, round_: int, step: int, person: str, status: str) -> str:
    """Keep what became of an alert call; one nobody answered moves the escalation on at once.

    The move is the timer's compare-and-set on (round, step): whichever comes first moves it,
    and neither moves an alert that is acknowledged or resolved (its calls end ``canceled``).
    """
    svc = current()
    with Session(svc.engine) as session:
        found = session.scalar(select(Notification.id).where(
            Notification.subject == subject(alert_id, round_, step), Notification.kind == PAGE,
            Notification.recipient == person, Notification.channel == CALL))
    if found is None:
        return "no such call"
    ledger.call_status(svc.engine, found, status, svc.clock())
    if status in UNANSWERED:
        moved = escalation.escalate(svc, alert_id, round_, step, f"the call to {person}: {status}")
        return f"{status}; {moved}"
    return status
