"""Times as people read them: in the hotline's zone, with the zone's abbreviation (pure).

Every SMS, e-mail, CLI line and console page shows an instant through ``local_time``, so a
reader never has to guess which zone a time is in: ``Wed 2 Dec 01:09 CET``, ``01:09 CEST``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = "%a {day} %b %H:%M"  # Wed 2 Dec 01:09 CET (messages)
DATE = "%Y-%m-%d %H:%M"  # 2026-12-02 01:09 CET (lists)
SECONDS = "%Y-%m-%d %H:%M:%S"  # 2026-12-02 01:09:05 CET (logs)
TIME = "%H:%M"  # 01:09 CET (the same day)


def local_time(at: datetime | None, zone: str | ZoneInfo, fmt: str = DAY,
               empty: str = "–") -> str:
    """``at`` in ``zone`` as strftime's ``fmt`` (``{day}``: the day without a leading zero),
    followed by the zone's abbreviation; ``empty`` for no time. ``at`` must be aware."""
    if at is None:
        return empty
    moment = at.astimezone(_zone(zone) if isinstance(zone, str) else zone)
    shown = moment.strftime(fmt.replace("{day}", str(moment.day)))
    return f"{shown} {moment.tzname()}"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
