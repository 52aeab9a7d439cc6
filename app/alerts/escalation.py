"""An alert's escalation: open it by the policy, page the person at each step, move on unanswered.

Timers are delayed RQ jobs (``enqueue_at``), never sleeps; each names its (alert, round, step)
and does nothing once the alert has moved on, been acknowledged or resolved.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts import stop, store
from app.alerts.notices import exhausted_notices, resolved_notices
from app.alerts.pages import plan_page
from app.alerts.payloads import Incoming
from app.alerts.policy import choose_channel, next_position, severity_of
from app.escalation import build_chain
from app.notify.dispatch import dispatch
from app.notify.outbox import Outbox
from app.notify.queueing import enqueue
from app.storage.alerts import ACTIVE, EXHAUSTED, FIRING, RESOLVED, SILENT, Alert
from app.telemetry.series import ALERT_ESCALATIONS

PAGE_JOB = "app.jobs.alerts.page_step"
ESCALATE_JOB = "app.jobs.alerts.escalate_alert"


def receive(svc: Outbox, incoming: Incoming) -> store.Received:
    """Record what the sender says; a new alert starts paging."""
    try:
        received = store.receive(svc.engine, incoming, opening(svc, incoming), svc.clock())
    except IntegrityError:  # another worker opened the same group a moment ago
        received = store.receive(svc.engine, incoming, opening(svc, incoming), svc.clock())
    if received.alert_id is not None and not received.resolved:
        keep_going(svc, received.alert_id)
    elif received.resolved and received.alert_id is not None:
        stop.hang_up_later(svc.queue, received.alert_id)
        tell(svc, received.alert_id, RESOLVED)
    return received


def opening(svc: Outbox, incoming: Incoming) -> store.Opening:
    """Severity, channel and chain for an alert opening now, as the policy says."""
    section, now = svc.alerts, svc.clock()
    severity = severity_of(incoming.severity, section)
    channel = choose_channel(section, svc.config, severity, now)
    policy = section.policy or svc.config.hotline.policy
    chain = build_chain(svc.config.policies[policy], svc.config.rotations, now, svc.who()).people
    state = ACTIVE if channel != "none" and chain else SILENT
    return store.Opening(severity, channel, policy, chain, state)


def keep_going(svc: Outbox, alert_id: int) -> None:
    """Make sure the page for the alert's current step is queued (once; a no-op when done)."""
    alert = _load(svc, alert_id)
    if alert is not None and alert.status == FIRING and alert.escalation == ACTIVE:
        enqueue(svc.queue, PAGE_JOB, alert.id, alert.round, alert.step,
                job_id=f"alert-{alert.id}-page-r{alert.round}s{alert.step}")


def page(svc: Outbox, alert_id: int, round_: int, step: int) -> str:
    """Page whoever is at (round, step), then set the timer that moves on if nobody answers."""
    alert = _load(svc, alert_id)
    if alert is None or not _at(alert, round_, step):
        return "stale"
    person = svc.config.people.get(alert.person or "")
    if person is None:  # dropped from the configuration since the alert opened
        return escalate(svc, alert_id, round_, step, f"{alert.person} is not configured")
    section = svc.alerts
    pages = plan_page(alert, person, svc.public_base_url, section.ring_seconds, svc.page_key)
    if dispatch(svc, pages):
        store.note(svc.engine, alert_id, "paged", person.id,
                   f"{person.name} by {pages[0].channel}", svc.clock())
    if not section.rule(alert.severity).escalate:
        return f"paged {person.id}"
    now = svc.clock()
    due = now + timedelta(minutes=section.step_delay_minutes)
    if enqueue(svc.queue, ESCALATE_JOB, alert_id, round_, step, "nobody acknowledged in time",
               job_id=f"alert-{alert_id}-timer-r{round_}s{step}", at=due, now=now):
        store.next_step_due(svc.engine, alert_id, (round_, step), due)
    return f"paged {person.id}; moves on at {due.isoformat()}"


def escalate(svc: Outbox, alert_id: int, round_: int, step: int, reason: str) -> str:
    """Move from (round, step) to the next person; nothing if the alert is elsewhere by now."""
    alert = _load(svc, alert_id)
    if alert is None or not _at(alert, round_, step):
        return "stale"
    following = next_position(round_, step, len(alert.chain), svc.alerts.repeats)
    if not store.advance(svc.engine, alert_id, (round_, step), following, reason, svc.clock()):
        return "stale"
    ALERT_ESCALATIONS.labels("exhausted" if following is None else "next").inc()
    if following is None:
        tell(svc, alert_id, EXHAUSTED)
        return "exhausted"
    enqueue(svc.queue, PAGE_JOB, alert_id, *following,
            job_id=f"alert-{alert_id}-page-r{following[0]}s{following[1]}")
    return f"moved to round {following[0]} step {following[1]}"


def tell(svc: Outbox, alert_id: int, what: str) -> None:
    """Text who was paged that the alert resolved, or the whole chain that nobody took it."""
    with Session(svc.engine, expire_on_commit=False) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return
        if what == RESOLVED:
            items = resolved_notices(alert, store.paged_people(session, alert_id), svc.config)
        else:
            items = exhausted_notices(alert, svc.config, svc.public_base_url)
    dispatch(svc, items)


def _load(svc: Outbox, alert_id: int) -> Alert | None:
    with Session(svc.engine, expire_on_commit=False) as session:
        return session.get(Alert, alert_id)


def _at(alert: Alert, round_: int, step: int) -> bool:
    return (alert.status == FIRING and alert.escalation == ACTIVE
            and (alert.round, alert.step) == (round_, step))
