"""Hypothesis strategies for schedule tests: instants of 2026-2030 (many near a DST change) and
rotations of any shift length in four zones, their handoffs often on DST change days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from app.schedule import Rotation, ShiftLength

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata")
FIRST, LAST = datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
TINY = timedelta(microseconds=1)


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """The instants (UTC, to the second) at which the zone's offset changes in 2026-2030."""
    tz = ZoneInfo(name)
    found = []
    day = FIRST
    while day < LAST:
        lo, hi = day, day + timedelta(days=1)
        if lo.astimezone(tz).utcoffset() != hi.astimezone(tz).utcoffset():
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                same = mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset()
                lo, hi = (mid, hi) if same else (lo, mid)
            found.append(hi)
        day += timedelta(days=1)
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Any instant of 2026-2030, or one within two days of a DST change in ``zone``."""
    changes = transitions(zone)
    if draw(st.booleans()) and changes:
        near = draw(st.sampled_from(changes))
        return near + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    return draw(st.datetimes(FIRST.replace(tzinfo=None), LAST.replace(tzinfo=None),
                             timezones=st.just(UTC)))


LENGTHS = st.one_of(
    st.builds(ShiftLength, st.integers(1, 30), st.just("hours")),
    st.builds(ShiftLength, st.integers(1, 10), st.just("days")),
    st.builds(ShiftLength, st.integers(1, 4), st.just("weeks")),
)
CLOCK = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
NEAR_CHANGE_CLOCK = st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3)])


@st.composite
def rotations(draw: st.DrawFn, windows: bool = False) -> Rotation:
    zone = draw(st.sampled_from(ZONES))
    length = draw(LENGTHS)
    changes = transitions(zone)
    if draw(st.booleans()) and changes:
        # Put handoffs on DST change days, at times that are skipped or repeated there.
        change = draw(st.sampled_from(changes)).astimezone(ZoneInfo(zone)).date()
        start = change - draw(st.integers(0, 6)) * length.step.days * timedelta(days=1)
        handoff = draw(NEAR_CHANGE_CLOCK)
    else:
        start, handoff = draw(st.dates(date(2026, 1, 1), date(2029, 12, 31))), draw(CLOCK)
    people = tuple(f"p{i}" for i in range(draw(st.integers(1, 5))))
    active = draw(st.none() | st.tuples(CLOCK, CLOCK)) if windows else None
    return Rotation("r", people, zone, start, handoff, length, active)
