"""What one dial step's events add up to: an attempt's summary (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from app.calls import events as ev

ACCEPT_DIGIT = "1"
RINGING = "ringing"  # an attempt with no final word yet
_RING_START = frozenset({"queued", "initiated", "ringing"})
_ANSWERED = frozenset({"answered", "in-progress"})
_LEG_FINAL = frozenset({"completed", "no-answer", "busy", "failed", "canceled"})
_UNANSWERED = {"no-answer": ev.NO_ANSWER, "busy": ev.BUSY, "failed": ev.FAILED,
               "canceled": ev.CANCELED}


class LogEvent(NamedTuple):
    """An event as the ledger folds it (its time parsed); such events order by (at, key)."""

    at: datetime
    key: str
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class AttemptSummary:
    step: int
    person: str | None
    number: str | None
    leg_sid: str | None
    status: str
    accept_key: str | None
    ring_seconds: float | None
    talk_seconds: int | None
    started_at: datetime | None
    ended_at: datetime | None
    pass_number: int = 1  # which run through the chain (a policy's ``passes``)
    caller_id: str | None = None  # the number the engineer's phone showed


LEG_TYPES = (ev.DIAL_STARTED, ev.LEG_STATUS, ev.SCREEN_RESULT, ev.DIAL_RESULT)


def never_rang(log: Sequence[LogEvent]) -> bool:
    """Only our dial.started: the caller left before Twilio ran that <Dial>, so nobody rang."""
    return all(e.type == ev.DIAL_STARTED for e in log)


_PICKED = ("person", "number", "leg_sid", "pass", "caller_id")  # the first event's that has it


@dataclass
class _Scan:
    """What the summary reads of a step's events, gathered in one pass."""

    result: LogEvent | None = None  # the last dial.result
    leg_final: LogEvent | None = None  # the last leg status that ends the leg
    leg_ringing: datetime | None = None  # the first leg status that rings
    leg_answered: datetime | None = None
    dial_started: datetime | None = None
    screened: datetime | None = None  # the first screen result
    accepted: datetime | None = None  # the first screen result with the accept key
    digits: list[str] = field(default_factory=list)
    picked: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, log: Sequence[LogEvent]) -> _Scan:
        scan = cls()
        picked = scan.picked
        for e in log:
            data = e.data
            if len(picked) < len(_PICKED):
                for name in _PICKED:
                    if name not in picked and data.get(name):
                        picked[name] = data[name]
            if e.type == ev.LEG_STATUS:
                scan._leg(e)
            elif e.type == ev.SCREEN_RESULT:
                scan.screened = scan.screened or e.at
                if data.get("digits") not in (None, ""):
                    scan.digits.append(str(data["digits"]))
                if scan.accepted is None and data.get("digits") == ACCEPT_DIGIT:
                    scan.accepted = e.at
            elif e.type == ev.DIAL_RESULT:
                scan.result = e
            elif e.type == ev.DIAL_STARTED:
                scan.dial_started = scan.dial_started or e.at
        return scan

    def _leg(self, e: LogEvent) -> None:
        status = e.data.get("status")
        if self.leg_ringing is None and status in _RING_START:
            self.leg_ringing = e.at
        if self.leg_answered is None and status in _ANSWERED:
            self.leg_answered = e.at
        if status in _LEG_FINAL:
            self.leg_final = e


def attempt_of(step: int, log: Sequence[LogEvent], call_over: bool,
               ) -> tuple[AttemptSummary, datetime]:
    """One dial step's summary, and when it was accepted (meaningful only if connected)."""
    scan = _Scan.of(log)
    result, leg_final = scan.result, scan.leg_final
    key = _accept_key(scan.digits)
    # Leg callbacks carry Twilio's own timestamps; the dial.started time is ours.
    ring_start = scan.leg_ringing or scan.dial_started
    answered_at = scan.leg_answered or scan.screened
    ended_at = leg_final.at if leg_final else (result.at if result else None)
    final = result.data.get("dial_status") if result else None
    final = final or (leg_final.data["status"] if leg_final else None)
    if final is None and call_over:
        final = "canceled"  # the caller hung up while this leg rang; Twilio dropped it
    answered = answered_at is not None or final == "completed"
    accepted_at = scan.accepted
    talk = as_int(result.data.get("talk_seconds")) if result else None
    if result is None and key == ACCEPT_DIGIT and final == "completed" and leg_final:
        # The caller hung up during the conversation and Twilio sent no Dial action: the
        # engineer's leg completed after the accept key, so the legs were bridged.
        screening = seconds_between(answered_at, accepted_at) or 0
        talk = max(0, (as_int(leg_final.data.get("duration")) or 0) - round(screening))
    picked = scan.picked
    summary = AttemptSummary(
        step=step,
        person=picked.get("person"),
        number=picked.get("number"),
        leg_sid=(result.data.get("leg_sid") if result else None) or picked.get("leg_sid"),
        status=_status(result, key, answered, final, talk),
        accept_key=key,
        ring_seconds=seconds_between(ring_start, answered_at or ended_at),
        talk_seconds=talk,
        started_at=ring_start or log[0].at,
        ended_at=ended_at,
        pass_number=as_int(picked.get("pass")) or 1,
        caller_id=picked.get("caller_id"),
    )
    return summary, accepted_at or answered_at or ended_at or log[-1].at


def _status(result: LogEvent | None, key: str | None, answered: bool, final: str | None,
            talk: int | None) -> str:
    if result and _truthy(result.data.get("bridged")) and (
        result.data.get("outcome", ev.CONNECTED) == ev.CONNECTED
    ):
        return ev.CONNECTED
    if result is None and key == ACCEPT_DIGIT and final == "completed" and talk is not None:
        return ev.CONNECTED
    if key is not None and key != ACCEPT_DIGIT:
        return ev.DECLINED
    if final is None:
        return RINGING
    if key == ACCEPT_DIGIT:  # accepted, yet never bridged: the caller left first
        return _UNANSWERED.get(final, ev.CANCELED)
    if answered:  # picked up without pressing the key: a voicemail box, most likely
        return ev.NOT_ACCEPTED
    return _UNANSWERED.get(final, ev.FAILED)


def _accept_key(digits: list[str]) -> str | None:
    if ACCEPT_DIGIT in digits:
        return ACCEPT_DIGIT
    return digits[-1] if digits else None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()), 3)


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
