"""Who hears about a call, and what they read, from the call's logged events (pure).

- a voicemail, and a call nobody accepted with no voicemail after it (``missed``): by SMS, and
  by e-mail where known, those :mod:`app.notify.audience` says hear at once; the rest of the
  chain one by one while nobody handles it (``plan_escalation``);
- a transcription that arrives after its voicemail was told: a short follow-up to those told;
- a call someone accepted after others let it ring (``missed-ring``): those others, by SMS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.calls import events as ev
from app.calls.ledger import CallSummary, parse_at, summarise
from app.config.notifications import NotificationsSection
from app.escalation import OnCall
from app.notify import messages as text
from app.notify.audience import Audience, audience, chain_of, held_until, rang
from app.notify.delivery import EMAIL, SMS, Outgoing
from app.schedule import on_call
from app.schedule.readable import local_time
from app.storage.notifications import Notification

VOICEMAIL, ENDED, TRANSCRIBED = "voicemail", "ended", "transcribed"  # the triggers
MISSED, MISSED_RING, TRANSCRIPTION = "missed", "missed-ring", "transcription"
CALLBACK = "callback"  # a trigger and a kind: the caller asked to be called back
RANG_OUT = frozenset({ev.NO_ANSWER, ev.BUSY, ev.NOT_ACCEPTED, ev.FAILED})


def plan_call(events: Sequence[ev.Event], config: Any, section: NotificationsSection,
              trigger: str, base_url: str | None, who: OnCall = on_call) -> list[Outgoing]:
    """The notifications a call's events call for at once, on ``trigger`` (VOICEMAIL or ENDED)."""
    if not events:
        return []
    summary = summarise(events)
    if trigger in (VOICEMAIL, CALLBACK):
        found = follow_up(events, summary, config, section, trigger, who)
        return _tell(events, summary, config, base_url, trigger, found.now if found else ())
    if trigger != ENDED:
        return []
    found = follow_up(events, summary, config, section, MISSED, who)
    if found is not None:
        return _tell(events, summary, config, base_url, MISSED, found.now)
    if summary.outcome == ev.OUTCOME_CONNECTED and section.missed_ring:
        rang_out = _rang_out(summary)
        ringed = [a.person for a in summary.attempts if a.person and a.person in rang_out]
        facts = _facts(summary, events, config, base_url)
        return _People(f"call:{summary.call_sid}", config, rang_out).tell(
            MISSED_RING, ringed, lambda _: text.missed_ring_sms(facts))
    return []


def follow_up(events: Sequence[ev.Event], summary: CallSummary, config: Any,
              section: NotificationsSection, kind: str, who: OnCall) -> Audience | None:
    """Who hears about the call's voicemail or missed call (``kind``); None: nothing to tell."""
    if kind == VOICEMAIL and section.voicemail and summary.voicemails:
        chain = chain_of(events, summary, config, who, held_until(events, summary, config, section))
    elif (kind == MISSED and section.missed_calls and summary.outcome == ev.OUTCOME_ABANDONED
          and any(e["type"] == ev.CHAIN_CHOSEN for e in events)):
        chain = chain_of(events, summary, config, who)
    elif kind == CALLBACK and section.missed_calls and summary.outcome == ev.OUTCOME_CALLBACK:
        chain = chain_of(events, summary, config, who)  # told as a missed call would be
    else:
        return None
    rule = MISSED if kind == CALLBACK else kind
    return audience(chain, rang(events, summary, config), rule, section)


def waiting(events: Sequence[ev.Event], config: Any, section: NotificationsSection, kind: str,
            who: OnCall = on_call) -> tuple[str, ...]:
    """Who hears about the follow-up only if nobody handles it, in the order they would."""
    found = follow_up(events, summarise(events), config, section, kind, who) if events else None
    return found.later if found else ()


def plan_escalation(events: Sequence[ev.Event], config: Any, section: NotificationsSection,
                    kind: str, step: int, base_url: str | None, minutes: int,
                    who: OnCall = on_call) -> tuple[list[Outgoing], tuple[str, ...]]:
    """A follow-up nobody handled in ``minutes``: the ``step``-th in line hears (the same one
    however often the step runs); and who is left after them."""
    line = waiting(events, config, section, kind, who)
    if not 0 < step <= len(line):
        return [], ()
    items = _tell(events, summarise(events), config, base_url, kind, line[step - 1:step], minutes)
    return items, line[step:]


def plan_transcription(events: Sequence[ev.Event], config: Any, base_url: str | None,
                       told: Iterable[Notification]) -> list[Outgoing]:
    """The transcription, to each one told of the voicemail before it arrived."""
    facts = _facts(summarise(events), events, config, base_url) if events else None
    if facts is None or not facts.transcription:
        return []
    email = text.transcription_email(facts)
    return [Outgoing(row.subject, TRANSCRIPTION, row.recipient, row.channel, row.address,
                     text.transcription_sms(facts) if row.channel == SMS else email[1],
                     {} if row.channel == SMS else {"subject": email[0]})
            for row in told if row.kind == VOICEMAIL and row.channel in (SMS, EMAIL)
            and not (row.data or {}).get("transcribed")]


def _tell(events: Sequence[ev.Event], summary: CallSummary, config: Any, base_url: str | None,
          kind: str, people: Iterable[str], open_minutes: int | None = None) -> list[Outgoing]:
    facts = _facts(summary, events, config, base_url)
    sms, write_email = {
        VOICEMAIL: (text.voicemail_sms, text.voicemail_email),
        CALLBACK: (text.callback_sms, text.callback_email),
    }.get(kind, (text.missed_sms, text.missed_email))
    email = write_email(facts)
    data = {"transcribed": bool(facts.transcription)} if kind == VOICEMAIL else {}
    if open_minutes:
        email = text.still_open_email(email, open_minutes)
    people_ = _People(f"call:{summary.call_sid}", config, _rang_out(summary), data)
    return people_.tell(kind, people, lambda rang_out: text.still_open(
        sms(facts, rang_out), open_minutes), email)


def _rang_out(summary: CallSummary) -> set[str]:
    return {a.person for a in summary.attempts
            if a.status in RANG_OUT and a.person and a.person != summary.answered_by}


@dataclass(frozen=True)
class _People:
    """Messages about one call to a list of people; who let it ring out is told so."""

    subject: str
    config: Any
    rang_out: set[str]
    data: dict[str, Any] = field(default_factory=dict)

    def tell(self, kind: str, people: Iterable[str], sms: Callable[[bool], str],
             email: tuple[str, str] | None = None) -> list[Outgoing]:
        out: list[Outgoing] = []
        for pid in dict.fromkeys(people):  # each person once, in chain order
            person = self.config.people.get(pid)
            if person is None:
                continue
            out.append(Outgoing(self.subject, kind, pid, SMS, person.phone,
                                sms(pid in self.rang_out), dict(self.data)))
            if email and person.email:
                out.append(Outgoing(self.subject, kind, pid, EMAIL, person.email, email[1],
                                    {**self.data, "subject": email[0]}))
        return out


def _facts(summary: CallSummary, events: Sequence[ev.Event], config: Any,
           base_url: str | None) -> text.CallFacts:
    hotline = config.line_for(summary.hotline_number).name
    started = summary.started_at or parse_at(min(e["at"] for e in events))
    answered = config.people.get(summary.answered_by or "")
    return text.CallFacts(
        hotline=hotline,
        who=text.caller_description(summary.contract_name, summary.caller),
        at=local_time(started, config.hotline.timezone),
        link=text.call_link(base_url, summary.call_sid),
        duration=summary.voicemails[0].duration if summary.voicemails else None,
        transcription=transcription(events),
        answered_by=answered.name if answered else None,
        callback_number=next((str(e["data"].get("number")) for e in events
                              if e["type"] == ev.CALLBACK_REQUESTED), None),
    )


def transcription(events: Sequence[ev.Event]) -> str | None:
    """Twilio's transcription of the voicemail, when an event carries one."""
    for event in sorted(events, key=lambda e: e["at"], reverse=True):
        data = event.get("data") or {}
        found = data.get("transcription_text") or data.get("transcription")
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None
