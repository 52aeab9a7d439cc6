"""The allowance report of a period: segments priced line by line, per rotation and per person.

Amounts stay exact (fractions) until the end. Each segment's amount is rounded to the cent so
that the lines of a person in a rotation add up to that line's rounded total: a person can
check their pay line by line. A person's total is the sum of their rotations' amounts and their
call-out fees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from app.allowances.callouts import AnsweredCall, callouts
from app.allowances.policy import DAY_TYPES, AllowancePolicy
from app.allowances.segments import HOUR, Segment, on_call_segments
from app.schedule import OverrideIndex, Rotation
from app.schedule.periods import Period


def cents(value: Fraction | Decimal) -> Decimal:
    """An exact amount rounded to the cent, half to even (as ``round`` does for a Fraction)."""
    return Decimal(round(Fraction(value) * 100)).scaleb(-2)


def as_hours(value: Fraction) -> Decimal:
    return cents(value / HOUR)


@dataclass(frozen=True)
class Line:
    """One person's time on call and pay: in one rotation, or (``rotation_id`` None) in all."""

    person: str
    rotation_id: str | None
    seconds: Mapping[str, Fraction]  # by day type
    days: Mapping[str, Fraction]  # the shares of days by day type (what day rates pay)
    on_call: Decimal
    callouts: int = 0
    callout_amount: Decimal = field(default_factory=lambda: Decimal("0.00"))

    def hours(self, day_type: str) -> Decimal:
        return as_hours(self.seconds.get(day_type, Fraction(0)))

    def day_count(self, day_type: str) -> Decimal:
        return cents(self.days.get(day_type, Fraction(0)))

    @property
    def total_hours(self) -> Decimal:
        return as_hours(sum(self.seconds.values(), Fraction(0)))

    @property
    def amount(self) -> Decimal:
        return self.on_call + self.callout_amount


@dataclass(frozen=True)
class Report:
    period: Period
    policy: AllowancePolicy
    rotations: tuple[Rotation, ...]
    segments: tuple[Segment, ...]  # time order per rotation, each with its rounded amount
    lines: tuple[Line, ...]  # per rotation, per person
    totals: tuple[Line, ...]  # per person, call-outs included
    callouts: tuple[AnsweredCall, ...]

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.totals), Decimal("0.00"))

    def of_rotation(self, rotation_id: str) -> list[Line]:
        return [line for line in self.lines if line.rotation_id == rotation_id]

    def only(self, person: str) -> Report:
        """The same report with one person's lines only."""
        return replace(self, segments=tuple(s for s in self.segments if s.person == person),
                       lines=tuple(x for x in self.lines if x.person == person),
                       totals=tuple(x for x in self.totals if x.person == person),
                       callouts=tuple(c for c in self.callouts if c.person == person))

    def day_types(self) -> dict[date, str]:
        return {day: self.policy.day_type(day) for day in self.period.days()}


def allowance_report(policy: AllowancePolicy, rotations: Iterable[Rotation],
                     overrides: OverrideIndex, period: Period, answered: Iterable[AnsweredCall],
                     zone: ZoneInfo, order: Sequence[str] = ()) -> Report:
    """The report of ``period``: the paid rotations' segments, and the call-outs in ``zone``'s
    days of the period. People come in ``order`` (the configuration's), others after them."""
    paid = tuple(r for r in rotations if policy.pays(r.id))
    segments = [s for r in paid for s in on_call_segments(r, overrides, period, policy)]
    priced = _priced(segments)
    lines = _lines(priced)
    outs = callouts(answered, policy, *period.bounds(zone))
    rank = {person: i for i, person in enumerate(order)}
    place = {r.id: i for i, r in enumerate(paid)}

    def person_key(line: Line) -> tuple[int, str]:
        return rank.get(line.person, len(rank)), line.person

    totals = sorted(_totals(lines, outs, policy), key=person_key)
    lines.sort(key=lambda line: (place[line.rotation_id or ""], *person_key(line)))
    return Report(period, policy, paid, tuple(priced), tuple(lines), tuple(totals), tuple(outs))


def _priced(segments: list[Segment]) -> list[Segment]:
    """Each segment with its amount: the rounded running total of its person and rotation,
    less the rounded running total before it."""
    running: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
    out = []
    for segment in segments:
        key = (segment.rotation_id, segment.person)
        before = cents(running[key])
        running[key] += segment.exact
        out.append(replace(segment, amount=cents(running[key]) - before))
    return out


def _lines(segments: list[Segment]) -> list[Line]:
    grouped: dict[tuple[str, str], list[Segment]] = defaultdict(list)
    for segment in segments:
        grouped[(segment.rotation_id, segment.person)].append(segment)
    return [Line(person, rotation_id, _by_type(items, lambda s: s.seconds),
                 _by_type(items, lambda s: s.share), cents(sum((s.exact for s in items), Fraction(0))))
            for (rotation_id, person), items in grouped.items()]


def _by_type(items: list[Segment], value: Callable[[Segment], Fraction]) -> dict[str, Fraction]:
    out = {day_type: Fraction(0) for day_type in DAY_TYPES}
    for segment in items:
        out[segment.day_type] += value(segment)
    return out


def _totals(lines: list[Line], outs: list[AnsweredCall], policy: AllowancePolicy) -> list[Line]:
    counts = Counter(c.person for c in outs)
    fee = policy.callout or Decimal(0)
    people = dict.fromkeys([*(x.person for x in lines), *counts])
    totals = []
    for person in people:
        mine = [x for x in lines if x.person == person]
        totals.append(Line(
            person, None,
            {t: sum((x.seconds[t] for x in mine), Fraction(0)) for t in DAY_TYPES},
            {t: sum((x.days[t] for x in mine), Fraction(0)) for t in DAY_TYPES},
            sum((x.on_call for x in mine), Decimal("0.00")),
            counts[person], cents(fee * counts[person]),
        ))
    return totals
