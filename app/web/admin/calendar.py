"""Who is on call as a calendar: weeks of days, each listing its shifts with local times (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.schedule import OverrideIndex, Rotation, Shift, shifts
from app.schedule.periods import day_start


@dataclass(frozen=True)
class Entry:
    person: str
    kind: str  # "rotation" | "override"
    span: str  # "all day", "from 09:00", "until 09:00", "09:00–18:00"


@dataclass(frozen=True)
class Day:
    day: date
    today: bool
    entries: tuple[Entry, ...]


def weeks(rotation: Rotation, overrides: OverrideIndex, now: datetime, tz: ZoneInfo,
          count: int = 4) -> list[list[Day]]:
    """``count`` weeks from the Monday of this week, local to ``tz``, overrides applied."""
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday())
    days = [first + timedelta(days=i) for i in range(7 * count)]
    bounds = [day_start(d, tz) for d in [*days, days[-1] + timedelta(days=1)]]
    found = shifts(rotation, bounds[0], bounds[-1], overrides)
    cells = [Day(d, d == today, _entries(found, bounds[i], bounds[i + 1], tz))
             for i, d in enumerate(days)]
    return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def _entries(found: list[Shift], start: datetime, end: datetime, tz: ZoneInfo) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for shift in found:
        if shift.end <= start or shift.start >= end:
            continue
        begin, finish = max(shift.start, start), min(shift.end, end)
        out.append(Entry(shift.person, shift.kind, _span(begin, finish, start, end, tz)))
    return tuple(out)


def _span(begin: datetime, finish: datetime, start: datetime, end: datetime, tz: ZoneInfo) -> str:
    opens, closes = begin.astimezone(tz), finish.astimezone(tz)
    if begin == start and finish == end:
        return "all day"
    if finish == end:
        return f"from {opens:%H:%M}"
    if begin == start:
        return f"until {closes:%H:%M}"
    return f"{opens:%H:%M}–{closes:%H:%M}"
