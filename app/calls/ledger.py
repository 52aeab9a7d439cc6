"""What a call's events add up to: the call's summary and one summary per dial attempt (pure).

A log is read through its index (the last event of each type, each dial step's events, the
voicemails so far). An index extends with later events, and a step whose events did not change
keeps its attempt, so a call folded batch by batch costs what its new events cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.calls import events as ev
from app.calls.dial_steps import (
    ACCEPT_DIGIT,
    LEG_TYPES,
    RINGING,
    AttemptSummary,
    LogEvent,
    as_int,
    attempt_of,
    never_rang,
    seconds_between,
)

__all__ = ["ACCEPT_DIGIT", "RINGING", "AttemptSummary", "CallSummary", "LogEvent", "LogIndex",
           "StepAttempts", "VoicemailSummary", "extend_index", "index_log", "log_event",
           "parse_at", "summarise", "summary_of_index", "summary_of_log"]


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
    return LogEvent(parse_at(event["at"]), event["key"], event["type"], event.get("data") or {})


def summary_of_log(call_sid: str, log: Sequence[LogEvent]) -> CallSummary:
    """The summary of one call's events, unique by key and in (at, key) order."""
    return summary_of_index(call_sid, index_log(log), {})[0]


@dataclass(frozen=True)
class LogIndex:
    """What the summary reads of a log of one call's events (unique, in (at, key) order)."""

    first_at: datetime
    last: Mapping[str, LogEvent]  # the last event of each type
    steps: Mapping[int, tuple[LogEvent, ...]]  # each dial step's events, in log order
    leg_steps: Mapping[str, int]  # a leg's step, for its events that carry none
    stepless_legs: frozenset[str]  # legs with an event that carries no step
    called_back: bool  # a callback reached the caller
    voicemails: Mapping[str, VoicemailSummary]


def index_log(log: Sequence[LogEvent]) -> LogIndex:
    empty = LogIndex(log[0].at, {}, {}, {}, frozenset(), False, {})
    extended = extend_index(empty, log)
    assert extended is not None  # nothing indexed before: added in order
    return extended


def extend_index(index: LogIndex, added: Sequence[LogEvent]) -> LogIndex | None:
    """``index`` with ``added`` (in order, none of them indexed yet) put in their places; None
    where that would change what indexed events mean (index the log again): an added event
    gives a step to a leg whose indexed events carry none, maps a leg to another step before
    the last event indexed, or is a recording's event before the last one indexed."""
    in_order = not index.last or max(index.last.values()) < added[0]
    leg_steps = dict(index.leg_steps)
    for e in added:
        leg, step = e.data.get("leg_sid"), e.data.get("step")
        if leg and step is not None:
            if not in_order and leg_steps.get(leg, int(step)) != int(step):
                return None  # the last mapping wins: which one is last would change
            leg_steps[leg] = int(step)
    if any(leg in leg_steps and index.leg_steps.get(leg) != leg_steps[leg]
           for leg in index.stepless_legs):
        return None  # events indexed without a step now have one
    recorded = [e for e in added if e.type in _RECORDING_EVENTS]
    if recorded and recorded[0] < max(
            (index.last[t] for t in _RECORDING_EVENTS if t in index.last), default=recorded[0]):
        return None
    steps = dict(index.steps)
    stepless = set(index.stepless_legs)
    last = dict(index.last)
    for e in added:
        if e.type not in last or last[e.type] < e:
            last[e.type] = e
        if e.type not in LEG_TYPES:
            continue
        step = e.data.get("step")
        if step is None:
            leg = e.data.get("leg_sid") or ""
            if leg:
                stepless.add(leg)
            step = leg_steps.get(leg)
        if step is not None:
            _insert(steps, int(step), e)
    return LogIndex(
        first_at=min(index.first_at, added[0].at),
        last=last,
        steps=steps,
        leg_steps=leg_steps,
        stepless_legs=frozenset(stepless),
        called_back=index.called_back or any(
            e.type == ev.CALLBACK_RESULT and e.data.get("outcome") == ev.CONNECTED for e in added),
        voicemails=_voicemails(index.voicemails, recorded),
    )


_RECORDING_EVENTS = (ev.VOICEMAIL_RECORDED, ev.RECORDING_STATUS)


def _insert(steps: dict[int, tuple[LogEvent, ...]], step: int, event: LogEvent) -> None:
    """``event`` into its step's events, in log order."""
    events = steps.get(step, ())
    if not events or events[-1] < event:
        steps[step] = (*events, event)
    else:
        steps[step] = tuple(sorted((*events, event)))


# Per dial step: its events, whether the call was over, and the attempt they added up to.
StepAttempts = Mapping[int, tuple[tuple[LogEvent, ...], bool, tuple[AttemptSummary, datetime]]]


def summary_of_index(call_sid: str, index: LogIndex, earlier: StepAttempts,
                     ) -> tuple[CallSummary, StepAttempts]:
    """The call's summary, and its attempts for the next fold; a step whose events are the
    very ones of ``earlier`` keeps its attempt."""
    last = index.last
    started = last.get(ev.CALL_STARTED)
    identified = last.get(ev.CALL_IDENTIFIED)
    ended = last.get(ev.CALL_ENDED)
    call_start = started.at if started else index.first_at
    worked_out = {}
    for step in sorted(index.steps):
        events = index.steps[step]
        if ended is not None and never_rang(events):
            continue
        before = earlier.get(step)
        if before is not None and before[1] == (ended is not None) and _same(before[0], events):
            worked_out[step] = before
        else:
            worked_out[step] = (events, ended is not None, attempt_of(step, events, ended is not None))
    attempts = [found for _, _, found in worked_out.values()]
    connected = next((a for a in attempts if a[0].status == ev.CONNECTED), None)
    start_data = started.data if started else {}
    id_data = identified.data if identified else {}
    outcome = _outcome(index, connected is not None, ended is not None)
    summary = CallSummary(
        call_sid=call_sid,
        caller=start_data.get("caller") or start_data.get("from"),
        hotline_number=start_data.get("to"),
        contract=id_data.get("contract"),
        contract_name=id_data.get("contract_name"),
        started_at=started.at if started else None,
        ended_at=ended.at if ended else None,
        outcome=outcome,
        answered_by=connected[0].person if connected else None,
        time_to_answer_seconds=seconds_between(call_start, connected[1]) if connected else None,
        identified_by=id_data.get("method"),
        waited_seconds=seconds_between(
            call_start, _wait_end(last, outcome, connected, attempts, ended)),
        out_of_hours=ev.ROUTE_CLOSED in last,
        attempts=[a[0] for a in attempts],
        voicemails=list(index.voicemails.values()),
    )
    return summary, worked_out


def _same(folded: tuple[LogEvent, ...], events: tuple[LogEvent, ...]) -> bool:
    """The same events (a key is an event), without comparing their data."""
    return folded is events or (len(folded) == len(events) and all(
        a.key == b.key for a, b in zip(folded, events, strict=True)))


def _outcome(index: LogIndex, connected: bool, ended: bool) -> str | None:
    if connected:
        return ev.OUTCOME_CONNECTED
    if index.called_back:
        return ev.OUTCOME_CALLED_BACK
    if ev.CALLBACK_REQUESTED in index.last:
        return ev.OUTCOME_CALLBACK
    if ev.VOICEMAIL_RECORDED in index.last:
        return ev.OUTCOME_VOICEMAIL
    if ev.CALL_REJECTED in index.last:
        return ev.OUTCOME_REJECTED
    return ev.OUTCOME_ABANDONED if ended else None


def _wait_end(last: Mapping[str, LogEvent], outcome: str | None,
              connected: tuple[AttemptSummary, datetime] | None,
              attempts: list[tuple[AttemptSummary, datetime]],
              ended: LogEvent | None) -> datetime | None:
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


def _voicemails(found: Mapping[str, VoicemailSummary], added: Sequence[LogEvent],
                ) -> Mapping[str, VoicemailSummary]:
    """The recordings so far, by recording, updated by ``added`` (recordings' events, in
    order, later than those already folded)."""
    out = None
    for e in added:
        sid = e.data.get("recording_sid")
        if not sid:
            continue
        out = dict(found) if out is None else out
        old = out.get(sid) or VoicemailSummary(sid, None, None, "recorded")
        out[sid] = VoicemailSummary(
            recording_sid=sid,
            url=e.data.get("recording_url") or old.url,
            duration=as_int(e.data.get("duration")) if e.data.get("duration") else old.duration,
            status=(e.data.get("status") or old.status) if e.type == ev.RECORDING_STATUS
            else old.status,
        )
    return found if out is None else out
