"""The virtual clock of a simulated call (it never sleeps) and Twilio-shaped identifiers."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime


class HungUp(Exception):
    """The caller hung up (or the call hit its time limit) before an action finished."""

    def __init__(self, at: float) -> None:
        super().__init__(f"caller gone at {at:.1f} s")
        self.at = at


class Clock:
    """Seconds since the call started; advancing past ``deadline`` raises :class:`HungUp`."""

    def __init__(self, start: datetime, now: float = 0.0, deadline: float | None = None) -> None:
        self.start = start if start.tzinfo else start.replace(tzinfo=UTC)
        self.now = now
        self.deadline = deadline

    def advance(self, seconds: float) -> None:
        """Move time forward; stop at the deadline and raise if it is passed."""
        target = self.now + max(0.0, seconds)
        if self.deadline is not None and target > self.deadline:
            self.now = max(self.now, self.deadline)
            raise HungUp(self.now)
        self.now = target

    def fork(self, now: float, deadline: float | None = None) -> Clock:
        """A clock for another leg of the same call at ``now``; ``deadline`` defaults to ours."""
        return Clock(self.start, now, self.deadline if deadline is None else deadline)

    def wall(self, at: float | None = None) -> datetime:
        """The date and time at ``at`` (default: now)."""
        return self.start + timedelta(seconds=self.now if at is None else at)

    def rfc2822(self, at: float | None = None) -> str:
        """The ``Timestamp`` format of Twilio's status callbacks."""
        return format_datetime(self.wall(at).astimezone(UTC))


class Ids:
    """Makes SIDs (``CA`` + 32 hex) and idempotency tokens; a seed makes them reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def sid(self, prefix: str) -> str:
        """``prefix`` followed by 32 lowercase hex digits."""
        return prefix + f"{self._random.getrandbits(128):032x}"

    def token(self) -> str:
        """A fresh idempotency token."""
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
