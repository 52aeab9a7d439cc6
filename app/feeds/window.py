"""Which shifts a feed or a listing shows: whole shifts overlapping a window, and that window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.schedule import (
    Override,
    OverrideIndex,
    Rotation,
    Shift,
    handoff_instant,
    shift_index,
    shifts,
    winning_override,
)
from app.schedule.wallclock import as_utc, resolve

Overrides = Sequence[Override] | OverrideIndex

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)
MAX_SPAN = timedelta(days=400)
REACH = timedelta(days=3660)  # how far from now a feed's window may lie


def whole_shifts(rotation: Rotation, start: datetime, end: datetime,
                 overrides: Overrides = ()) -> list[Shift]:
    """The shifts of ``rotation`` overlapping [start, end), not cut to it.

    A calendar keys each shift by its start, so a shift running at the window's edge must keep
    its real start and end, or its identity would move with the window.
    """
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        return []
    # The shift running at an instant lies within the rotation's turn there and, if an override
    # wins there, within that override: shifts() never joins two turns but does join the pieces
    # of one override.
    lo, hi = min(start, _turn(rotation, start)[0]), max(end, _turn(rotation, end)[1])
    if (first := winning_override(overrides, rotation.id, start)) is not None:
        lo = min(lo, first.start)
    if (last := winning_override(overrides, rotation.id, end)) is not None:
        hi = max(hi, last.end)
    return [s for s in shifts(rotation, lo, hi, overrides) if s.end > start and s.start < end]


def _turn(rotation: Rotation, at: datetime) -> tuple[datetime, datetime]:
    k = shift_index(rotation, at)
    return handoff_instant(rotation, k), handoff_instant(rotation, k + 1)


def parse_bound(text: str, tz: ZoneInfo, *, end: bool = False) -> datetime:
    """An ISO date or date-time; naive ones are local to ``tz``.

    A date alone means its first instant, or with ``end`` the end of that day (the day included).
    """
    try:
        return _parse(text, tz, end)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


def _parse(text: str, tz: ZoneInfo, end: bool) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return resolve(datetime.combine(day + timedelta(days=int(end)), time()), tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or date-time such as 2027-03-28 "
                         "or 2027-03-28T09:00") from None
    return as_utc(moment) if moment.tzinfo else resolve(moment, tz)


def feed_window(now: datetime, tz: ZoneInfo, start_text: str | None = None,
                end_text: str | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a feed: PAST before ``now`` to AHEAD after it unless given, at most MAX_SPAN.

    A bound given alone keeps the default span from it.
    """
    start = parse_bound(start_text, tz) if start_text else None
    end = parse_bound(end_text, tz, end=True) if end_text else None
    if start is None:
        start = end - PAST - AHEAD if end is not None else as_utc(now) - PAST
    if end is None:
        end = start + PAST + AHEAD
    if end <= start:
        raise ValueError("the end of the window must come after its start")
    if end - start > MAX_SPAN:
        raise ValueError(f"a window spans at most {MAX_SPAN.days} days")
    if start < as_utc(now) - REACH or end > as_utc(now) + REACH:
        raise ValueError(f"a window must lie within {REACH.days} days of now")
    return start, end
