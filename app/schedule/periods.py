"""Periods of whole local days: a month ``2026-12``, a quarter ``2026-Q4``, an ISO week
``2026-W49`` or two dates ``2026-10-01..2026-11-15``, and their instants in a time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.schedule.wallclock import resolve

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
CALENDAR_KINDS = ("month", "quarter", "week")
FIRST_YEAR, LAST_YEAR = 1970, 2999
LONGEST_YEARS = 5
EXAMPLES = ("a month (2026-12), a quarter (2026-Q4), an ISO week (2026-W49) or two dates "
            "(2026-10-01..2026-11-15)")


@dataclass(frozen=True)
class Period:
    """Whole local days from ``first`` to ``last``, both included, named ``label``."""

    label: str
    first: date
    last: date
    kind: str = "dates"  # "month", "quarter", "week" or "dates"

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"it ends ({self.last}) before it starts ({self.first})")
        if not (FIRST_YEAR <= self.first.year and self.last.year <= LAST_YEAR):
            raise ValueError(f"years from {FIRST_YEAR} to {LAST_YEAR}")

    @property
    def end(self) -> date:
        """The day after the last."""
        return self.last + timedelta(days=1)

    @property
    def length(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.length)]

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants of the first day's local midnight in ``tz`` and of the day after the last."""
        return day_start(self.first, tz), day_start(self.end, tz)

    def split(self, day: date) -> tuple[Period, Period]:
        """The days before ``day`` and from ``day`` on."""
        return between(self.first, day - timedelta(days=1)), between(day, self.last)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local day begins (a midnight skipped by a clock change: when it jumps)."""
    return resolve(datetime.combine(day, time()), tz)


def month(year: int, number: int) -> Period:
    return Period(f"{year:04d}-{number:02d}", date(year, number, 1),
                  _first_of_next_month(year, number) - timedelta(days=1), "month")


def quarter(year: int, number: int) -> Period:
    if not 1 <= number <= 4:
        raise ValueError("quarter must be in 1..4")
    return Period(f"{year:04d}-Q{number}", date(year, 3 * number - 2, 1),
                  _first_of_next_month(year, 3 * number) - timedelta(days=1), "quarter")


def iso_week(year: int, number: int) -> Period:
    first = date.fromisocalendar(year, number, 1)
    return Period(f"{year:04d}-W{number:02d}", first, first + timedelta(days=6), "week")


def between(first: date, last: date, years: int = LONGEST_YEARS) -> Period:
    """The days from ``first`` to ``last``, both included, spanning at most ``years`` years."""
    if (last - first).days >= 366 * years:
        raise ValueError(f"a period covers at most {'a year' if years == 1 else f'{years} years'}")
    return Period(f"{first}..{last}", first, last)


def parse_period(text: str, years: int = LONGEST_YEARS) -> Period:
    """The period ``text`` names (two dates: at most ``years`` years); ValueError saying what is
    wrong and what is accepted."""
    text = text.strip()
    try:
        if found := MONTH.match(text):
            return month(int(found[1]), int(found[2]))
        if found := QUARTER.match(text):
            return quarter(int(found[1]), int(found[2]))
        if found := WEEK.match(text):
            return iso_week(int(found[1]), int(found[2]))
        if found := DATES.match(text):
            return between(date.fromisoformat(found[1]), date.fromisoformat(found[2]), years)
    except ValueError as exc:
        raise ValueError(f"{text[:40]!r} is not a period ({exc}): write {EXAMPLES}") from None
    raise ValueError(f"{text[:40]!r} is not a period: write {EXAMPLES}")


def period_of(day: date, kind: str) -> Period:
    """The month, quarter or ISO week holding ``day``."""
    if kind == "week":
        year, number, _ = day.isocalendar()
        return iso_week(year, number)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    if kind == "month":
        return month(day.year, day.month)
    raise ValueError(f"no calendar period of kind {kind!r}")


def neighbour(period: Period, step: int) -> Period:
    """The month, quarter or week before (``step`` -1) or after (+1) ``period``."""
    if period.kind not in CALENDAR_KINDS:
        raise ValueError(f"period {period.label!r} has no neighbours")
    return period_of(period.first - timedelta(days=1) if step < 0 else period.end, period.kind)


def _first_of_next_month(year: int, number: int) -> date:
    return date(year + number // 12, number % 12 + 1, 1)
