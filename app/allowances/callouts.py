"""Call-outs: hotline calls a person accepted and alert calls they answered, outside business
hours; each is paid the policy's call-out fee."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.allowances.policy import AllowancePolicy
from app.schedule import is_open

HOTLINE_CALL, ALERT_CALL = "hotline call", "alert call"


@dataclass(frozen=True)
class AnsweredCall:
    """``person`` took a call at ``at``: a hotline call (``ref`` its CallSid) or an alert call."""

    person: str
    at: datetime
    kind: str  # HOTLINE_CALL | ALERT_CALL
    ref: str


def callouts(calls: Iterable[AnsweredCall], policy: AllowancePolicy, start: datetime,
             end: datetime) -> list[AnsweredCall]:
    """The calls in [start, end) outside the policy's business hours, each once, in time order."""
    hours = policy.business_hours
    found = {(c.kind, c.ref, c.person): c for c in calls
             if start <= c.at < end and (hours is None or not is_open(hours, c.at))}
    return sorted(found.values(), key=lambda c: (c.at, c.person, c.ref))
