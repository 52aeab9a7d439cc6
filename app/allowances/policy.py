"""What on-call time is worth: the rates per day type, the holiday calendar, call-out fees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from app.schedule import BusinessHours, HolidayCalendar

WEEKDAY, WEEKEND, HOLIDAY = "weekday", "weekend", "holiday"
DAY_TYPES = (WEEKDAY, WEEKEND, HOLIDAY)

Per = Literal["hour", "day"]
PeriodKind = Literal["month", "week"]
PAY_PERIOD_YEARS = 1  # two dates name at most a year of pay


@dataclass(frozen=True)
class Rates:
    """An amount per hour on call, or per day on call, for each day type."""

    weekday: Decimal
    weekend: Decimal
    holiday: Decimal
    per: Per = "hour"

    def __post_init__(self) -> None:
        if self.per not in ("hour", "day"):
            raise ValueError(f"rates are per 'hour' or per 'day', not {self.per!r}")
        for name in DAY_TYPES:
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"the {name} rate must be an amount of 0 or more, not {value!r}")

    def of(self, day_type: str) -> Decimal:
        return {WEEKDAY: self.weekday, WEEKEND: self.weekend, HOLIDAY: self.holiday}[day_type]


@dataclass(frozen=True)
class AllowancePolicy:
    """How on-call time is paid.

    ``calendar`` holds the public holidays and the company's closing days. ``callout`` is paid
    per answered call outside ``business_hours`` (every answered call without business hours).
    ``rotations`` names the rotations that are paid (None: every rotation).
    """

    currency: str
    rates: Rates
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)
    period: PeriodKind = "month"
    callout: Decimal | None = None
    business_hours: BusinessHours | None = None
    rotations: tuple[str, ...] | None = None

    def day_type(self, day: date) -> str:
        """Holiday, weekend or weekday. A holiday on a weekend counts once, as whichever of
        the two is paid more (as a holiday when both rates are equal)."""
        weekend = day.weekday() >= 5
        if day in self.calendar:
            return WEEKEND if weekend and self.rates.weekend > self.rates.holiday else HOLIDAY
        return WEEKEND if weekend else WEEKDAY

    def pays(self, rotation_id: str) -> bool:
        return self.rotations is None or rotation_id in self.rotations
