"""The abuse limits and engineer presence shared through Redis, with a bounded wait.

Every Redis command here has a 50 ms budget. After one failure the guard answers from its
in-process :class:`LocalGuard` for a few seconds, so a live call never stalls on Redis: the
worst case is one call step delayed by the timeout, then none until Redis answers again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

from app.guard import CALLER_WINDOW, GLOBAL_WINDOW, LocalGuard

T = TypeVar("T")


class RedisGuard:
    def __init__(self, redis_url: str, per_caller: int, overall: int, engaged_ttl: float,
                 timeout: float = 0.05, retry_after: float = 5.0) -> None:
        self.redis = Redis.from_url(redis_url, socket_timeout=timeout,
                                    socket_connect_timeout=timeout, retry_on_timeout=False)
        self.local = LocalGuard(per_caller, overall, engaged_ttl)
        self.per_caller, self.overall, self.engaged_ttl = per_caller, overall, int(engaged_ttl)
        self.retry_after = retry_after
        self._down_until = 0.0

    def pin_allowed(self, caller: str | None) -> bool:
        def ask() -> bool:
            keys = [self._bucket("*", GLOBAL_WINDOW)]
            if caller is not None:
                keys.append(self._bucket(caller, CALLER_WINDOW))
            counts = [int(v or 0) for v in self.redis.mget(keys)]
            limits = [self.overall, self.per_caller]
            return all(count < limit for count, limit in zip(counts, limits, strict=False))
        return self._attempt(ask, lambda: self.local.pin_allowed(caller))

    def pin_failed(self, caller: str | None) -> None:
        self.local.pin_failed(caller)

        def count() -> None:
            pipe = self.redis.pipeline(transaction=False)
            for key, window in ((self._bucket("*", GLOBAL_WINDOW), GLOBAL_WINDOW),
                                (self._bucket(caller, CALLER_WINDOW) if caller else None,
                                 CALLER_WINDOW)):
                if key:
                    pipe.incr(key)
                    pipe.expire(key, int(window))
            pipe.execute()
        self._attempt(count, lambda: None)

    def engaged(self, person: str, call_sid: str) -> None:
        self.local.engaged(person, call_sid)

        def mark() -> None:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(f"hotline:busy:{person}", call_sid, ex=self.engaged_ttl)
            pipe.set(f"hotline:call:{call_sid}", person, ex=self.engaged_ttl)
            pipe.execute()
        self._attempt(mark, lambda: None)

    def released(self, call_sid: str) -> None:
        self.local.released(call_sid)

        def clear() -> None:
            person = self.redis.get(f"hotline:call:{call_sid}")
            if person is None:
                return
            key = f"hotline:busy:{person.decode()}"
            if self.redis.get(key) == call_sid.encode():
                self.redis.delete(key)
            self.redis.delete(f"hotline:call:{call_sid}")
        self._attempt(clear, lambda: None)

    def busy(self, person: str) -> bool:
        return self._attempt(lambda: bool(self.redis.exists(f"hotline:busy:{person}")),
                             lambda: self.local.busy(person))

    def _bucket(self, who: str, window: float) -> str:
        return f"hotline:pin:{who}:{int(time.time() // window)}"

    def _attempt(self, ask: Callable[[], T], fallback: Callable[[], T]) -> T:
        if time.monotonic() < self._down_until:
            return fallback()
        try:
            return ask()
        except (RedisError, OSError):
            self._down_until = time.monotonic() + self.retry_after
            return fallback()
