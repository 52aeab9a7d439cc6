"""Acting on an SMS reply to an alert: acknowledge, escalate now, or explain; then answer by SMS.

The web tier only checks Twilio's signature, knows the sender from the configuration and
queues the command; this runs in a worker, with the database. The answer is a ledger row
keyed by Twilio's MessageSid, so a job that runs twice answers once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.alerts import commands as say
from app.alerts import store
from app.alerts.commands import ACK, ESCALATE, Command
from app.alerts.escalation import escalate
from app.alerts.pages import escalation_text
from app.alerts.people import people_with_number
from app.alerts.stop import hang_up_later
from app.notify.delivery import SMS, Outgoing
from app.notify.dispatch import dispatch
from app.notify.outbox import Outbox
from app.storage.alerts import ACTIVE, FIRING, SILENT, Alert

REPLY = "sms-reply"  # the notification kind of our answer
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sender:
    number: str
    people: tuple[str, ...]  # usually one; a shared phone is each of its people

    def who(self, alert: Alert) -> str:
        """The sender as the person ``alert`` paged, if one of theirs was."""
        return next((p for p in self.people if was_paged(alert, p)), self.people[0])


def answer_reply(svc: Outbox, number: str, command: Command, message_sid: str) -> str:
    """Carry out ``command`` from ``number`` and text them what happened."""
    people = tuple(people_with_number(svc.config, number))
    if not people:
        log.warning("SMS reply from %s, who is not in the configuration: ignored", number)
        return "not from a person of the configuration"
    sender = Sender(number, people)
    text = carry_out(svc, sender, command)
    dispatch(svc, [Outgoing(f"sms:{message_sid}", REPLY, people[0], SMS, number, text)])
    return text


def carry_out(svc: Outbox, sender: Sender, command: Command) -> str:
    with Session(svc.engine, expire_on_commit=False) as session:
        if command.alert_id is not None:
            alert = session.get(Alert, command.alert_id)
            if alert is None:
                return say.unknown(command.alert_id)
        else:
            mine = [a for a in store.firing_alerts(session)
                    if any(was_paged(a, p) for p in sender.people)]
            if command.action == ESCALATE:
                mine = [a for a in mine if a.escalation == ACTIVE and a.person in sender.people]
            if not mine:
                return say.none_open(command.action)
            if len(mine) > 1:
                return say.several(command.action, [a.id for a in mine])
            alert = mine[0]
    if command.action == ACK:
        return _acknowledge(svc, alert, sender.who(alert))
    return _escalate(svc, alert, sender)


def _acknowledge(svc: Outbox, alert: Alert, person: str) -> str:
    with Session(svc.engine, expire_on_commit=False) as session, session.begin():
        done = store.acknowledge(session, alert.id, person, via="sms", now=svc.clock())
    if not done:
        return _standing(svc, alert.id)
    hang_up_later(svc.queue, alert.id)
    return say.acknowledged(alert.id)


def _escalate(svc: Outbox, alert: Alert, sender: Sender) -> str:
    if alert.status != FIRING or alert.escalation != ACTIVE or alert.person not in sender.people:
        return _standing(svc, alert.id)
    outcome = escalate(svc, alert.id, alert.round, alert.step,
                       f"{alert.person} asked to escalate (SMS)")
    if outcome == "stale":
        return _standing(svc, alert.id)
    return say.escalated(alert.id, outcome != "exhausted")


def _standing(svc: Outbox, alert_id: int) -> str:
    with Session(svc.engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None  # alerts are never deleted
        return say.standing(alert_id, escalation_text(alert, svc.config))


def was_paged(alert: Alert, person: str) -> bool:
    """Whether the escalation has reached ``person`` (a page went or is going out to them)."""
    if alert.escalation == SILENT or person not in alert.chain:
        return False
    return alert.round > 0 or alert.chain.index(person) <= alert.step
