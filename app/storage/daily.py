"""The overview's figures aggregated in SQL: calls per local day and outcome, time-to-answer
quantiles per day and for the period, attempts per engineer. A few rows per day come back,
whatever the size of the log (decision 0021)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.storage.models import Attempt, Call

TENTHS = (5, 9)  # the median and the 90th percentile, in tenths (integer arithmetic in SQL)
Quantiles = dict[int, float]  # tenths -> value


def day_of(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """The index i with bounds[i] <= column < bounds[i + 1], as a balanced CASE: a handful of
    comparisons per row, exact across daylight-saving changes (the bounds are local midnights)."""
    def split(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < bounds[middle], split(low, middle)), else_=split(middle, high))
    return split(0, len(bounds) - 1)


def _in(bounds: Sequence[datetime]) -> ColumnElement[bool]:
    return (Call.started_at >= bounds[0]) & (Call.started_at < bounds[-1])


def outcome_counts(session: Session, bounds: Sequence[datetime]) -> dict[tuple[int, str | None], int]:
    """Calls per (day index, outcome) in [bounds[0], bounds[-1])."""
    day = day_of(Call.started_at, bounds)
    rows = session.execute(select(day, Call.outcome, func.count())
                           .where(_in(bounds)).group_by(day, Call.outcome))
    return {(int(d), outcome): int(n) for d, outcome, n in rows}


def answer_quantiles(session: Session, bounds: Sequence[datetime]
                     ) -> tuple[dict[int, Quantiles], Quantiles]:
    """Median and 90th percentile of the time to answer, per day index and for the period,
    interpolated as ``app.sla.report.quantile``: the database ranks, only the ranks needed
    come back."""
    tta = Call.time_to_answer_seconds
    day = day_of(Call.started_at, bounds)
    ranked = select(
        day.label("day"), tta.label("tta"),
        func.row_number().over(partition_by=day, order_by=tta).label("rn"),
        func.count().over(partition_by=day).label("n"),
        func.row_number().over(order_by=tta).label("rn_all"),
        func.count().over().label("n_all"),
    ).where(_in(bounds), Call.outcome == ev.OUTCOME_CONNECTED, tta.is_not(None)).subquery()
    c = ranked.c
    rows = session.execute(select(c.day, c.tta, c.rn, c.n, c.rn_all, c.n_all)
                           .where(or_(_wanted(c.rn, c.n), _wanted(c.rn_all, c.n_all))))
    per_day: dict[int, dict[int, float]] = defaultdict(dict)
    counts: dict[int, int] = {}
    whole: dict[int, float] = {}
    n_all = 0
    for d, value, rn, n, rn_all, total in rows:
        per_day[int(d)][int(rn) - 1] = float(value)
        counts[int(d)] = int(n)
        whole[int(rn_all) - 1] = float(value)
        n_all = int(total)
    return ({d: _interpolate(ranks, counts[d]) for d, ranks in per_day.items()},
            _interpolate(whole, n_all) if n_all else {})


def _wanted(rn: Any, n: Any) -> ColumnElement[bool]:
    terms = []
    for tenths in TENTHS:
        low = (n - 1) * tenths // 10
        terms += [rn - 1 == low, rn - 1 == low + 1]
    return or_(*terms)


def _interpolate(ranks: dict[int, float], n: int) -> Quantiles:
    out: Quantiles = {}
    for tenths in TENTHS:
        low, rest = divmod((n - 1) * tenths, 10)
        value = ranks[low]
        if rest:
            value += (ranks[low + 1] - value) * rest / 10
        out[tenths] = value
    return out


def attempts_per_person(session: Session, start: datetime, end: datetime
                        ) -> list[tuple[str | None, str, int]]:
    """(person, attempt status, how many) for the calls that started in [start, end)."""
    rows = session.execute(
        select(Attempt.person, Attempt.status, func.count())
        .join(Call, Call.call_sid == Attempt.call_sid)
        .where(Call.started_at >= start, Call.started_at < end)
        .group_by(Attempt.person, Attempt.status))
    return [(person, status, int(n)) for person, status, n in rows]
