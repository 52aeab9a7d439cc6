"""The words of every notification: SMS texts, e-mail subjects and bodies (pure functions).

Links lead to the call's admin page, never to a recording: Twilio's recording URLs need our
credentials, and a customer's voicemail must not travel in clear text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TRANSCRIPT_CHARS = 300


def local_time(at: datetime, timezone: str) -> str:
    """``Wed 2 Dec 13:00 CET`` in ``timezone``."""
    moment = at.astimezone(ZoneInfo(timezone))
    return f"{moment:%a} {moment.day} {moment:%b %H:%M %Z}"


def call_link(base_url: str | None, call_sid: str) -> str:
    return f"{base_url}/admin/calls/{call_sid}" if base_url else f"hotline calls --sid {call_sid}"


def alert_link(base_url: str | None, alert_id: int) -> str:
    return f"{base_url}/admin/alerts/{alert_id}" if base_url else f"hotline alerts ack {alert_id}"


@dataclass(frozen=True)
class CallFacts:
    """What a message about one call says."""

    hotline: str
    who: str  # "ACME (+49301234567)", "+49301234567" or "a caller with a withheld number"
    at: str
    link: str
    duration: int | None = None
    transcription: str | None = None
    answered_by: str | None = None


def voicemail_sms(f: CallFacts, rang_out: bool = False) -> str:
    heard = f' "{_clip(f.transcription)}"' if f.transcription else ""
    return (f"{f.hotline}: voicemail from {f.who}, {f.at}{_secs(f.duration)}.{heard}"
            f"{_rang_out(rang_out)} {f.link}")


def voicemail_email(f: CallFacts) -> tuple[str, str]:
    body = [f"{f.who} left a voicemail on the {f.hotline} at {f.at}{_secs(f.duration)}.", ""]
    if f.transcription:
        body += ["Transcription:", f.transcription, ""]
    body += [f"Listen to it and call back: {f.link}"]
    return f"Voicemail from {f.who}", "\n".join(body) + "\n"


def missed_sms(f: CallFacts, rang_out: bool = False) -> str:
    return (f"{f.hotline}: missed call from {f.who}, {f.at}. Nobody accepted it."
            f"{_rang_out(rang_out)} {f.link}")


def missed_email(f: CallFacts) -> tuple[str, str]:
    body = (f"{f.who} called the {f.hotline} at {f.at}. Nobody in the chain accepted the call "
            f"and no voicemail was left.\n\nDetails and callback: {f.link}\n")
    return f"Missed call from {f.who}", body


def missed_ring_sms(f: CallFacts) -> str:
    took = f" {f.answered_by} took the call." if f.answered_by else ""
    return f"{f.hotline}: you missed a ring from {f.who}, {f.at}.{took} {f.link}"


def shift_reminder(hotline: str, rotation: str, starts: str, after: str | None) -> tuple[str, str]:
    """SMS text and e-mail subject reminding the next on-call person."""
    handover = f" You take over from {after}." if after else ""
    text = f"{hotline}: your on-call shift ({rotation}) starts {starts}.{handover}"
    return text, f"Your on-call shift starts {starts}"


def caller_description(contract_name: str | None, caller: str | None) -> str:
    if contract_name and caller:
        return f"{contract_name} ({caller})"
    return contract_name or caller or "a caller with a withheld number"


def _rang_out(rang_out: bool) -> str:
    return " You missed its ring." if rang_out else ""


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TRANSCRIPT_CHARS else flat[: TRANSCRIPT_CHARS - 1] + "…"


def _secs(duration: int | None) -> str:
    return f", {duration} s" if duration else ""
