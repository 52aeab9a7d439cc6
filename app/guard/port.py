"""Abuse limits and engineer presence: PIN guessing windows, who is already on a hotline call.

A PIN attempt is counted before its PIN is checked (:meth:`Guard.pin_reserve`, one atomic step
over sliding windows), so simultaneous calls cannot have more PINs checked than the limit; a
right PIN gives its count back (:meth:`Guard.pin_returned`). :class:`LocalGuard` keeps the counts
in this process; :mod:`app.guard.redis_guard` shares them across processes through Redis and
falls back to a LocalGuard whenever Redis does not answer at once.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

CALLER_WINDOW = 3600.0   # PIN failures per caller are counted over an hour
CALLBACK_WINDOW = 3600.0  # callback requests, per caller and overall, too
CALLBACKS = "callbacks:"  # the prefix of the callback requests' windows
GLOBAL_WINDOW = 600.0    # and over ten minutes for all callers together


class Guard(Protocol):
    def pin_allowed(self, caller: str | None) -> bool:
        """Whether one more attempt would be counted now (asking for a PIN; counts nothing)."""
    def pin_reserve(self, caller: str | None) -> str | None:
        """Count one attempt now, before its PIN is checked: a ticket, or None over a limit."""
    def pin_returned(self, caller: str | None, ticket: str) -> None:
        """The PIN was right: the attempt no longer counts."""
    def callback_reserve(self, caller: str, per_caller: int, overall: int) -> bool:
        """Count one callback request now: False (nothing counted) over either hourly limit."""
    def engaged(self, person: str, call_sid: str) -> None: ...
    def released(self, call_sid: str) -> None: ...
    def busy(self, person: str) -> bool: ...


class LocalGuard:
    """In-process limits; also the safe fallback while Redis is down."""

    def __init__(self, per_caller: int = 6, overall: int = 60, engaged_ttl: float = 7200.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_caller, self.overall, self.engaged_ttl = per_caller, overall, engaged_ttl
        self.clock = clock
        self._attempts: dict[str, deque[tuple[float, str]]] = defaultdict(deque)
        self._engaged: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._tickets = itertools.count(1)

    def pin_allowed(self, caller: str | None) -> bool:
        with self._lock:
            return self._room(caller)

    def pin_reserve(self, caller: str | None) -> str | None:
        with self._lock:
            if not self._room(caller):
                return None
            ticket = f"local:{next(self._tickets)}"
            self._add(caller, ticket)
            return ticket

    def pin_returned(self, caller: str | None, ticket: str) -> None:
        with self._lock:
            for key in self._keys(caller):
                stamps = self._attempts.get(key)
                if stamps:
                    self._attempts[key] = deque(s for s in stamps if s[1] != ticket)

    def callback_reserve(self, caller: str, per_caller: int, overall: int) -> bool:
        with self._lock:
            keys = (CALLBACKS + "*", CALLBACKS + caller)
            if (self._count(keys[0], CALLBACK_WINDOW) >= overall
                    or self._count(keys[1], CALLBACK_WINDOW) >= per_caller):
                return False
            now = self.clock()
            for key in keys:
                self._attempts[key].append((now, "callback"))
            return True

    def counted(self, caller: str | None, ticket: str) -> None:
        """Mirror an attempt counted elsewhere (in Redis), whatever the limits say."""
        with self._lock:
            self._add(caller, ticket)

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

    def _room(self, caller: str | None) -> bool:
        if self._count("*", GLOBAL_WINDOW) >= self.overall:
            return False
        return caller is None or self._count(caller, CALLER_WINDOW) < self.per_caller

    def _add(self, caller: str | None, ticket: str) -> None:
        now = self.clock()
        for key in self._keys(caller):
            self._attempts[key].append((now, ticket))

    @staticmethod
    def _keys(caller: str | None) -> tuple[str, ...]:
        return ("*",) if caller is None else ("*", caller)

    def _count(self, key: str, window: float) -> int:
        """Attempts in the last ``window`` seconds (a sliding window: older ones are dropped)."""
        stamps = self._attempts.get(key)
        if not stamps:
            return 0
        horizon = self.clock() - window
        while stamps and stamps[0][0] <= horizon:
            stamps.popleft()
        if not stamps:
            del self._attempts[key]  # every caller ever seen would otherwise keep a key
        return len(stamps)
