"""The overview's figures of local days aggregated in SQL: per day, calls per outcome, the
times to answer as a histogram in tenths of a second, attempts per engineer and status. A few
rows per day come back, whatever the size of the log (decisions 0021 and 0026)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, case, cast, func, literal, select

from app.calls import events as ev
from app.sla.histogram import summed
from app.storage.models import Attempt, Call


@dataclass
class DayFigures:
    """What the overview shows of a day (or of several, summed)."""

    outcomes: dict[str | None, int] = field(default_factory=dict)  # None: still running
    answer_tenths: dict[int, int] = field(default_factory=dict)  # connected calls' histogram
    attempts: dict[tuple[str | None, str], int] = field(default_factory=dict)  # (person, status)

    def as_json(self) -> dict[str, Any]:
        return {"outcomes": [[o, n] for o, n in sorted(self.outcomes.items(), key=_by_text)],
                "answer_tenths": sorted([t, n] for t, n in self.answer_tenths.items()),
                "attempts": [[p, s, n] for (p, s), n in sorted(self.attempts.items(), key=_by_text)]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DayFigures:
        return cls({o: n for o, n in data["outcomes"]}, {t: n for t, n in data["answer_tenths"]},
                   {(p, s): n for p, s, n in data["attempts"]})


def _by_text(item: tuple[Any, int]) -> str:
    return repr(item[0])


def summed_days(days: Iterable[DayFigures]) -> DayFigures:
    """The figures of several days together."""
    outcomes: Counter[str | None] = Counter()
    attempts: Counter[tuple[str | None, str]] = Counter()
    histograms = []
    for day in days:
        outcomes.update(day.outcomes)
        attempts.update(day.attempts)
        histograms.append(day.answer_tenths)
    return DayFigures(dict(outcomes), summed(histograms), dict(attempts))


def day_of(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """The index i with bounds[i] <= column < bounds[i + 1], as a balanced CASE: a handful of
    comparisons per row, exact across daylight-saving changes (the bounds are local midnights)."""
    def split(low: int, high: int) -> ColumnElement[int]:
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < bounds[middle], split(low, middle)), else_=split(middle, high))
    return split(0, len(bounds) - 1)


def answer_tenths(dialect: str) -> ColumnElement[int]:
    """A connected call's time to answer in tenths of a second, halves up as
    ``app.sla.histogram.tenths`` (NULL for other calls). SQLite's CAST truncates, which is the
    floor of a time that is never negative; PostgreSQL's would round half to even."""
    scaled = Call.time_to_answer_seconds * 10 + 0.5
    whole = cast(func.floor(scaled) if dialect == "postgresql" else scaled, Integer)
    return case((Call.outcome == ev.OUTCOME_CONNECTED, whole), else_=None)


def aggregate_days(conn: Connection, bounds: Sequence[datetime]) -> list[DayFigures]:
    """The figures of each day [bounds[i], bounds[i + 1]) from the calls and attempts rows:
    two GROUP BYs over the calls of the range (read through the started_at index)."""
    days = [DayFigures() for _ in bounds[1:]]
    day = day_of(Call.started_at, bounds)
    in_range = (Call.started_at >= bounds[0]) & (Call.started_at < bounds[-1])
    tenths = answer_tenths(conn.dialect.name)
    for d, outcome, t, n in conn.execute(select(day, Call.outcome, tenths, func.count())
                                         .where(in_range).group_by(day, Call.outcome, tenths)):
        figures = days[int(d)]
        figures.outcomes[outcome] = figures.outcomes.get(outcome, 0) + int(n)
        if t is not None:
            figures.answer_tenths[int(t)] = int(n)
    for d, person, status, n in conn.execute(
            select(day, Attempt.person, Attempt.status, func.count())
            .join(Call, Call.call_sid == Attempt.call_sid).where(in_range)
            .group_by(day, Attempt.person, Attempt.status)):
        days[int(d)].attempts[(person, status)] = int(n)
    return days
