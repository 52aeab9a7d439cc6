"""The words of every notification: SMS texts, e-mail subjects and bodies (pure functions).

Links lead to the call's admin page, never to a recording: Twilio's recording URLs need our
credentials, and a customer's voicemail must not travel in clear text.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.contracts import WITHHELD_MARKERS

TRANSCRIPT_CHARS = 300
WITHHELD = "a caller with a withheld number"


def call_link(base_url: str | None, call_sid: str) -> str:
    return f"{base_url}/admin/calls/{call_sid}" if base_url else f"hotline calls --sid {call_sid}"


def alert_link(base_url: str | None, alert_id: int, person: str = "PERSON") -> str:
    if base_url:
        return f"{base_url}/admin/alerts/{alert_id}"
    return f"hotline alerts ack {alert_id} --as {person}"


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
    callback_number: str | None = None  # the number a caller asked to be called back on


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


def callback_sms(f: CallFacts, rang_out: bool = False) -> str:
    return (f"{f.hotline}: {f.who} asks to be called back on {f.callback_number}, {f.at}."
            f"{_rang_out(rang_out)} Call back: {_call_back_link(f.link)}")


def callback_email(f: CallFacts) -> tuple[str, str]:
    body = (f"{f.who} called the {f.hotline} at {f.at}, found every engineer on another call "
            f"and asked to be called back on {f.callback_number}.\n\n"
            f"The hotline calls you first, then them, showing the hotline's number: "
            f"{_call_back_link(f.link)}\n")
    return f"Callback requested by {f.who}", body


def _call_back_link(link: str) -> str:
    return f"{link}/call-back" if link.startswith("http") else link


def missed_ring_sms(f: CallFacts) -> str:
    took = f" {f.answered_by} took the call." if f.answered_by else ""
    return f"{f.hotline}: you missed a ring from {f.who}, {f.at}.{took} {f.link}"


def transcription_sms(f: CallFacts) -> str:
    """The transcription that arrived after its voicemail was told."""
    return f'{f.hotline}: the voicemail from {f.who}, {f.at}, says "{_clip(f.transcription or "")}" {f.link}'


def transcription_email(f: CallFacts) -> tuple[str, str]:
    body = (f"The voicemail {f.who} left on the {f.hotline} at {f.at} says:\n\n"
            f"{f.transcription}\n\nListen to it and call back: {f.link}\n")
    return f"Transcription: voicemail from {f.who}", body


def still_open(sms: str, minutes: int | None) -> str:
    """A follow-up that moved up the chain says how long it has waited."""
    return f"Open for {minutes} min, nobody has handled it. {sms}" if minutes else sms


def still_open_email(email: tuple[str, str], minutes: int) -> tuple[str, str]:
    subject, body = email
    return (f"Still open: {subject}",
            f"Nobody has handled this for {minutes} minutes; you are next in the chain.\n\n{body}")


def shift_reminder(hotline: str, rotation: str, starts: str, after: str | None) -> tuple[str, str]:
    """SMS text and e-mail subject reminding the next on-call person."""
    handover = f" You take over from {after}." if after else ""
    text = f"{hotline}: your on-call shift ({rotation}) starts {starts}.{handover}"
    return text, f"Your on-call shift starts {starts}"


def caller_description(contract_name: str | None, caller: str | None) -> str:
    """Who called, in words; Twilio's ``anonymous``, ``restricted`` ... name nobody."""
    number = None if _withheld(caller) else caller
    if contract_name and number:
        return f"{contract_name} ({number})"
    return contract_name or number or WITHHELD


def _withheld(caller: str | None) -> bool:
    text = (caller or "").strip().lower().lstrip("+")
    return not text or text in WITHHELD_MARKERS


def _rang_out(rang_out: bool) -> str:
    return " You missed its ring." if rang_out else ""


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TRANSCRIPT_CHARS else flat[: TRANSCRIPT_CHARS - 1] + "…"


def _secs(duration: int | None) -> str:
    return f", {duration} s" if duration else ""


@dataclass(frozen=True)
class TakeoverFacts:
    """What a message about a shift takeover says."""

    hotline: str
    taker: str  # the engineer's name
    rotation: str
    span: str  # "Wed 2 Dec 18:00 CET to Thu 3 Dec 09:00 CET"
    link: str


def takeover_to_colleague(f: TakeoverFacts) -> tuple[str, str]:
    """SMS text and e-mail subject for the person whose shift was taken over."""
    text = (f"{f.hotline}: {f.taker} takes over your on-call shift ({f.rotation}), {f.span}. "
            f"You are off call then. {f.link}")
    return text, f"{f.taker} takes over your on-call shift"


def takeover_to_admin(f: TakeoverFacts, from_whom: list[str]) -> tuple[str, str]:
    """SMS text and e-mail subject for an admin of the hotline."""
    instead = f" instead of {', '.join(from_whom)}" if from_whom else ""
    text = f"{f.hotline}: {f.taker} is on call ({f.rotation}){instead}, {f.span}. {f.link}"
    return text, f"Shift takeover: {f.taker} covers {f.rotation}"


def giveback_to_colleague(f: TakeoverFacts) -> tuple[str, str]:
    """SMS text and e-mail subject when the engineer undoes a takeover: the shift is back."""
    text = (f"{f.hotline}: {f.taker} no longer covers your on-call shift ({f.rotation}), "
            f"{f.span}. You are on call again then. {f.link}")
    return text, "Your on-call shift is yours again"


def giveback_to_admin(f: TakeoverFacts, to_whom: list[str]) -> tuple[str, str]:
    back = f" {', '.join(to_whom)} on call again" if to_whom else " nobody else on call"
    text = f"{f.hotline}: {f.taker} undid a takeover ({f.rotation}),{back}, {f.span}. {f.link}"
    return text, f"Takeover undone: {f.taker}, {f.rotation}"
