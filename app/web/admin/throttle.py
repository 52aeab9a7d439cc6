"""Growing waits after failed sign-ins, per username and per client address (no Flask).

Failures are rows in the database, not process memory: every gunicorn worker and every web
host sees the same count, so adding workers does not multiply an attacker's guesses, and a
restart does not reset them. A locked attempt is refused at once (429 with Retry-After) rather
than held open, so a guesser cannot tie up the web workers either.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.storage.accounts import LoginFailure

WINDOW = timedelta(hours=24)  # failures older than this are forgotten
MAX_WAIT = 15 * 60
# A shared office or carrier NAT puts many people behind one address: some slack before it waits.
IP_ALLOWANCE = 10


def user_wait(failures: int) -> int:
    """Seconds to wait after the ``failures``-th failure for one username: 1, 2, 4, ... 15 min."""
    return 0 if failures <= 0 else min(2 ** min(failures - 1, 20), MAX_WAIT)


def ip_wait(failures: int) -> int:
    """Seconds to wait after the ``failures``-th failure from one address."""
    return user_wait(failures - IP_ALLOWANCE + 1) if failures >= IP_ALLOWANCE else 0


def seconds_to_wait(session: Session, username: str, ip: str, now: datetime) -> int:
    """How long before this username may try again from this address (0: now)."""
    since = now - WINDOW
    waits = [0.0]
    for column, value, rule in ((LoginFailure.username, username, user_wait),
                                (LoginFailure.ip, ip, ip_wait)):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at))
            .where(column == value, LoginFailure.at > since)
        ).one()
        if count:
            last_at = _aware(last, now)
            waits.append((last_at + timedelta(seconds=rule(count)) - now).total_seconds())
    return max(0, math.ceil(max(waits)))


def record_failure(session: Session, username: str, ip: str, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add(LoginFailure(username=username[:80], ip=ip[:64], at=now))


def clear_failures(session: Session, username: str) -> None:
    """A successful sign-in forgives the username's failures (the address keeps its count)."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def _aware(value: datetime | str, now: datetime) -> datetime:
    # func.max() comes back without the column's type on SQLite: a naive string in UTC.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
