"""The allowance report of a period from the database: its overrides and the calls people took."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.allowances import (
    ALERT_CALL,
    HOTLINE_CALL,
    AllowancePolicy,
    AnsweredCall,
    Report,
    allowance_report,
)
from app.config.model import HotlineConfig
from app.schedule import OverrideIndex
from app.schedule.periods import Period
from app.storage.models import Attempt, Call
from app.storage.notifications import Notification
from app.storage.overrides import as_domain, list_overrides

ACCEPT_KEY = "1"
# An alert call's last status from Twilio once someone picked up (app.jobs.alerts).
PICKED_UP = ("answered", "in-progress", "completed")
ALERT_PAGE, CALL_CHANNEL = "alert", "call"  # app.alerts.pages.PAGE, app.notify.delivery.CALL
SLACK = timedelta(days=1)  # a call rung near the period's edge is placed by its own time


def answered_calls(session: Session, start: datetime, end: datetime) -> list[AnsweredCall]:
    """Hotline calls a person accepted (pressed 1) and alert calls they picked up, around
    [start, end): the allowance calculator keeps those in the period."""
    lo, hi = start - SLACK, end + SLACK
    hotline = session.execute(
        select(Attempt.person, func.coalesce(Attempt.started_at, Call.started_at), Call.call_sid)
        .join(Call, Call.call_sid == Attempt.call_sid)
        .where(Attempt.accept_key == ACCEPT_KEY, Attempt.person.is_not(None),
               Call.started_at >= lo, Call.started_at < hi))
    alerts = session.execute(
        select(Notification.recipient, func.coalesce(Notification.sent_at, Notification.created_at),
               Notification.subject)
        .where(Notification.kind == ALERT_PAGE, Notification.channel == CALL_CHANNEL,
               Notification.provider_status.in_(PICKED_UP),
               Notification.created_at >= lo, Notification.created_at < hi))
    return ([AnsweredCall(person, at, HOTLINE_CALL, sid) for person, at, sid in hotline
             if person and at]
            + [AnsweredCall(person, at, ALERT_CALL, _alert_ref(subject))
               for person, at, subject in alerts])


def _alert_ref(subject: str) -> str:
    """``alert:7:r0s1`` -> ``alert 7``."""
    parts = subject.split(":")
    return f"alert {parts[1]}" if len(parts) > 1 else subject


def period_report(session: Session, config: HotlineConfig, policy: AllowancePolicy,
                  period: Period) -> Report:
    """The allowances of ``period``: each rotation in its own days, call-outs in the hotline's."""
    hotline = ZoneInfo(config.hotline.timezone)
    edges = [period.bounds(tz) for tz in {hotline, *(r.tz for r in config.rotations.values())}]
    start, end = min(e[0] for e in edges), max(e[1] for e in edges)
    rows = sorted(list_overrides(session, start, end), key=lambda row: row.id)  # later wins
    overrides = OverrideIndex(as_domain(row) for row in rows)
    return allowance_report(policy, config.rotations.values(), overrides, period,
                            answered_calls(session, start, end), hotline, list(config.people))
