"""What a call's events add up to: the call's summary and one summary per dial attempt (pure)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from app.calls import events as ev

ACCEPT_DIGIT = "1"
RINGING = "ringing"  # an attempt with no final word yet
_RING_START = frozenset({"queued", "initiated", "ringing"})
_ANSWERED = frozenset({"answered", "in-progress"})
_LEG_FINAL = frozenset({"completed", "no-answer", "busy", "failed", "canceled"})
_UNANSWERED = {"no-answer": ev.NO_ANSWER, "busy": ev.BUSY, "failed": ev.FAILED,
               "canceled": ev.CANCELED}


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


@dataclass(frozen=True)
class VoicemailSummary:
    recording_sid: str
    url: str | None
    duration: int | None
    status: str


@dataclass(frozen=True)
class CallSummary:
    call_sid: str
    caller: str | None = None
    hotline_number: str | None = None
    contract: str | None = None
    contract_name: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    answered_by: str | None = None
    time_to_answer_seconds: float | None = None
    identified_by: str | None = None
    waited_seconds: float | None = None
    out_of_hours: bool = False
    attempts: list[AttemptSummary] = field(default_factory=list)
    voicemails: list[VoicemailSummary] = field(default_factory=list)


class _E(NamedTuple):
    at: datetime
    key: str
    type: str
    data: dict[str, Any]


LogEvent = _E


def parse_at(value: str | datetime) -> datetime:
    """An event time as an aware UTC datetime (naive values are taken as UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def summarise(events: Iterable[ev.Event]) -> CallSummary:
    """Fold one call's events, in any order and with duplicates, into its summary."""
    unique = {e["key"]: e for e in reversed(list(events))}  # the first copy of a key wins
    sids = {e["call_sid"] for e in unique.values()}
    if len(sids) != 1:
        raise ValueError(f"summarise needs the events of exactly one call, got {sorted(sids)}")
    return summary_of_log(sids.pop(), sorted(log_event(e) for e in unique.values()))


def log_event(event: ev.Event) -> LogEvent:
    """An event as the ledger folds it (its time parsed); such events order by (at, key)."""
    return _E(parse_at(event["at"]), event["key"], event["type"], event.get("data") or {})


def summary_of_log(call_sid: str, log: list[LogEvent]) -> CallSummary:
    """The summary of one call's events, unique by key and in (at, key) order."""
    last = {e.type: e for e in log}  # the last event of each type
    started = last.get(ev.CALL_STARTED)
    identified = last.get(ev.CALL_IDENTIFIED)
    ended = last.get(ev.CALL_ENDED)
    call_start = started.at if started else log[0].at
    attempts = [_attempt(step, evs, ended is not None) for step, evs in _by_step(log).items()
                if ended is None or not _never_rang(evs)]
    connected = next((a for a in attempts if a[0].status == ev.CONNECTED), None)
    start_data = started.data if started else {}
    id_data = identified.data if identified else {}
    outcome = _outcome(log, last, connected is not None, ended is not None)
    return CallSummary(
        call_sid=call_sid,
        caller=start_data.get("caller") or start_data.get("from"),
        hotline_number=start_data.get("to"),
        contract=id_data.get("contract"),
        contract_name=id_data.get("contract_name"),
        started_at=started.at if started else None,
        ended_at=ended.at if ended else None,
        outcome=outcome,
        answered_by=connected[0].person if connected else None,
        time_to_answer_seconds=_seconds(call_start, connected[1]) if connected else None,
        identified_by=id_data.get("method"),
        waited_seconds=_seconds(call_start, _wait_end(last, outcome, connected, attempts, ended)),
        out_of_hours=ev.ROUTE_CLOSED in last,
        attempts=[a[0] for a in attempts],
        voicemails=_voicemails(log),
    )


def _outcome(log: list[_E], last: dict[str, _E], connected: bool, ended: bool) -> str | None:
    if connected:
        return ev.OUTCOME_CONNECTED
    if any(e.type == ev.CALLBACK_RESULT and e.data.get("outcome") == ev.CONNECTED for e in log):
        return ev.OUTCOME_CALLED_BACK
    if ev.CALLBACK_REQUESTED in last:
        return ev.OUTCOME_CALLBACK
    if ev.VOICEMAIL_RECORDED in last:
        return ev.OUTCOME_VOICEMAIL
    if ev.CALL_REJECTED in last:
        return ev.OUTCOME_REJECTED
    return ev.OUTCOME_ABANDONED if ended else None


def _wait_end(last: dict[str, _E], outcome: str | None,
              connected: tuple[AttemptSummary, datetime] | None,
              attempts: list[tuple[AttemptSummary, datetime]], ended: _E | None) -> datetime | None:
    """When the caller stopped waiting for an engineer: the accept key, the voicemail, or
    hanging up, whichever came first; None for a call nobody was meant to answer or still on."""
    if connected:
        return connected[1]
    if outcome == ev.OUTCOME_REJECTED:
        return None
    offered = last.get(ev.VOICEMAIL_STARTED)
    if offered is None:
        return ended.at if ended else None
    # After "closed, press 1", the voicemail was offered before the chain rang: the wait
    # lasted until the last phone stopped ringing.
    rang_until = [a.ended_at for a, _ in attempts if a.ended_at is not None]
    voicemail_at = max([offered.at, *rang_until])
    return min(ended.at, voicemail_at) if ended else voicemail_at


_LEG_TYPES = (ev.DIAL_STARTED, ev.LEG_STATUS, ev.SCREEN_RESULT, ev.DIAL_RESULT)


def _never_rang(log: list[_E]) -> bool:
    """Only our dial.started: the caller left before Twilio ran that <Dial>, so nobody rang."""
    return all(e.type == ev.DIAL_STARTED for e in log)


def _by_step(log: list[_E]) -> dict[int, list[_E]]:
    """Events of the dial steps, per step; a leg event without a step borrows its leg's step."""
    leg_steps = {
        e.data["leg_sid"]: int(e.data["step"])
        for e in log
        if e.data.get("leg_sid") and e.data.get("step") is not None
    }
    steps: dict[int, list[_E]] = {}
    for e in log:
        if e.type not in _LEG_TYPES:
            continue
        step = e.data.get("step")
        step = int(step) if step is not None else leg_steps.get(e.data.get("leg_sid") or "")
        if step is not None:
            steps.setdefault(step, []).append(e)
    return dict(sorted(steps.items()))


def _attempt(step: int, log: list[_E], call_over: bool) -> tuple[AttemptSummary, datetime]:
    """One dial step's summary, and when it was accepted (meaningful only if connected)."""
    result = _last(log, ev.DIAL_RESULT)
    legs = [e for e in log if e.type == ev.LEG_STATUS]
    screens = [e for e in log if e.type == ev.SCREEN_RESULT]
    key = _accept_key(screens)
    # Leg callbacks carry Twilio's own timestamps; the dial.started time is ours.
    ring_start = _first_at(e for e in legs if e.data.get("status") in _RING_START) or _first_at(
        e for e in log if e.type == ev.DIAL_STARTED
    )
    answered_at = _first_at(e for e in legs if e.data.get("status") in _ANSWERED)
    answered_at = answered_at or _first_at(screens)
    leg_final = _last_of(e for e in legs if e.data.get("status") in _LEG_FINAL)
    ended_at = leg_final.at if leg_final else (result.at if result else None)
    final = result.data.get("dial_status") if result else None
    final = final or (leg_final.data["status"] if leg_final else None)
    if final is None and call_over:
        final = "canceled"  # the caller hung up while this leg rang; Twilio dropped it
    answered = answered_at is not None or final == "completed"
    accepted_at = _first_at(e for e in screens if e.data.get("digits") == ACCEPT_DIGIT)
    talk = _int(result.data.get("talk_seconds")) if result else None
    if result is None and key == ACCEPT_DIGIT and final == "completed" and leg_final:
        # The caller hung up during the conversation and Twilio sent no Dial action: the
        # engineer's leg completed after the accept key, so the legs were bridged.
        screening = _seconds(answered_at, accepted_at) or 0
        talk = max(0, (_int(leg_final.data.get("duration")) or 0) - round(screening))
    summary = AttemptSummary(
        step=step,
        person=_pick(log, "person"),
        number=_pick(log, "number"),
        leg_sid=(result.data.get("leg_sid") if result else None) or _pick(log, "leg_sid"),
        status=_status(result, key, answered, final, talk),
        accept_key=key,
        ring_seconds=_seconds(ring_start, answered_at or ended_at),
        talk_seconds=talk,
        started_at=ring_start or log[0].at,
        ended_at=ended_at,
        pass_number=_int(_pick(log, "pass")) or 1,
        caller_id=_pick(log, "caller_id"),
    )
    return summary, accepted_at or answered_at or ended_at or log[-1].at


def _status(result: _E | None, key: str | None, answered: bool, final: str | None,
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


def _accept_key(screens: list[_E]) -> str | None:
    digits = [str(e.data["digits"]) for e in screens if e.data.get("digits") not in (None, "")]
    if ACCEPT_DIGIT in digits:
        return ACCEPT_DIGIT
    return digits[-1] if digits else None


def _voicemails(log: list[_E]) -> list[VoicemailSummary]:
    found: dict[str, VoicemailSummary] = {}
    for e in log:
        if e.type not in (ev.VOICEMAIL_RECORDED, ev.RECORDING_STATUS):
            continue
        sid = e.data.get("recording_sid")
        if not sid:
            continue
        old = found.get(sid) or VoicemailSummary(sid, None, None, "recorded")
        found[sid] = VoicemailSummary(
            recording_sid=sid,
            url=e.data.get("recording_url") or old.url,
            duration=_int(e.data.get("duration")) if e.data.get("duration") else old.duration,
            status=(e.data.get("status") or old.status) if e.type == ev.RECORDING_STATUS
            else old.status,
        )
    return list(found.values())


def _last(log: list[_E], type_: str) -> _E | None:
    return _last_of(e for e in log if e.type == type_)


def _last_of(log: Iterable[_E]) -> _E | None:
    tail = deque(log, maxlen=1)
    return tail[0] if tail else None


def _first_at(log: Iterable[_E]) -> datetime | None:
    return next((e.at for e in log), None)


def _pick(log: list[_E], name: str) -> Any:
    return next((e.data[name] for e in log if e.data.get(name)), None)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()), 3)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
