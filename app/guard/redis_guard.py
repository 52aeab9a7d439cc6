"""The abuse limits and engineer presence shared through Redis.

Presence ("who is on a hotline call") is read from memory on every dial step and synced with
Redis by a background thread (app.guard.presence). The PIN limits, asked only while an unknown caller
types a PIN, go to Redis with a 50 ms budget; after one failure the guard answers from its
in-process :class:`LocalGuard` for a few seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

from app.guard.port import CALLER_WINDOW, GLOBAL_WINDOW, LocalGuard
from app.guard.presence import Presence

T = TypeVar("T")


class RedisGuard:
    def __init__(self, redis_url: str, per_caller: int, overall: int, engaged_ttl: float,
                 timeout: float = 0.05, retry_after: float = 5.0) -> None:
        self.redis_url, self.timeout = redis_url, timeout
        self._client: Redis | None = None
        self._client_pid = 0
        self.local = LocalGuard(per_caller, overall, engaged_ttl)
        self.per_caller, self.overall, self.engaged_ttl = per_caller, overall, int(engaged_ttl)
        self.retry_after = retry_after
        self._down_until = 0.0
        self.presence = Presence(redis_url, int(engaged_ttl))

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
        self.presence.write(("engaged", person, call_sid))

    def released(self, call_sid: str) -> None:
        self.presence.write(("released", "", call_sid))

    def busy(self, person: str) -> bool:
        """From memory: the last snapshot of everybody's calls, this process's news applied."""
        return self.presence.busy(person)

    @property
    def redis(self) -> Redis:
        """This process's one connection, opened on first use.

        One dedicated connection instead of a pool: a pool checks each connection for unread
        data before lending it out (three more system calls around every command, which cost
        more than the command itself on a busy machine). A forked child opens its own.
        """
        if self._client is None or self._client_pid != os.getpid():
            self._client_pid = os.getpid()
            self._client = None
            self._client = Redis.from_url(
                self.redis_url, socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout, retry_on_timeout=False,
                single_connection_client=True)
        return self._client

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
