"""Reading Twilio's request parameters defensively: bounded, typed, never raising."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from app.calls import events as ev

Params = Mapping[str, str]
FINISHED = frozenset({"completed", "canceled", "busy", "failed", "no-answer"})


def call_sid(params: Params) -> str:
    sid = params.get("CallSid", "")
    return sid[:64] if sid and sid.isalnum() else "unknown"


def clip(value: str | None, limit: int = 64) -> str:
    """At most ``limit`` characters, without control characters (PostgreSQL refuses NUL)."""
    text = (value or "")[:limit]
    if text.isprintable():  # the usual case: nothing to strip
        return text
    return "".join(ch for ch in text if ch >= " " and ch != "\x7f")


def is_number(text: str, limit: int = 9) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true, yet ``int("²")`` raises."""
    return text.isascii() and text.isdigit() and len(text) < limit


def to_int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if is_number(text) else 0


def digits_of(value: str | None, limit: int = 16) -> str:
    return "".join(ch for ch in (value or "") if ch in "0123456789")[:limit]


def dial_outcome(status: str, bridged: bool) -> str:
    """What one dial attempt amounted to; only a bridged leg (accept key pressed) is connected."""
    if bridged:
        return ev.CONNECTED
    return {
        "busy": ev.BUSY, "failed": ev.FAILED, "no-answer": ev.NO_ANSWER, "canceled": ev.CANCELED,
    }.get(status, ev.NOT_ACCEPTED)


def reported_time(value: str | None, now: datetime, tolerance: timedelta = timedelta(hours=6)) -> datetime:
    """When Twilio says a leg event happened (its RFC 2822 ``Timestamp``): callbacks can arrive
    late, so this beats our clock; anything unparsable or implausible falls back to ``now``."""
    try:
        moment = parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return now
    if moment.tzinfo is None or abs(moment - now) > tolerance:
        return now
    return moment
