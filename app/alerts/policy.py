"""Alert policy as pure functions: day or night, which channel, and the step after this one."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from app.config.alerts import WINDOW, AlertsSection, Channel
from app.schedule import is_open
from app.schedule.wallclock import daily_window, nearby_days


def is_day(section: AlertsSection, config: Any, at: datetime) -> bool:
    """Whether ``at`` is "day" for the policy: inside its local window or business hours."""
    office = config.business_hours.get(section.day)
    if office is not None:
        return is_open(office.hours, at)
    match = WINDOW.match(section.day)
    if match is None:
        return True  # unreachable once the file is checked; a day page is the milder guess
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    opens, closes = time(h1, m1), (time(0, 0) if h2 == 24 else time(h2, m2))
    zone = ZoneInfo(section.timezone or config.hotline.timezone)
    for day in nearby_days(at, zone):
        begin, end = daily_window(day, opens, closes, zone)
        if begin <= at < end:
            return True
    return False


def choose_channel(section: AlertsSection, config: Any, severity: str, at: datetime) -> Channel:
    """How an alert of ``severity`` that opens at ``at`` reaches people."""
    rule = section.rule(severity)
    return rule.day if is_day(section, config, at) else rule.night


def severity_of(raw: str | None, section: AlertsSection) -> str:
    """A known severity name (lower case), else the policy's default severity."""
    name = (raw or "").strip().lower()
    return name if name in section.severities else section.default_severity


def next_position(round_: int, step: int, chain_length: int, repeats: int) -> tuple[int, int] | None:
    """The (round, step) after this one: the next person, then the chain again; None at the end."""
    if step + 1 < chain_length:
        return round_, step + 1
    if round_ < repeats and chain_length:
        return round_ + 1, 0
    return None
