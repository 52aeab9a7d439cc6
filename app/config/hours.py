"""Business-hours sections of the file: "09:00-18:00" day spans, holiday calendars."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time

from app.config.model import OfficeHours
from app.config.schema import BusinessHoursSection
from app.schedule import BusinessHours, HolidayCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_span(text: str) -> tuple[time, time]:
    """ "09:00-18:00" -> (09:00, 18:00); a close before the open runs past midnight."""
    match = SPAN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span like '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 == 0:
        h2 = 0
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from exc


def build_one(section: BusinessHoursSection) -> BusinessHours:
    days = {WEEKDAYS.index(day): parse_span(span) for day, span in section.days.items()}
    calendar = HolidayCalendar(section.holidays, section.subdivision, frozenset(section.closed_on))
    return BusinessHours(section.timezone, days, calendar)


def build_office_hours(sections: Mapping[str, BusinessHoursSection]) -> dict[str, OfficeHours]:
    return {
        hid: OfficeHours(hid, build_one(section), section.emergency_option)
        for hid, section in sections.items()
    }


def check_hours(sections: Mapping[str, BusinessHoursSection]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for hid, section in sections.items():
        before = len(problems)
        for day, span in section.days.items():
            try:
                parse_span(span)
            except ValueError as exc:
                problems.append((f"business_hours.{hid}.days.{day}", str(exc)))
        if len(problems) > before:
            continue
        try:
            build_one(section)
        except ValueError as exc:
            problems.append((f"business_hours.{hid}", str(exc)))
    return problems
