"""One page of an alert to one person: what they hear or read, and the URLs Twilio gets (pure).

What the alert call needs (alert, round, step, person, and the words) travels in the URL we
hand Twilio, which Twilio signs when it requests it: the webhooks answer without the database.
Twilio's signature does not bind the end of our query string (see app.calls.seal), so the URL
carries our own seal too, with a key derived from SECRET_KEY that the worker gets as data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from app.calls.seal import derive_key, sealed
from app.config.alerts import alerts_of
from app.notify.delivery import CALL, EMAIL, SMS, Outgoing
from app.notify.messages import alert_link
from app.schedule.readable import DATE, local_time
from app.storage.alerts import ACKNOWLEDGED, EXHAUSTED, RESOLVED, SILENT

CALL_PATH = "/alerts/voice/call"
KEY_PATH = "/alerts/voice/key"
STATUS_PATH = "/alerts/voice/status"
PAGE = "alert"
PAGE_FIELDS = ("a", "r", "s", "p", "src", "sum")  # every field the seal covers, in this order


def page_key(secret: str) -> bytes:
    """The key of an alert page's seal, derived from SECRET_KEY."""
    return derive_key(secret, "alert-page")


def spoken(origin: str, summary: str) -> str:
    return f"Alert from {origin}: {summary}. Press 1 to acknowledge, 2 to escalate now."


def subject(alert_id: int, round_: int, step: int) -> str:
    return f"alert:{alert_id}:r{round_}s{step}"


def alert_of(about: str) -> int | None:
    """The alert a page's subject names (``alert:7:r0s1`` -> 7); None for any other subject."""
    kind, _, rest = about.partition(":")
    number = rest.partition(":")[0]
    return int(number) if kind == "alert" and number.isdigit() else None


def already_over(standing: Any, config: Any) -> str | None:
    """What someone who answers a page late hears instead of the prompt; None while it fires.

    Spoken, so the time is the hotline's wall clock without the zone's letters.
    """
    if standing is None or standing.status not in (ACKNOWLEDGED, RESOLVED):
        return None
    if standing.status == RESOLVED:
        return "This alert has been resolved."
    by = standing.acknowledged_by or "someone"
    person = config.people.get(by)
    at = standing.acknowledged_at
    when = f" at {at.astimezone(ZoneInfo(config.hotline.timezone)):%H:%M}" if at else ""
    return f"This alert was already acknowledged by {person.name if person else by}{when}."


def position_query(alert_id: int, round_: int, step: int, person: str) -> dict[str, str]:
    return {"a": str(alert_id), "r": str(round_), "s": str(step), "p": person}


def plan_page(alert: Any, person: Any, base_url: str | None, ring_seconds: int,
              key: bytes) -> list[Outgoing]:
    """The page for ``person`` at the alert's position, by the alert's channel.

    A call needs our public URL: without PUBLIC_BASE_URL the page goes by SMS. An e-mail page
    to someone without an address goes by SMS too.
    """
    channel = alert.channel
    if (channel == CALL and not base_url) or (channel == EMAIL and not person.email):
        channel = SMS
    about = subject(alert.id, alert.round, alert.step)
    if channel == CALL:
        return [Outgoing(about, PAGE, person.id, CALL, person.phone,
                         spoken(alert.origin, alert.summary),
                         _call_data(alert, person.id, str(base_url), ring_seconds, key))]
    what = f"ALERT {alert.severity} from {alert.origin}: {alert.summary}."
    link = f"Acknowledge: {alert_link(base_url, alert.id, person.id)}"
    if channel == EMAIL:
        return [Outgoing(about, PAGE, person.id, EMAIL, person.email, f"{what} {link}\n",
                         {"subject": f"[{alert.severity}] {alert.origin}: {alert.summary}"})]
    # An SMS can be answered (POST /sms/inbound, app.alerts.commands).
    return [Outgoing(about, PAGE, person.id, SMS, person.phone,
                     f"{what} Reply 1 to acknowledge, 2 to escalate. {link}")]


def _call_data(alert: Any, person: str, base_url: str, ring_seconds: int,
               key: bytes) -> dict[str, Any]:
    query = position_query(alert.id, alert.round, alert.step, person)
    words = {"src": alert.origin[:64], "sum": alert.summary[:300]}
    return {
        "url": f"{base_url}{CALL_PATH}?{urlencode(sealed(key, {**query, **words}, PAGE_FIELDS))}",
        "status_callback": f"{base_url}{STATUS_PATH}?{urlencode(sealed(key, query, PAGE_FIELDS))}",
        "timeout": ring_seconds,
        # The call could not even be placed (an invalid number): the next person, right away.
        "on_failure": {"func": "app.jobs.alerts.escalate_alert",
                       "args": [alert.id, alert.round, alert.step, "the call failed"],
                       "job_id": f"alert-{alert.id}-failed-r{alert.round}s{alert.step}"},
    }


def escalation_text(alert: Any, config: Any) -> str:
    """Where an alert's escalation stands, in a few words (CLI, admin pages, SMS replies).

    Times are in the hotline's zone (app.schedule.readable); names are the configuration's.
    """
    zone, section = config.hotline.timezone, alerts_of(config)

    def name(pid: str | None) -> str:
        person = config.people.get(pid or "")
        return person.name if person else (pid or "nobody")

    def when(moment: datetime | None) -> str:
        return local_time(moment, zone, DATE, empty="")

    if alert.status == RESOLVED:
        acked = f", acknowledged by {name(alert.acknowledged_by)}" if alert.acknowledged_by else ""
        return f"resolved {when(alert.resolved_at)}{acked}"
    if alert.status == ACKNOWLEDGED:
        return f"acknowledged by {name(alert.acknowledged_by)} {when(alert.acknowledged_at)}"
    if alert.escalation == SILENT:
        if alert.channel == "none":
            return f"not paged: the policy pages nobody for {alert.severity} alerts at that hour"
        return "not paged: nobody was on call"
    if alert.escalation == EXHAUSTED:
        return f"nobody acknowledged; last paged {name(alert.person)}"
    if not section.rule(alert.severity).escalate:
        return f"paged {name(alert.person)} by {alert.channel}; {alert.severity} alerts do not escalate"
    nxt = f"; next step {when(alert.next_step_at)}" if alert.next_step_at else ""
    return (f"paging {name(alert.person)} by {alert.channel} (step {alert.step + 1}/"
            f"{len(alert.chain)}, round {alert.round + 1}/{section.repeats + 1}){nxt}")
