"""The ``[allowances]`` section: what on-call time and call-outs are paid, checked and built."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.allowances import AllowancePolicy, Rates
from app.config.model import OfficeHours
from app.schedule import HolidayCalendar

Amount = Field(ge=0, le=1_000_000, decimal_places=4)


class AllowancesSection(BaseModel):
    """Rates per hour (or per day) on call by day type; without the section nothing is paid."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(pattern=r"^[A-Z]{3}$")  # ISO 4217, e.g. "EUR"
    per: Literal["hour", "day"] = "hour"
    weekday: Decimal = Amount
    weekend: Decimal = Amount
    holiday: Decimal = Amount
    callout: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=4)
    holidays: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")  # country code
    subdivision: str | None = None
    closed_on: list[date] = []  # the company's own closing days, paid as holidays
    period: Literal["month", "week"] = "month"
    business_hours: str | None = None  # call-outs are outside these; default: the hotline's
    rotations: list[str] | None = None  # the rotations that are paid; default: all


def _calendar(section: AllowancesSection) -> HolidayCalendar:
    return HolidayCalendar(section.holidays, section.subdivision, frozenset(section.closed_on))


def check_allowances(section: AllowancesSection | None, config: Any) -> list[tuple[str, str]]:
    """Cross-checks against the rest of the file, as ``(key, problem)`` pairs."""
    if section is None:
        return []
    problems = []
    try:
        _calendar(section)
    except ValueError as exc:
        problems.append(("allowances.holidays", str(exc)))
    if section.business_hours is not None and section.business_hours not in config.business_hours:
        problems.append(("allowances.business_hours",
                         f"no business hours {section.business_hours!r} under [business_hours]"))
    for i, rotation in enumerate(section.rotations or ()):
        if rotation not in config.rotations:
            problems.append((f"allowances.rotations[{i}]", f"no rotation {rotation!r}"))
    return problems


def build_allowances(section: AllowancesSection | None, office_hours: Mapping[str, OfficeHours],
                     hotline_hours: str | None) -> AllowancePolicy | None:
    if section is None:
        return None
    hours = office_hours.get(section.business_hours or hotline_hours or "")
    return AllowancePolicy(
        currency=section.currency,
        rates=Rates(section.weekday, section.weekend, section.holiday, section.per),
        calendar=_calendar(section), period=section.period, callout=section.callout,
        business_hours=hours.hours if hours is not None else None,
        rotations=tuple(section.rotations) if section.rotations is not None else None,
    )
