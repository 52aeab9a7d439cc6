"""Figures for the overview: calls per day, answer rate, time to answer, per engineer (pure).

Answered means connected to an engineer; missed means nobody took it (voicemail, or the caller
gave up). Rejected calls (blocked or unidentified callers turned away) and calls still running
count in the totals but not in the answer rate: nobody was meant to answer them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.calls import events as ev
from app.sla.report import quantile

# Nobody answered while the caller waited (a callback came later, if at all).
MISSED_OUTCOMES = frozenset({ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED, ev.OUTCOME_CALLBACK,
                             ev.OUTCOME_CALLED_BACK})
# Attempts an engineer could have taken: not the ones the caller ended while they rang.
MISSED_ATTEMPTS = frozenset({ev.NO_ANSWER, ev.BUSY, ev.FAILED, ev.DECLINED, ev.NOT_ACCEPTED})


@dataclass(frozen=True)
class CallPoint:
    day: date  # local to the hotline
    outcome: str | None
    time_to_answer: float | None


@dataclass(frozen=True)
class Figures:
    label: str
    total: int
    answered: int
    missed: int
    median: float | None
    p90: float | None

    @property
    def other(self) -> int:
        return self.total - self.answered - self.missed

    @property
    def answer_rate(self) -> float | None:
        reachable = self.answered + self.missed
        return self.answered / reachable if reachable else None


@dataclass(frozen=True)
class EngineerFigures:
    person: str
    answered: int
    missed: int


def figures(label: str, points: Iterable[CallPoint]) -> Figures:
    items = list(points)
    answered = [p for p in items if p.outcome == ev.OUTCOME_CONNECTED]
    times = [p.time_to_answer for p in answered if p.time_to_answer is not None]
    return Figures(label, len(items), len(answered),
                   sum(1 for p in items if p.outcome in MISSED_OUTCOMES),
                   quantile(times, 0.5), quantile(times, 0.9))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def per_day(points: Iterable[CallPoint], days: Sequence[date]) -> list[Figures]:
    """One set of figures per day, days without calls included."""
    by_day: dict[date, list[CallPoint]] = {d: [] for d in days}
    for point in points:
        if point.day in by_day:
            by_day[point.day].append(point)
    return [figures(d.isoformat(), by_day[d]) for d in days]


def counted_figures(label: str, counts: Mapping[str | None, int],
                    quantiles: Mapping[int, float]) -> Figures:
    """Figures from calls counted per outcome and time-to-answer quantiles (tenths -> seconds),
    as the database aggregates them (app/storage/daily.py)."""
    return Figures(label, sum(counts.values()), counts.get(ev.OUTCOME_CONNECTED, 0),
                   sum(n for outcome, n in counts.items() if outcome in MISSED_OUTCOMES),
                   quantiles.get(5), quantiles.get(9))


def per_engineer(attempts: Iterable[tuple[str | None, str]]) -> list[EngineerFigures]:
    """Attempts answered and missed per person, busiest first."""
    return per_engineer_counted((person, status, 1) for person, status in attempts)


def per_engineer_counted(rows: Iterable[tuple[str | None, str, int]]) -> list[EngineerFigures]:
    """As ``per_engineer``, from (person, status, how many) rows."""
    answered: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for person, status, n in rows:
        if not person:
            continue
        if status == ev.CONNECTED:
            answered[person] += n
        elif status in MISSED_ATTEMPTS:
            missed[person] += n
    people = set(answered) | set(missed)
    return sorted((EngineerFigures(p, answered[p], missed[p]) for p in people),
                  key=lambda f: (-(f.answered + f.missed), f.person))
