"""RQ jobs for a call's follow-up (voicemail, missed call): when it is told, and up the chain.

A voicemail is told once its transcription arrived or ``transcription_wait_seconds`` passed,
whichever comes first, and a business-hours contract's after-hours voicemail not before the next
opening (:mod:`app.notify.audience`); a transcription that comes later goes to those told as a
short follow-up. A follow-up nobody marks handled moves up the chain one person every
``escalate_after_minutes``. Each step is a job with its own id, each message a ledger row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.calls.ledger import parse_at, summarise
from app.notify import ledger
from app.notify.audience import held_until
from app.notify.calls import (
    CALLBACK,
    MISSED,
    TRANSCRIBED,
    VOICEMAIL,
    plan_call,
    plan_escalation,
    plan_transcription,
    waiting,
)
from app.notify.dispatch import dispatch
from app.notify.queueing import enqueue
from app.services import Services, current
from app.storage.accounts import FollowUp
from app.storage.models import EventRecord
from app.storage.notifications import Notification

NOTIFY_CALL = "app.jobs.notify.notify_call"


def tell_call(svc: Services, call_sid: str, trigger: str, due: str | None = None) -> str:
    """What ``notify_call`` does: a voicemail's note, or what the call's end calls for."""
    if trigger in (VOICEMAIL, TRANSCRIBED):
        now = max(svc.clock(), datetime.fromisoformat(due)) if due else svc.clock()
        return tell_voicemail(svc, call_sid, trigger, now)
    events = call_events(svc, call_sid)
    items = plan_call(events, svc.config, svc.notifications, trigger, svc.public_base_url,
                      svc.who())
    for kind in {item.kind for item in items} & {MISSED, CALLBACK}:
        _escalate_if_waiting(svc, call_sid, kind, events)
    return f"{len(dispatch(svc, items))} to send"


def tell_voicemail(svc: Services, call_sid: str, trigger: str, now: datetime) -> str:
    """The voicemail note once it is due (else a job for then); a late transcription's follow-up."""
    events = call_events(svc, call_sid)
    due = voicemail_due(svc, events)
    if due is not None and now < due:
        enqueue(svc.queue, NOTIFY_CALL, call_sid, VOICEMAIL, due.isoformat(),
                job_id=f"notify-{call_sid}-voicemail-at-{int(due.timestamp())}", at=due, now=now)
        return f"held until {due.isoformat()}"
    if is_handled(svc, call_sid):
        return "handled"
    items = plan_call(events, svc.config, svc.notifications, VOICEMAIL, svc.public_base_url,
                      svc.who())
    sent = dispatch(svc, items)
    if items:
        _escalate_if_waiting(svc, call_sid, VOICEMAIL, events)
    if trigger == TRANSCRIBED:
        sent += dispatch(svc, plan_transcription(events, svc.config, svc.public_base_url,
                                                 told(svc, call_sid)))
    return f"{len(sent)} to send"


def voicemail_due(svc: Services, events: list[ev.Event]) -> datetime | None:
    """When the voicemail may be told: after the wait for its transcription (unless it came)
    and not before the opening an after-hours voicemail waits for."""
    recorded = [parse_at(e["at"]) for e in events if e["type"] == ev.VOICEMAIL_RECORDED]
    if not recorded:
        return None
    wait = timedelta(seconds=svc.notifications.transcription_wait_seconds)
    heard = any(e["type"] == ev.VOICEMAIL_TRANSCRIBED for e in events)
    dues = [] if heard or not wait else [min(recorded) + wait]
    held = held_until(events, summarise(events), svc.config, svc.notifications)
    return max(dues + ([held] if held else []), default=None)


def _escalate_if_waiting(svc: Services, call_sid: str, kind: str,
                         events: list[ev.Event]) -> None:
    if waiting(events, svc.config, svc.notifications, kind, svc.who()):
        escalate_later(svc, call_sid, kind, 1)


def escalate_later(svc: Services, call_sid: str, kind: str, step: int) -> bool:
    """Queue the follow-up's ``step``-th move up the chain (once; 0 minutes: never)."""
    minutes = svc.notifications.escalate_after_minutes
    if not minutes:
        return False
    now = svc.clock()
    return enqueue(svc.queue, "app.jobs.follow_ups.escalate_follow_up", call_sid, kind, step,
                   job_id=f"follow-up-{call_sid}-{kind}-{step}",
                   at=now + timedelta(minutes=minutes), now=now)


def escalate_follow_up(call_sid: str, kind: str, step: int) -> str:
    """RQ job: nobody handled the follow-up yet; the next one in the chain hears about it."""
    svc = current()
    if is_handled(svc, call_sid):
        return "handled"
    items, left = plan_escalation(call_events(svc, call_sid), svc.config, svc.notifications, kind,
                                  step, svc.public_base_url,
                                  step * svc.notifications.escalate_after_minutes, svc.who())
    sent = dispatch(svc, items)
    if left:
        escalate_later(svc, call_sid, kind, step + 1)
    return f"{len(sent)} to send, {len(left)} left"


def is_handled(svc: Services, call_sid: str) -> bool:
    """Someone marked the call's follow-up handled (the admin console's follow-ups)."""
    with Session(svc.engine) as session:
        return session.get(FollowUp, call_sid) is not None


def told(svc: Services, call_sid: str) -> list[Notification]:
    """The notifications recorded about the call so far."""
    with Session(svc.engine, expire_on_commit=False) as session:
        return [row for row in ledger.about(session, f"call:{call_sid}")
                if row.subject == f"call:{call_sid}"]


def call_events(svc: Services, call_sid: str) -> list[ev.Event]:
    table = EventRecord.__table__
    with svc.engine.connect() as conn:
        rows = conn.execute(select(table.c.key, table.c.type, table.c.call_sid, table.c.at,
                                   table.c.data).where(table.c.call_sid == call_sid)).mappings()
        return [dict(row) for row in rows]
