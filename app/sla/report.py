"""A contract's SLA figures for a period, from plain call records (pure).

A call counts when somebody was meant to answer it and it is over: rejected calls (blocklisted,
turned away) and calls still going on never count, and a contract measured over in-hours calls
leaves out those that came in out of hours. Answered means an engineer pressed the accept key;
the time to answer runs from the moment the call reached the hotline to that key press.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.calls import events as ev
from app.contracts import AnswerTarget, Counted
from app.schedule.periods import Period
from app.sla.histogram import TenthsUp, tenths_up_counts

# Nobody answered while the caller waited (a callback came later, if at all).
MISSED_OUTCOMES = frozenset({ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED, ev.OUTCOME_CALLBACK,
                             ev.OUTCOME_CALLED_BACK})


@dataclass(frozen=True)
class CallRecord:
    """What the report needs of one stored call."""

    call_sid: str
    started_at: datetime
    outcome: str | None  # None: still going on
    time_to_answer: float | None = None
    waited: float | None = None
    out_of_hours: bool = False  # the caller heard that the hotline was closed
    caller: str | None = None
    hotline_number: str | None = None
    ended_at: datetime | None = None
    handled_at: datetime | None = None  # marked handled in the follow-up queue


@dataclass(frozen=True)
class MissedCall:
    call_sid: str
    started_at: datetime
    caller: str | None
    outcome: str  # voicemail or abandoned (hung up while waiting)
    waited: float | None
    counted: bool
    handled_after: float | None  # seconds from the end of the call until marked handled


@dataclass(frozen=True)
class SlaReport:
    contract: str
    contract_name: str
    target: AnswerTarget
    period: Period
    calls: int  # every call of the contract in the period
    counted: int
    answered: int  # of the counted calls
    answered_within: int
    median: float | None  # time to answer of the counted answered calls
    p90: float | None
    longest: float | None
    answer_histogram: TenthsUp  # the counted answered calls' times to answer
    missed: list[MissedCall]  # counted or not, oldest first; the first ones if a limit was asked
    missed_total: int  # every missed call, counted or not
    missed_counts: dict[str, int]  # the counted missed calls per outcome
    out_of_hours: int
    out_of_hours_answered: int
    rejected: int
    in_progress: int
    voicemails: int
    voicemails_handled: int
    handled_median: float | None  # seconds until a voicemail was marked handled
    handled_longest: float | None

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.counted if self.counted else None

    @property
    def within_rate(self) -> float | None:
        return self.answered_within / self.counted if self.counted else None

    @property
    def missed_counted(self) -> int:
        return sum(self.missed_counts.values())

    @property
    def met(self) -> bool | None:
        """Whether the target was met; None when no call counted."""
        if not self.counted:
            return None
        return self.answered_within * 100 >= self.target.percent * self.counted


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile by linear interpolation between closest ranks (None if no values)."""
    if not values:
        return None
    return ranked_quantile(sorted(values).__getitem__, len(values), q)


def quantile_ranks(n: int, q: float) -> tuple[int, int]:
    """The 0-based ranks (closest below and above) the ``q`` quantile of ``n`` values needs."""
    pos = q * (n - 1)
    return math.floor(pos), math.ceil(pos)


def ranked_quantile(value_at: Callable[[int], float], n: int, q: float) -> float:
    """The ``q`` quantile of ``n`` ordered values, ``value_at(rank)`` giving the needed ones."""
    pos = q * (n - 1)
    low, high = quantile_ranks(n, q)
    return value_at(low) + (value_at(high) - value_at(low)) * (pos - low)


def stored_flag(record: CallRecord) -> bool:
    return record.out_of_hours


def sla_report(contract: str, contract_name: str, target: AnswerTarget, period: Period,
               records: Iterable[CallRecord],
               outside_hours: Callable[[CallRecord], bool] = stored_flag) -> SlaReport:
    """The figures of ``records`` (the contract's calls of ``period``) against ``target``."""
    calls = sorted(records, key=lambda r: (r.started_at, r.call_sid))
    late = {r.call_sid for r in calls if outside_hours(r)}
    answerable = [r for r in calls if r.outcome not in (None, ev.OUTCOME_REJECTED)]
    counted = [r for r in answerable
               if target.counts is Counted.ALL or r.call_sid not in late]
    answered = [r for r in counted if r.outcome == ev.OUTCOME_CONNECTED]
    times = [r.time_to_answer for r in answered if r.time_to_answer is not None]
    handled = handled_times(calls)
    counted_ids = {r.call_sid for r in counted}
    missed = [missed_call(r, r.call_sid in counted_ids) for r in calls
              if r.outcome in MISSED_OUTCOMES]
    return SlaReport(
        contract=contract, contract_name=contract_name, target=target, period=period,
        calls=len(calls), counted=len(counted), answered=len(answered),
        answered_within=sum(1 for t in times if t <= target.seconds),
        median=quantile(times, 0.5), p90=quantile(times, 0.9), longest=max(times, default=None),
        answer_histogram=tenths_up_counts(times),
        missed=missed, missed_total=len(missed),
        missed_counts=dict(Counter(m.outcome for m in missed if m.counted)),
        out_of_hours=len(late),
        out_of_hours_answered=sum(1 for r in calls
                                  if r.call_sid in late and r.outcome == ev.OUTCOME_CONNECTED),
        rejected=sum(1 for r in calls if r.outcome == ev.OUTCOME_REJECTED),
        in_progress=sum(1 for r in calls if r.outcome is None),
        voicemails=sum(1 for r in calls if r.outcome == ev.OUTCOME_VOICEMAIL),
        voicemails_handled=len(handled),
        handled_median=quantile(handled, 0.5), handled_longest=max(handled, default=None),
    )


def handled_times(records: Iterable[CallRecord]) -> list[float]:
    """Seconds until each voicemail among ``records`` was marked handled (if it was)."""
    return [s for s in (handled_after(r) for r in records if r.outcome == ev.OUTCOME_VOICEMAIL)
            if s is not None]


def missed_call(record: CallRecord, counted: bool) -> MissedCall:
    return MissedCall(record.call_sid, record.started_at, record.caller, record.outcome or "",
                      record.waited, counted, handled_after(record))


def handled_after(record: CallRecord) -> float | None:
    if record.handled_at is None:
        return None
    since = record.ended_at or record.started_at
    return round(max(0.0, (record.handled_at - since).total_seconds()), 3)
