"""Who hears about a voicemail or a missed call, and when: at once, later up the chain (pure).

The people whose phones rang for the call and the on-call person hear at once (per role, see
``[notifications].roles``); the rest of the chain hears one person at a time while nobody marks
the follow-up handled. A business-hours contract's voicemail left while it was closed waits for
the next opening, unless the caller chose the emergency option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.calls import events as ev
from app.calls.ledger import CallSummary, parse_at
from app.calls.safe import safe_numbers
from app.config import HotlineConfig
from app.config.model import Line
from app.config.notifications import NotificationsSection
from app.escalation import OnCall, build_chain
from app.schedule import next_opening


@dataclass(frozen=True)
class Member:
    """One person of a call's chain and their role in it (on-call, backup, cio)."""

    person: str
    role: str


@dataclass(frozen=True)
class Audience:
    """Who is told at once, and who next, one per escalation step, in chain order."""

    now: tuple[str, ...]
    later: tuple[str, ...]


def audience(chain: Sequence[Member], rang: set[str], kind: str,
             section: NotificationsSection) -> Audience:
    """Sort the chain by ``section``'s rule for each role; nobody at once: the first in line."""
    now: list[str] = []
    later: list[str] = []
    for member in chain:
        when = section.when(member.role, kind)
        if when == "now" or (when == "rang" and member.person in rang):
            now.append(member.person)
        elif when in ("rang", "escalation"):
            later.append(member.person)
    if not now and later:
        now, later = later[:1], later[1:]
    return Audience(tuple(dict.fromkeys(now)), tuple(p for p in dict.fromkeys(later)
                                                     if p not in now))


def chain_of(events: Sequence[ev.Event], summary: CallSummary, config: HotlineConfig,
             who: OnCall, at: datetime | None = None) -> list[Member]:
    """The chain the call rang; none rung (closed, unidentified): the line's chain at ``at``
    (default: the call's start)."""
    chosen = [e for e in events if e["type"] == ev.CHAIN_CHOSEN]
    if chosen:
        data = max(chosen, key=lambda e: (e["at"], e["key"])).get("data") or {}
        people = [str(p) for p in data.get("chain") or []]
        roles = data.get("roles") or _roles_of(people, data.get("policy"), config)
        return [Member(p, str(r)) for p, r in zip(people, roles, strict=False)]
    policy = config.policies.get(line_of(events, summary, config).policy)
    moment = at or summary.started_at
    if policy is None or moment is None:
        return []
    plan = build_chain(policy, config.rotations, moment, who)
    return [Member(step.person, step.role) for step in plan.steps]


def rang(events: Sequence[ev.Event], summary: CallSummary, config: HotlineConfig) -> set[str]:
    """The people whose phones the call rang: those dialled, and the safe path's people."""
    people = {a.person for a in summary.attempts if a.person}
    if any(e["type"] == ev.VOICEMAIL_STARTED and (e.get("data") or {}).get("reason") == "error"
           for e in events):
        numbers = set(safe_numbers(config))
        people |= {pid for pid, person in config.people.items() if person.phone in numbers}
    return people


def held_until(events: Sequence[ev.Event], summary: CallSummary, config: HotlineConfig,
               section: NotificationsSection) -> datetime | None:
    """The next opening after a closed business-hours contract's call, unless the caller took
    the emergency option (or the section says to tell at once)."""
    types = {e["type"] for e in events}
    if (section.after_hours_voicemail != "opening" or ev.ROUTE_CLOSED not in types
            or ev.ROUTE_EMERGENCY in types):
        return None
    closed = min((e for e in events if e["type"] == ev.ROUTE_CLOSED), key=lambda e: e["at"])
    contract = config.contracts.get(summary.contract or "")
    office = config.office_hours(contract.business_hours if contract else None,
                                 line_of(events, summary, config))
    if office is not None:
        return next_opening(office.hours, parse_at(closed["at"]))
    opens = (closed.get("data") or {}).get("opens_at")
    return parse_at(opens) if isinstance(opens, str) else None


def line_of(events: Sequence[ev.Event], summary: CallSummary, config: HotlineConfig) -> Line:
    """The line the call came in on (logged at its start, else by the number dialled)."""
    started = next((e for e in events if e["type"] == ev.CALL_STARTED), None)
    line_id = ((started or {}).get("data") or {}).get("line") or ""
    return config.line(line_id) if line_id else config.line_for(summary.hotline_number)


def _roles_of(people: list[str], policy_id: object, config: HotlineConfig) -> list[str]:
    """Roles for a chain logged without them: the first on call, the policy's cio, backups."""
    policy = config.policies.get(str(policy_id))
    cio = policy.cio if policy else None
    return ["cio" if p == cio else "on-call" if i == 0 else "backup" for i, p in enumerate(people)]
