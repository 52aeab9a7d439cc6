"""Growing waits after failed sign-ins that slow the guesser down, never the owner (no Flask).

Who waits, and for whose failures (decision 0008):
- the client that failed, for its own failures at that username: the browser when it carries
  a device cookie for the username (devices.py), else the address;
- an address that failed for many usernames, unless the browser is known for this username;
- once a username has failed often from anywhere, every address that has been failing, again
  unless the browser is known. An address without failures never waits for others' guesses.

Failures are rows in the database, not process memory: every gunicorn worker and every web
host sees the same count, so adding workers does not multiply an attacker's guesses, and a
restart does not reset them. A refused attempt is answered at once (429 with Retry-After)
rather than held open, and its password is not even checked, so it costs no hashing either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from app.storage.accounts import LoginFailure

WINDOW = timedelta(hours=24)  # failures older than this are forgotten
MAX_WAIT = 15 * 60
# A shared office or carrier NAT puts many people behind one address: some slack before it waits.
IP_ALLOWANCE = 10
# Failures of one username from all clients together before failing addresses must wait too.
USER_ALLOWANCE = 10


@dataclass(frozen=True)
class Client:
    """Who is signing in: the address, and the browser's id if it is known for the username."""

    ip: str
    device: str | None = None


def user_wait(failures: int) -> int:
    """Seconds to wait after a client's ``failures``-th failure at one username: 1, 2, 4, ... 15 min."""
    return 0 if failures <= 0 else min(2 ** min(failures - 1, 20), MAX_WAIT)


def ip_wait(failures: int) -> int:
    """Seconds to wait after the ``failures``-th failure from one address."""
    return user_wait(failures - IP_ALLOWANCE + 1) if failures >= IP_ALLOWANCE else 0


def valve_wait(failures: int) -> int:
    """Seconds a failing address waits after a username's ``failures``-th failure anywhere."""
    return user_wait(failures - USER_ALLOWANCE + 1) if failures >= USER_ALLOWANCE else 0


def seconds_to_wait(session: Session, username: str, client: Client, now: datetime) -> int:
    """How long before ``client`` may try ``username`` again (0: now)."""
    since = now - WINDOW
    waits = [_wait(session, _of_client(username, client), user_wait, since, now)]
    if client.device is None:
        from_here = _count(session, LoginFailure.ip == client.ip, since)
        waits.append(_until(from_here, ip_wait, now))
        if from_here[0]:
            waits.append(_wait(session, LoginFailure.username == username, valve_wait, since, now))
    return max(waits)


def record_failure(session: Session, username: str, client: Client, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - WINDOW))
    session.add(LoginFailure(username=username[:80], ip=client.ip[:64], device=client.device,
                             at=now))


def clear_failures(session: Session, username: str, client: Client) -> None:
    """A successful sign-in forgives this client's failures at the username, and no others:
    the address keeps its count, and so does the username for the valve."""
    session.execute(delete(LoginFailure).where(_of_client(username, client)))


def _of_client(username: str, client: Client) -> ColumnElement[bool]:
    if client.device is not None:
        return and_(LoginFailure.username == username, LoginFailure.device == client.device)
    return and_(LoginFailure.username == username, LoginFailure.ip == client.ip,
                LoginFailure.device.is_(None))


def _count(session: Session, condition: ColumnElement[bool], since: datetime
           ) -> tuple[int, datetime | str | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(condition, LoginFailure.at > since)
    ).one()
    return int(count), last


def _wait(session: Session, condition: ColumnElement[bool], rule: Callable[[int], int],
          since: datetime, now: datetime) -> int:
    return _until(_count(session, condition, since), rule, now)


def _until(failures: tuple[int, datetime | str | None], rule: Callable[[int], int],
           now: datetime) -> int:
    count, last = failures
    if not count or last is None:
        return 0
    last_at = _aware(last)
    return max(0, math.ceil((last_at + timedelta(seconds=rule(count)) - now).total_seconds()))


def _aware(value: datetime | str) -> datetime:
    # func.max() comes back without the column's type on SQLite: a naive string in UTC.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
