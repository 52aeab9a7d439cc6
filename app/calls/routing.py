"""Routing by contract tier and time: is the contract served now, and if not, when again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.config.model import HotlineConfig, Line
from app.contracts import Contract, Tier
from app.prompts import Prompts, build_speech, opening_words
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


def spoken_time(opens_at: datetime | None, now: datetime, prompts: Prompts | None = None) -> str:
    """ "today at 09:00", "tomorrow at 09:00", "on Monday 4 January at 09:00" (local time), in
    the language of ``prompts`` (English without)."""
    return opening_words(prompts or build_speech("en", {}).prompts, opens_at, now)
