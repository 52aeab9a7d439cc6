"""Shifts: a rotation's on-call time between two instants, overrides applied, as UTC intervals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.schedule.overrides import Override, OverrideIndex
from app.schedule.rotation import Rotation, handoff_instant, shift_index
from app.schedule.wallclock import as_utc, daily_window, wall

Span = tuple[datetime, datetime, str]


@dataclass(frozen=True)
class Shift:
    """``person`` is on call for ``rotation_id`` during [start, end) (UTC)."""

    rotation_id: str
    person: str
    start: datetime
    end: datetime
    kind: str = "rotation"  # "rotation" | "override"
    override_id: str | None = None


def shifts(rotation: Rotation, start: datetime, end: datetime,
           overrides: Sequence[Override] | OverrideIndex = ()) -> list[Shift]:
    """The shifts of ``rotation`` within [start, end), cut to that window, in time order.

    They tile the rotation's covered time: no gap, no overlap. Time with nobody on call (before
    the first handoff, outside the coverage window) has no shift. An override splits the shifts
    it covers; the pieces it wins come back with kind "override".
    """
    start, end = as_utc(start), as_utc(end)
    if end <= start or not rotation.participants:
        return []
    spans: Iterator[Span] = _turns(rotation, start, end)
    if rotation.active is not None:
        spans = _intersect(spans, _coverage(rotation.tz, rotation.active, start, end))
    index = overrides if isinstance(overrides, OverrideIndex) else OverrideIndex(overrides)
    return _with_overrides(rotation.id, spans, index)


def _turns(rotation: Rotation, start: datetime, end: datetime) -> Iterator[Span]:
    k = max(shift_index(rotation, start), 0)
    begin = handoff_instant(rotation, k)
    while begin < end:
        finish = handoff_instant(rotation, k + 1)
        if finish > start and finish > begin:
            person = rotation.participants[k % len(rotation.participants)]
            yield max(begin, start), min(finish, end), person
        k, begin = k + 1, finish


def _coverage(tz: ZoneInfo, active: tuple[time, time], start: datetime,
              end: datetime) -> list[tuple[datetime, datetime]]:
    day, last = wall(start, tz).date() - timedelta(days=1), wall(end, tz).date()
    windows = []
    while day <= last:
        begin, finish = daily_window(day, *active, tz)
        begin, finish = max(begin, start), min(finish, end)
        if begin < finish:
            windows.append((begin, finish))
        day += timedelta(days=1)
    return windows


def _intersect(spans: Iterator[Span], windows: list[tuple[datetime, datetime]]) -> Iterator[Span]:
    i = 0
    for begin, finish, person in spans:
        while i < len(windows) and windows[i][1] <= begin:
            i += 1
        j = i
        while j < len(windows) and windows[j][0] < finish:
            yield max(begin, windows[j][0]), min(finish, windows[j][1]), person
            j += 1


def _with_overrides(rotation_id: str, spans: Iterator[Span], index: OverrideIndex) -> list[Shift]:
    out: list[Shift] = []
    for begin, finish, person in spans:
        for piece_start, piece_end, override in index.pieces(rotation_id, begin, finish):
            if override is None:
                out.append(Shift(rotation_id, person, piece_start, piece_end))
            elif out and out[-1].override_id == override.id and out[-1].end == piece_start:
                out[-1] = Shift(rotation_id, override.person, out[-1].start, piece_end,
                                "override", override.id)
            else:
                out.append(Shift(rotation_id, override.person, piece_start, piece_end,
                                 "override", override.id))
    return out
