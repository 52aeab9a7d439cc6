"""The schedule domain: rotations, overrides, business hours and holidays, as pure functions."""

from app.schedule.calendar_days import HolidayCalendar
from app.schedule.changes import next_change
from app.schedule.hours import BusinessHours, is_open, next_opening
from app.schedule.overrides import (
    Override,
    OverrideIndex,
    on_call_with_overrides,
    winning_override,
)
from app.schedule.rotation import (
    Rotation,
    ShiftLength,
    handoff_instant,
    is_active,
    next_in_rotation,
    on_call,
    shift_index,
)
from app.schedule.timeline import Shift, shifts
from app.schedule.wallclock import resolve

__all__ = [
    "BusinessHours", "HolidayCalendar", "Override", "OverrideIndex", "Rotation", "Shift",
    "ShiftLength", "handoff_instant", "is_active", "is_open", "next_change", "next_in_rotation",
    "next_opening", "on_call", "on_call_with_overrides", "resolve", "shift_index", "shifts",
    "winning_override",
]
