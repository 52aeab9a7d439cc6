"""Gaps in on-call coverage: the first instant ahead with nobody on call in a rotation (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.schedule.overrides import OverrideIndex
from app.schedule.rotation import Rotation
from app.schedule.timeline import shifts
from app.schedule.wallclock import as_utc


def first_gap(rotation: Rotation, overrides: OverrideIndex, start: datetime,
              horizon: timedelta) -> datetime | None:
    """The first instant in [start, start + horizon) at which nobody is on call in ``rotation``
    (shift swaps applied), or None when someone is on call throughout."""
    start = as_utc(start)
    end = start + horizon
    covered_until = start
    for shift in shifts(rotation, start, end, overrides):
        if shift.start > covered_until:
            return covered_until
        covered_until = max(covered_until, shift.end)
    return covered_until if covered_until < end else None


def seconds_to_gap(rotation: Rotation, overrides: OverrideIndex, start: datetime,
                   horizon: timedelta) -> float:
    """Seconds from ``start`` to the first gap; the whole horizon when there is none."""
    gap = first_gap(rotation, overrides, start, horizon)
    return (gap - as_utc(start)).total_seconds() if gap is not None else horizon.total_seconds()
