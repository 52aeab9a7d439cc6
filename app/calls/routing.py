"""Routing by contract tier and time: is the contract served now, and if not, when again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.config.model import HotlineConfig, Line
from app.contracts import Contract, Tier
from app.schedule import is_open, next_opening


@dataclass(frozen=True)
class Route:
    served: bool
    opens_at: datetime | None = None
    emergency_option: bool = False


SERVED = Route(True)


def route(config: HotlineConfig, contract: Contract, line: Line, now: datetime) -> Route:
    """24/7 contracts are always served; business-hours contracts inside their hours."""
    if contract.tier is Tier.ALWAYS:
        return SERVED
    office = config.office_hours(contract.business_hours, line)
    if office is None or is_open(office.hours, now):
        return SERVED
    return Route(False, next_opening(office.hours, now), office.emergency_option)


def spoken_time(opens_at: datetime | None, now: datetime) -> str:
    """ "today at 09:00", "tomorrow at 09:00", "on Monday 4 January at 09:00" (local time)."""
    if opens_at is None:
        return "on the next business day"
    local_now = now.astimezone(opens_at.tzinfo)
    days = (opens_at.date() - local_now.date()).days
    clock = f"{opens_at:%H:%M}"
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"on {opens_at:%A} at {clock}"
    return f"on {opens_at:%A} {opens_at.day} {opens_at:%B} at {clock}"



