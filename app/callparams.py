"""Reading Twilio's request parameters defensively: bounded, typed, never raising."""

from __future__ import annotations

from collections.abc import Mapping

from app.calls import events as ev

Params = Mapping[str, str]
FINISHED = frozenset({"completed", "canceled", "busy", "failed", "no-answer"})


def call_sid(params: Params) -> str:
    sid = params.get("CallSid", "")
    return sid[:64] if sid and sid.isalnum() else "unknown"


def clip(value: str | None, limit: int = 64) -> str:
    return (value or "")[:limit]


def to_int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 9 else 0


def digits_of(value: str | None, limit: int = 16) -> str:
    return "".join(ch for ch in (value or "") if ch in "0123456789")[:limit]


def dial_outcome(status: str, bridged: bool) -> str:
    """What one dial attempt amounted to; only a bridged leg (accept key pressed) is connected."""
    if bridged:
        return ev.CONNECTED
    return {
        "busy": ev.BUSY, "failed": ev.FAILED, "no-answer": ev.NO_ANSWER, "canceled": ev.CANCELED,
    }.get(status, ev.NOT_ACCEPTED)
