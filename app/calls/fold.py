"""Folding a call's events batch by batch, to the same summary as folding them all at once (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.calls import events as ev
from app.calls.ledger import (
    CallSummary,
    LogEvent,
    LogIndex,
    StepAttempts,
    extend_index,
    index_log,
    log_event,
    summary_of_index,
)


@dataclass(frozen=True)
class FoldedCall:
    """A call's events folded so far: unique by key, in (at, key) order, and their summary."""

    call_sid: str
    log: tuple[LogEvent, ...]
    summary: CallSummary
    keys: frozenset[str]
    index: LogIndex = field(compare=False, repr=False)
    attempts: StepAttempts = field(compare=False, repr=False)


def fold(folded: FoldedCall | None, new_events: Iterable[ev.Event]) -> FoldedCall:
    """``folded`` (None: nothing yet) with ``new_events`` of the same call added; a key already
    folded keeps its first copy, as in ``summarise``."""
    seen = folded.keys if folded else frozenset()
    fresh: dict[str, ev.Event] = {}
    for event in new_events:
        if event["key"] not in seen:
            fresh.setdefault(event["key"], event)
    sids = {e["call_sid"] for e in fresh.values()} | ({folded.call_sid} if folded else set())
    if len(sids) != 1:
        raise ValueError(f"fold needs the events of exactly one call, got {sorted(sids)}")
    if folded is not None and not fresh:
        return folded
    added = sorted(log_event(e) for e in fresh.values())
    if folded is None:
        log = tuple(added)
        index = index_log(log)
    else:
        if added[0] > folded.log[-1]:
            log = folded.log + tuple(added)  # the usual case: later than all folded so far
        else:
            log = tuple(sorted(folded.log + tuple(added)))  # a late event: in its place
        index = extend_index(folded.index, added) or index_log(log)
    call_sid = sids.pop()
    summary, attempts = summary_of_index(call_sid, index, folded.attempts if folded else {})
    return FoldedCall(call_sid, log, summary, seen.union(fresh), index, attempts)
