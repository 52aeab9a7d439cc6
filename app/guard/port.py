"""Abuse limits and engineer presence: PIN guessing windows, who is already on a hotline call.

:class:`LocalGuard` keeps the counts in this process; :mod:`app.guard.redis_guard` shares them across
processes through Redis and falls back to a LocalGuard whenever Redis does not answer at once.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

CALLER_WINDOW = 3600.0   # PIN failures per caller are counted over an hour
GLOBAL_WINDOW = 600.0    # and over ten minutes for all callers together


class Guard(Protocol):
    def pin_allowed(self, caller: str | None) -> bool: ...
    def pin_failed(self, caller: str | None) -> None: ...
    def engaged(self, person: str, call_sid: str) -> None: ...
    def released(self, call_sid: str) -> None: ...
    def busy(self, person: str) -> bool: ...


class LocalGuard:
    """In-process limits; also the safe fallback while Redis is down."""

    def __init__(self, per_caller: int = 6, overall: int = 60, engaged_ttl: float = 7200.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_caller, self.overall, self.engaged_ttl = per_caller, overall, engaged_ttl
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._engaged: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def pin_allowed(self, caller: str | None) -> bool:
        with self._lock:
            if self._count("*", GLOBAL_WINDOW) >= self.overall:
                return False
            return caller is None or self._count(caller, CALLER_WINDOW) < self.per_caller

    def pin_failed(self, caller: str | None) -> None:
        now = self.clock()
        with self._lock:
            self._failures["*"].append(now)
            if caller is not None:
                self._failures[caller].append(now)

    def engaged(self, person: str, call_sid: str) -> None:
        with self._lock:
            self._engaged[person] = (call_sid, self.clock() + self.engaged_ttl)

    def released(self, call_sid: str) -> None:
        with self._lock:
            for person, (sid, _) in list(self._engaged.items()):
                if sid == call_sid:
                    del self._engaged[person]

    def busy(self, person: str) -> bool:
        with self._lock:
            entry = self._engaged.get(person)
            return entry is not None and entry[1] > self.clock()

    def _count(self, key: str, window: float) -> int:
        stamps = self._failures.get(key)
        if not stamps:
            return 0
        horizon = self.clock() - window
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return len(stamps)
