"""On-call segments: a rotation's shifts in a period, overrides applied, cut at local midnight.

Days are the rotation's own: its zone's midnights cut the shifts, so a day with a clock change
lasts 23 or 25 real hours, and each piece takes the type of its local date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from app.allowances.policy import AllowancePolicy
from app.schedule import OverrideIndex, Rotation, shifts
from app.schedule.periods import Period, day_start

MICROSECOND = timedelta(microseconds=1)
HOUR = Fraction(3600)


def seconds(span: timedelta) -> Fraction:
    """A duration in exact seconds."""
    return Fraction(span // MICROSECOND, 1_000_000)


@dataclass(frozen=True)
class Segment:
    """``person`` on call for ``rotation_id`` during [start, end) (UTC), within one local day."""

    rotation_id: str
    person: str
    start: datetime
    end: datetime
    day: date
    day_type: str
    share: Fraction  # of the rotation's on-call time that day: what a day rate pays
    exact: Fraction  # the amount, unrounded
    kind: str = "rotation"  # "rotation" | "override"
    override_id: str | None = None
    amount: Decimal | None = None  # rounded, set by the report (app.allowances.report)

    @property
    def seconds(self) -> Fraction:
        return seconds(self.end - self.start)

    @property
    def hours(self) -> Fraction:
        return self.seconds / HOUR


Piece = tuple[int, str, datetime, datetime, str, str | None]  # day index, person, ..., kind, id


def on_call_segments(rotation: Rotation, overrides: OverrideIndex, period: Period,
                     policy: AllowancePolicy) -> list[Segment]:
    """Who was on call for ``rotation`` in ``period``, day by day, each piece priced."""
    days = period.days()
    bounds = [day_start(day, rotation.tz) for day in [*days, period.end]]
    pieces = _cut_at_midnight(rotation, overrides, bounds)
    covered: defaultdict[int, Fraction] = defaultdict(Fraction)
    for index, _, begin, finish, _, _ in pieces:
        covered[index] += seconds(finish - begin)
    out = []
    for index, person, begin, finish, kind, override_id in pieces:
        day_type = policy.day_type(days[index])
        share = seconds(finish - begin) / covered[index]
        rate = Fraction(policy.rates.of(day_type))
        exact = rate * share if policy.rates.per == "day" else rate * seconds(finish - begin) / HOUR
        out.append(Segment(rotation.id, person, begin, finish, days[index], day_type, share,
                           exact, kind, override_id))
    return out


def _cut_at_midnight(rotation: Rotation, overrides: OverrideIndex,
                     bounds: list[datetime]) -> list[Piece]:
    pieces: list[Piece] = []
    index = 0
    for shift in shifts(rotation, bounds[0], bounds[-1], overrides):
        while bounds[index + 1] <= shift.start:
            index += 1
        day = index
        while day < len(bounds) - 1 and bounds[day] < shift.end:
            begin, finish = max(shift.start, bounds[day]), min(shift.end, bounds[day + 1])
            if begin < finish:
                pieces.append((day, shift.person, begin, finish, shift.kind, shift.override_id))
            day += 1
    return pieces
