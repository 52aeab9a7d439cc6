"""Rotations: who is on call at an instant, computed by date arithmetic from the first handoff.

Shift ``k`` begins at the wall-clock time ``start + handoff_time + k * shift`` in the rotation's
zone, resolved to an instant by :func:`app.schedule.wallclock.resolve` (a skipped time happens
when the clock jumps past it, a repeated time at its first occurrence). Shift lengths are
wall-clock lengths: a one-week shift always hands off at the same local time, so it lasts 167 or
169 hours across a daylight-saving change, and "24h" behaves exactly like "1d". A shift whose
both ends fall into the same skipped hour is empty and its participant is simply not on call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import ClassVar
from zoneinfo import ZoneInfo

from app.schedule.wallclock import as_utc, daily_window, nearby_days, resolve, wall, zone

_UNITS = {
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
}
_HANDOFF_MEMO_SIZE = 4096
_LENGTH = re.compile(r"\s*(\d+)\s*([a-z]+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ShiftLength:
    """The calendar-aware length of one shift: ``amount`` hours, days or weeks."""

    amount: int
    unit: str

    UNITS: ClassVar[tuple[str, ...]] = ("hours", "days", "weeks")

    def __post_init__(self) -> None:
        if self.unit not in self.UNITS:
            raise ValueError(f"shift unit must be one of {', '.join(self.UNITS)}, "
                             f"not {self.unit!r}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 1:
            raise ValueError(f"shift length must be a positive whole number, not {self.amount!r}")

    @classmethod
    def parse(cls, text: str) -> ShiftLength:
        """Read "1w", "2 weeks", "12h", "1d", "7 days" (unit names are case-insensitive)."""
        match = _LENGTH.fullmatch(text)
        unit = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None or int(match.group(1)) < 1:
            raise ValueError(f"invalid shift length {text!r}: write a positive whole number "
                             "and a unit in hours, days or weeks, e.g. '12h', '1d', '2 weeks'")
        return cls(int(match.group(1)), unit)

    @cached_property
    def step(self) -> timedelta:
        """The wall-clock distance between two handoffs."""
        return timedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        return f"{self.amount} {self.unit if self.amount != 1 else self.unit[:-1]}"


@dataclass(frozen=True)
class Rotation:
    """Participants taking turns; ``participants[0]`` starts at ``start`` + ``handoff_time``.

    ``active`` optionally limits coverage to a daily local window (open, close); a window with
    close <= open runs overnight. Outside it the rotation has nobody on call, but the turns
    keep counting.
    """

    id: str
    participants: tuple[str, ...]
    timezone: str
    start: date
    handoff_time: time
    shift: ShiftLength = ShiftLength(1, "weeks")
    active: tuple[time, time] | None = None

    def __post_init__(self) -> None:
        zone(self.timezone)
        if isinstance(self.participants, str):
            raise ValueError(f"rotation {self.id!r}: participants must be a list of person ids")
        object.__setattr__(self, "participants", tuple(self.participants))
        if self.active is not None:
            if len(self.active) != 2:
                raise ValueError(f"rotation {self.id!r}: active must be (open, close) times")
            object.__setattr__(self, "active", tuple(self.active))
        if isinstance(self.start, datetime):
            raise ValueError(f"rotation {self.id!r}: start is a date, the time is handoff_time")
        times = (self.handoff_time, *(self.active or ()))
        if any(not isinstance(t, time) or t.tzinfo is not None for t in times):
            raise ValueError(f"rotation {self.id!r}: handoff and active times are local times "
                             "without a time zone (the rotation's timezone applies)")

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @cached_property
    def handoff_memo(self) -> dict[int, datetime]:
        """Handoff instants by shift number, once resolved: every call asks for the same few."""
        return {}

    @cached_property
    def first_handoff(self) -> datetime:
        """The local wall-clock time (naive) of the first handoff."""
        return datetime.combine(self.start, self.handoff_time)


def handoff_instant(rotation: Rotation, k: int) -> datetime:
    """The UTC instant at which shift ``k`` begins (shift 0 is the first handoff)."""
    memo = rotation.handoff_memo
    instant = memo.get(k)
    if instant is None:
        if len(memo) >= _HANDOFF_MEMO_SIZE:
            memo.clear()
        instant = memo[k] = resolve(rotation.first_handoff + k * rotation.shift.step, rotation.tz)
    return instant


def shift_index(rotation: Rotation, at: datetime) -> int:
    """The number of the shift running at ``at``; negative before the first handoff."""
    at = as_utc(at)
    # A wall-clock reading at or past a handoff's local time means that handoff has happened
    # (that is the resolution rule), so the estimate is never late. It is early only in the
    # hour repeated after clocks fall back, and a step or two forward fixes that.
    k = (wall(at, rotation.tz) - rotation.first_handoff) // rotation.shift.step
    while handoff_instant(rotation, k + 1) <= at:
        k += 1
    return k


def is_active(rotation: Rotation, at: datetime) -> bool:
    """Whether ``at`` falls inside the rotation's daily coverage window (always, if none)."""
    if rotation.active is None:
        return True
    at = as_utc(at)
    opens, closes = rotation.active
    for day in nearby_days(at, rotation.tz):
        begin, end = daily_window(day, opens, closes, rotation.tz)
        if begin <= at < end:
            return True
    return False


def on_call(rotation: Rotation, at: datetime) -> str | None:
    """Who the rotation has on call at ``at``; None if nobody (empty, not started, inactive)."""
    if not rotation.participants:
        return None
    k = shift_index(rotation, at)
    if k < 0 or not is_active(rotation, at):
        return None
    return rotation.participants[k % len(rotation.participants)]


def next_in_rotation(rotation: Rotation, at: datetime) -> str | None:
    """Whose turn follows the one running at ``at`` (``participants[0]`` before the start).

    None with fewer than two participants. Overrides and the coverage window are ignored:
    this is the order of turns.
    """
    if len(rotation.participants) < 2:
        return None
    k = shift_index(rotation, at)
    return rotation.participants[(k + 1) % len(rotation.participants)]
