"""Who hears about a call, and what they read, from the call's logged events (pure).

- a voicemail: the call's whole chain (``chain.chosen``), by SMS and by e-mail where known;
- a call nobody accepted and no voicemail followed (``missed``): the whole chain, likewise;
- a call someone accepted after others let it ring (``missed-ring``): those others, by SMS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.calls import events as ev
from app.calls.ledger import CallSummary, parse_at, summarise
from app.config.notifications import NotificationsSection
from app.escalation import OnCall, build_chain
from app.notify import messages as text
from app.notify.delivery import EMAIL, SMS, Outgoing
from app.schedule import on_call

VOICEMAIL, ENDED = "voicemail", "ended"  # what the call log saw: the triggers
MISSED, MISSED_RING = "missed", "missed-ring"
RANG_OUT = frozenset({ev.NO_ANSWER, ev.BUSY, ev.NOT_ACCEPTED, ev.FAILED})


def plan_call(events: Sequence[ev.Event], config: Any, section: NotificationsSection,
              trigger: str, base_url: str | None, who: OnCall = on_call) -> list[Outgoing]:
    """The notifications a call's events call for, on ``trigger`` (VOICEMAIL or ENDED)."""
    if not events:
        return []
    summary = summarise(events)
    chosen = _chain_chosen(events)
    facts = _facts(summary, events, config, base_url)
    rang_out = {a.person for a in summary.attempts
                if a.status in RANG_OUT and a.person and a.person != summary.answered_by}
    people = _People(f"call:{summary.call_sid}", config, rang_out)
    if trigger == VOICEMAIL and section.voicemail and summary.voicemails:
        chain = chosen if chosen is not None else _fallback_chain(events, summary, config, who)
        return people.tell(VOICEMAIL, chain, partial(text.voicemail_sms, facts),
                           text.voicemail_email(facts))
    if trigger != ENDED:
        return []
    if (summary.outcome == ev.OUTCOME_ABANDONED and chosen is not None
            and section.missed_calls):
        return people.tell(MISSED, chosen, partial(text.missed_sms, facts),
                           text.missed_email(facts))
    if summary.outcome == ev.OUTCOME_CONNECTED and section.missed_ring:
        ringed = [a.person for a in summary.attempts if a.person and a.person in rang_out]
        return people.tell(MISSED_RING, ringed, lambda _: text.missed_ring_sms(facts))
    return []


@dataclass(frozen=True)
class _People:
    """Messages about one call to a list of people; who let it ring out is told so."""

    subject: str
    config: Any
    rang_out: set[str]

    def tell(self, kind: str, people: Iterable[str], sms: Callable[[bool], str],
             email: tuple[str, str] | None = None) -> list[Outgoing]:
        out: list[Outgoing] = []
        for pid in dict.fromkeys(people):  # each person once, in chain order
            person = self.config.people.get(pid)
            if person is None:
                continue
            out.append(Outgoing(self.subject, kind, pid, SMS, person.phone,
                                sms(pid in self.rang_out)))
            if email and person.email:
                out.append(Outgoing(self.subject, kind, pid, EMAIL, person.email, email[1],
                                    {"subject": email[0]}))
        return out


def _facts(summary: CallSummary, events: Sequence[ev.Event], config: Any,
           base_url: str | None) -> text.CallFacts:
    hotline = config.line_for(summary.hotline_number).name
    started = summary.started_at or parse_at(min(e["at"] for e in events))
    answered = config.people.get(summary.answered_by or "")
    return text.CallFacts(
        hotline=hotline,
        who=text.caller_description(summary.contract_name, summary.caller),
        at=text.local_time(started, config.hotline.timezone),
        link=text.call_link(base_url, summary.call_sid),
        duration=summary.voicemails[0].duration if summary.voicemails else None,
        transcription=transcription(events),
        answered_by=answered.name if answered else None,
    )


def _chain_chosen(events: Sequence[ev.Event]) -> list[str] | None:
    chosen = [e for e in events if e["type"] == ev.CHAIN_CHOSEN]
    if not chosen:
        return None
    last = max(chosen, key=lambda e: (e["at"], e["key"]))
    return [str(p) for p in (last.get("data") or {}).get("chain") or []]


def _fallback_chain(events: Sequence[ev.Event], summary: CallSummary, config: Any,
                    who: OnCall) -> list[str]:
    """No chain was rung (closed, unidentified): the one the call's line had at its start."""
    started = next((e for e in events if e["type"] == ev.CALL_STARTED), None)
    line_id = ((started or {}).get("data") or {}).get("line") or ""
    line = config.line(line_id) if line_id else config.line_for(summary.hotline_number)
    policy = config.policies.get(line.policy)
    if policy is None or summary.started_at is None:
        return []
    return list(build_chain(policy, config.rotations, summary.started_at, who).people)


def transcription(events: Sequence[ev.Event]) -> str | None:
    """Twilio's transcription of the voicemail, when an event carries one."""
    for event in sorted(events, key=lambda e: e["at"], reverse=True):
        data = event.get("data") or {}
        found = data.get("transcription_text") or data.get("transcription")
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None
