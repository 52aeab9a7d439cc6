"""Turning local wall-clock times into instants: the one rule every schedule boundary uses.

A wall-clock time happens at the first instant at which the local clock shows that time or
later. For ordinary times that is the obvious instant. An ambiguous time (the hour repeated
when clocks fall back) happens at its first occurrence, 02:30 on 2027-10-31 in Europe/Berlin
is 02:30 CEST (00:30 UTC). A time skipped when clocks spring forward happens when the clock
jumps past it, 02:30 on 2027-03-28 in Europe/Berlin is 03:00 CEST (01:00 UTC). The rule is
monotone (a later wall time never resolves to an earlier instant), so intervals whose ends are
resolved with it tile time without gap or overlap. See docs/decisions/0002-wall-clock-handoffs.md.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError naming it if it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as "
                         "'Europe/Berlin' or 'America/New_York'") from exc


def as_utc(at: datetime) -> datetime:
    """``at`` as a UTC datetime; ValueError if it is naive."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"aware datetime required, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def wall(at_utc: datetime, tz: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of the instant ``at_utc`` in ``tz``."""
    return at_utc.astimezone(tz).replace(tzinfo=None)


def resolve(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the naive wall-clock time ``local`` happens in ``tz``."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if wall(first, tz) == local:
        return first  # exists; fold=0 is the first occurrence of an ambiguous time
    return _gap_end(local, tz)


def _gap_end(local: datetime, tz: ZoneInfo) -> datetime:
    # ``local`` lies in a gap: find the transition instant, the first one whose wall-clock
    # reading is >= local. Transitions fall on whole seconds, so bisect whole seconds between
    # the readings with the offsets after (too early) and before (late enough) the jump.
    lo = math.floor(local.replace(tzinfo=tz, fold=1).timestamp())
    hi = math.ceil(local.replace(tzinfo=tz, fold=0).timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if wall(datetime.fromtimestamp(mid, UTC), tz) >= local:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


@lru_cache(maxsize=4096)
def daily_window(day: date, opens: time, closes: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of a daily window opening on ``day``.

    A window whose closing time is not after its opening time ends on the next day, so
    (18:00, 08:00) is overnight and (09:00, 09:00) lasts 24 wall-clock hours.
    """
    end_day = day if closes > opens else day + timedelta(days=1)
    return (resolve(datetime.combine(day, opens), tz),
            resolve(datetime.combine(end_day, closes), tz))


def nearby_days(at_utc: datetime, tz: ZoneInfo) -> tuple[date, date, date]:
    """The local dates whose daily windows may contain ``at_utc``: yesterday, today, tomorrow."""
    today = wall(at_utc, tz).date()
    return today - timedelta(days=1), today, today + timedelta(days=1)
