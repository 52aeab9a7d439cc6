"""Business hours: whether a contract's office is open at an instant, and when it opens next.

Each weekday has at most one (open, close) window in local time; a window with close <= open
runs past midnight and belongs to the day it opens, so a holiday closes the windows that open
on it. Window ends are resolved like rotation handoffs (app.schedule.wallclock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.schedule.calendar_days import HolidayCalendar
from app.schedule.wallclock import as_utc, daily_window, nearby_days, wall, zone

SEARCH_DAYS = 400  # a calendar closed for longer than a year is treated as never opening


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours per weekday (0 = Monday) in ``timezone``, closed on ``holidays``."""

    timezone: str
    days: dict[int, tuple[time, time]]
    holidays: HolidayCalendar = field(default_factory=HolidayCalendar)

    def __post_init__(self) -> None:
        zone(self.timezone)
        for weekday, span in self.days.items():
            if weekday not in range(7):
                raise ValueError(f"business hours: weekday {weekday!r} must be 0 (Monday) to 6")
            if len(span) != 2 or any(not isinstance(t, time) or t.tzinfo for t in span):
                raise ValueError(f"business hours: weekday {weekday} needs (open, close) "
                                 "local times without a time zone")


def _window(hours: BusinessHours, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    span = hours.days.get(day.weekday())
    if span is None or day in hours.holidays:
        return None
    begin, end = daily_window(day, *span, tz)
    return (begin, end) if begin < end else None


def is_open(hours: BusinessHours, at: datetime) -> bool:
    """Whether ``at`` (aware) falls inside the opening hours of a working day."""
    at = as_utc(at)
    tz = zone(hours.timezone)
    for day in nearby_days(at, tz):
        window = _window(hours, day, tz)
        if window is not None and window[0] <= at < window[1]:
            return True
    return False


def next_opening(hours: BusinessHours, at: datetime) -> datetime | None:
    """The first opening at or after ``at``, in the hours' time zone; None if none within
    SEARCH_DAYS. While open, that is the next opening, not ``at`` itself."""
    at = as_utc(at)
    tz = zone(hours.timezone)
    day = wall(at, tz).date() - timedelta(days=1)
    for _ in range(SEARCH_DAYS):
        window = _window(hours, day, tz)
        if window is not None and window[0] >= at:
            return window[0].astimezone(tz)
        day += timedelta(days=1)
    return None


def open_intervals(hours: BusinessHours, start: datetime, end: datetime
                   ) -> list[tuple[datetime, datetime]]:
    """The instants of [start, end) at which ``is_open`` holds, as sorted disjoint (open, close)
    intervals in UTC: every window of the days around the span, clipped, overlaps merged."""
    start, end = as_utc(start), as_utc(end)
    tz = zone(hours.timezone)
    day, last = wall(start, tz).date() - timedelta(days=1), wall(end, tz).date() + timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    while day <= last:
        window = _window(hours, day, tz)
        day += timedelta(days=1)
        if window is None:
            continue
        begin, close = max(as_utc(window[0]), start), min(as_utc(window[1]), end)
        if begin >= close:
            continue
        if merged and begin <= merged[-1][1]:
            earlier = merged.pop()
            begin, close = earlier[0], max(earlier[1], close)
        merged.append((begin, close))
    return merged
