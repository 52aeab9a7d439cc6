"""RQ jobs of the alerts: receive a notification, page a step, move on, acknowledge, call status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import escalation, store
from app.alerts.pages import PAGE, subject
from app.alerts.payloads import Incoming
from app.notify import ledger
from app.notify.delivery import CALL
from app.services import current
from app.storage.notifications import Notification


def ingest_alert(payload: dict[str, Any]) -> str:
    """A validated notification from an endpoint (``Incoming.to_json()``)."""
    received = escalation.receive(current(), Incoming.from_json(payload))
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
    return "acknowledged" if done else "already acknowledged, resolved or unknown"


def alert_call_status(alert_id: int, round_: int, step: int, person: str, status: str) -> str:
    """Keep what became of an alert call (answered and completed, no-answer, busy, failed)."""
    svc = current()
    with Session(svc.engine) as session:
        found = session.scalar(select(Notification.id).where(
            Notification.subject == subject(alert_id, round_, step), Notification.kind == PAGE,
            Notification.recipient == person, Notification.channel == CALL))
    if found is None:
        return "no such call"
    ledger.call_status(svc.engine, found, status, svc.clock())
    return status
