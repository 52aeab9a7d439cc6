"""A contract's SLA report from calls counted in groups, as the database returns them (pure).

The bulk of a period's calls arrives as counts per (outcome, out of hours, time to answer in
tenths); only the missed calls, which the report lists, arrive one by one, and of the times to
answer only those at the ranks the median and p90 interpolate between. The figures are those
``sla_report`` computes from every call (decision 0018).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from app.calls import events as ev
from app.contracts import AnswerTarget, Counted
from app.schedule.periods import Period
from app.sla.histogram import TenthsUp
from app.sla.report import (
    MISSED_OUTCOMES,
    CallRecord,
    SlaReport,
    missed_call,
    quantile,
    quantile_ranks,
    ranked_quantile,
)

QUANTILES = (0.5, 0.9)


@dataclass(frozen=True)
class CallGroup:
    """How many calls of the period share an outcome, an out-of-hours class and, for answered
    calls, a histogram key of their time to answer."""

    outcome: str | None
    late: bool
    tenths: int | None  # None: not answered, or no time to answer stored
    calls: int
    shortest: float | None  # the shortest and the longest time to answer in the group
    longest: float | None


def counted(target: AnswerTarget, late: bool) -> bool:
    """Whether an answerable call of that class counts against ``target``."""
    return target.counts is Counted.ALL or not late


def answered_histogram(groups: Iterable[CallGroup], target: AnswerTarget) -> TenthsUp:
    """The times to answer of the counted answered calls."""
    histogram: TenthsUp = {}
    for g in groups:
        if g.outcome == ev.OUTCOME_CONNECTED and g.tenths is not None and counted(target, g.late):
            histogram[g.tenths] = histogram.get(g.tenths, 0) + g.calls
    return histogram


def needed_keys(histogram: TenthsUp) -> dict[int, int]:
    """The histogram keys holding the ranks the quantiles need, each with the rank of its first
    value (0-based, in ascending order of time)."""
    n = sum(histogram.values())
    if not n:
        return {}
    ranks = {r for q in QUANTILES for r in quantile_ranks(n, q)}
    keys: dict[int, int] = {}
    first = 0
    for key in sorted(histogram):
        if any(first <= r < first + histogram[key] for r in ranks):
            keys[key] = first
        first += histogram[key]
    return keys


def uniform_values(groups: Iterable[CallGroup], firsts: Mapping[int, int],
                   target: AnswerTarget) -> dict[int, float] | None:
    """rank -> time, without reading the times, when each key in ``firsts`` holds a single
    value (times stored in tenths of a second or coarser); None if one holds several."""
    found: dict[int, set[float | None]] = {key: set() for key in firsts}
    sizes: dict[int, int] = dict.fromkeys(firsts, 0)
    for g in groups:
        if g.tenths in found and g.outcome == ev.OUTCOME_CONNECTED and counted(target, g.late):
            found[g.tenths].update((g.shortest, g.longest))
            sizes[g.tenths] += g.calls
    values = {key: next(iter(v)) for key, v in found.items() if len(v) == 1}
    if len(values) < len(found):
        return None
    return {firsts[key] + i: float(v) for key, v in values.items() if v is not None
            for i in range(sizes[key])}


def ranked_values(firsts: Mapping[int, int], values: Iterable[tuple[int, float]]) -> dict[int, float]:
    """rank -> time to answer, from every (key, time) of the keys in ``firsts``."""
    by_key: dict[int, list[float]] = {key: [] for key in firsts}
    for key, value in values:
        by_key[key].append(value)
    return {firsts[key] + i: v for key, found in by_key.items() for i, v in enumerate(sorted(found))}


def missed_total(groups: Iterable[CallGroup]) -> int:
    return _total(g for g in groups if g.outcome in MISSED_OUTCOMES)


def grouped_report(contract: str, contract_name: str, target: AnswerTarget, period: Period,
                   groups: Sequence[CallGroup], listed: Iterable[CallRecord],
                   ranked: Mapping[int, float], handled: Sequence[float]) -> SlaReport:
    """The report of the calls in ``groups``. ``listed``: the missed calls to list, each with
    its class in ``out_of_hours``; ``ranked``: the times at the ranks ``needed_keys`` asked
    for; ``handled``: ``handled_times`` of every voicemail."""
    histogram = answered_histogram(groups, target)
    n = sum(histogram.values())
    answerable = [g for g in groups if g.outcome not in (None, ev.OUTCOME_REJECTED)]
    late = [g for g in groups if g.late]
    missed_counts: dict[str, int] = {}
    for g in answerable:
        if g.outcome in MISSED_OUTCOMES and counted(target, g.late):
            missed_counts[g.outcome] = missed_counts.get(g.outcome, 0) + g.calls
    return SlaReport(
        contract=contract, contract_name=contract_name, target=target, period=period,
        calls=_total(groups), counted=_total(g for g in answerable if counted(target, g.late)),
        answered=_total(g for g in answerable
                        if g.outcome == ev.OUTCOME_CONNECTED and counted(target, g.late)),
        answered_within=sum(c for k, c in histogram.items() if k <= target.seconds * 10),
        median=ranked_quantile(ranked.__getitem__, n, 0.5) if n else None,
        p90=ranked_quantile(ranked.__getitem__, n, 0.9) if n else None,
        longest=max((g.longest for g in answerable if g.outcome == ev.OUTCOME_CONNECTED
                     and g.longest is not None and counted(target, g.late)), default=None),
        answer_histogram=histogram,
        missed=[missed_call(r, counted(target, r.out_of_hours))
                for r in sorted(listed, key=lambda r: (r.started_at, r.call_sid))],
        missed_total=missed_total(groups), missed_counts=missed_counts,
        out_of_hours=_total(late),
        out_of_hours_answered=_total(g for g in late if g.outcome == ev.OUTCOME_CONNECTED),
        rejected=_total(g for g in groups if g.outcome == ev.OUTCOME_REJECTED),
        in_progress=_total(g for g in groups if g.outcome is None),
        voicemails=_total(g for g in groups if g.outcome == ev.OUTCOME_VOICEMAIL),
        voicemails_handled=len(handled),
        handled_median=quantile(handled, 0.5), handled_longest=max(handled, default=None),
    )


def _total(groups: Iterable[CallGroup]) -> int:
    return sum(g.calls for g in groups)
