"""When a simulated call's requests go out: at once on a virtual clock, or when the wall clock says.

A server stamps the log with its own clock, while status callbacks carry the simulator's
``Timestamp``; the two only add up if they are one clock. :class:`VirtualTime` (the default)
sends at once and can be an in-process app's clock; :class:`RealTime` waits for each request's
moment, as Twilio does, so that a running server's log reads as a real call's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Pace(Protocol):
    def begin(self, planned: datetime) -> datetime:
        """When the call starts (``planned`` is the simulator's ``clock_start``)."""

    def wait(self, moment: datetime) -> None:
        """Return once a request due at ``moment`` may be sent."""


class VirtualTime:
    """Never waits; :meth:`now` is the moment of the latest request, for an in-process app."""

    def __init__(self) -> None:
        self.current: datetime | None = None

    def begin(self, planned: datetime) -> datetime:
        self.current = planned
        return planned

    def wait(self, moment: datetime) -> None:
        if self.current is None or moment > self.current:  # time never runs backwards
            self.current = moment

    def now(self) -> datetime:
        return self.current or datetime.now(UTC)


class RealTime:
    """Starts the call now and sends each request when its moment comes on the wall clock.

    A request whose moment has passed (the legs of one ``<Dial>`` are simulated one after the
    other) goes at once, as a late callback from Twilio would.
    """

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.clock, self.sleep = clock, sleep

    def begin(self, planned: datetime) -> datetime:
        return self.clock().replace(microsecond=0)  # Timestamps have whole seconds

    def wait(self, moment: datetime) -> None:
        while (ahead := (moment - self.clock()).total_seconds()) > 0:
            self.sleep(ahead)
