"""The abuse limits and engineer presence shared through Redis.

Presence ("who is on a hotline call") is read from memory on every dial step and synced with
Redis by a background thread (app.guard.presence). The PIN limits, asked only while an unknown caller
types a PIN, go to Redis with a 50 ms budget; after one failure the guard answers from its
in-process :class:`LocalGuard` for a few seconds. Each limit is a sorted set of attempts scored by
time (a sliding window); one Lua script checks both limits and counts the attempt, so processes
reserving at the same moment cannot overshoot.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import NoScriptError, RedisError

from app.guard.port import CALLBACK_WINDOW, CALLBACKS, CALLER_WINDOW, GLOBAL_WINDOW, LocalGuard
from app.guard.presence import Presence

T = TypeVar("T")
PREFIX = "hotline:pins:"  # + "*" (every caller) or the caller's number: a sorted set of attempts

# KEYS: the windows' sets; ARGV: now, member, then per key its window and limit (seconds, count).
# Returns 1 when the attempt was counted, 0 when a window is full (then nothing is counted).
RESERVE = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[2 * i + 1])))
end
return 1
"""
# The same check without counting (ARGV: now, then window and limit per key): may this caller be
# asked for a PIN?
ROOM = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  if redis.call('ZCOUNT', key, '(' .. (now - window), '+inf') >= limit then return 0 end
end
return 1
"""
SHA = {script: hashlib.sha1(script.encode()).hexdigest() for script in (RESERVE, ROOM)}


class RedisGuard:
    def __init__(self, redis_url: str, per_caller: int, overall: int, engaged_ttl: float,
                 timeout: float = 0.05, retry_after: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis_url, self.timeout, self.clock = redis_url, timeout, clock
        self._clients = threading.local()  # per thread: .pid, .client (see ``redis``)
        self.local = LocalGuard(per_caller, overall, engaged_ttl, clock=clock)
        self.per_caller, self.overall, self.engaged_ttl = per_caller, overall, int(engaged_ttl)
        self.retry_after = retry_after
        self._down_until = 0.0
        self.presence = Presence(redis_url, int(engaged_ttl))

    def pin_allowed(self, caller: str | None) -> bool:
        keys, args = self._windows(caller)
        return self._attempt(lambda: bool(self._script(ROOM, keys, args)),
                             lambda: self.local.pin_allowed(caller))

    def pin_reserve(self, caller: str | None) -> str | None:
        ticket = secrets.token_hex(8)
        keys, args = self._windows(caller)
        args.insert(1, ticket)

        def reserve() -> str | None:
            if not self._script(RESERVE, keys, args):
                return None
            self.local.counted(caller, ticket)  # what this process knows if Redis goes away
            return ticket
        return self._attempt(reserve, lambda: self.local.pin_reserve(caller))

    def pin_returned(self, caller: str | None, ticket: str) -> None:
        self.local.pin_returned(caller, ticket)
        if not ticket.startswith("local:"):
            keys, _ = self._windows(caller)
            self._attempt(lambda: self._unreserve(keys, ticket), lambda: None)

    def callback_reserve(self, caller: str, per_caller: int, overall: int) -> bool:
        """The PIN windows' script over the callback requests' own sets (one hour each)."""
        keys = [f"hotline:{CALLBACKS}*", f"hotline:{CALLBACKS}{caller}"]
        args: list[str | float | int] = [self.clock(), secrets.token_hex(8),
                                         CALLBACK_WINDOW, overall, CALLBACK_WINDOW, per_caller]
        return self._attempt(lambda: bool(self._script(RESERVE, keys, args)),
                             lambda: self.local.callback_reserve(caller, per_caller, overall))

    def _unreserve(self, keys: list[str], ticket: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, ticket)
        pipe.execute()

    def _script(self, script: str, keys: list[str], args: list[str | float | int]) -> object:
        """One round trip; the script's text is sent only when this server does not know it."""
        try:
            return self.redis.evalsha(SHA[script], len(keys), *keys, *args)
        except NoScriptError:
            return self.redis.eval(script, len(keys), *keys, *args)

    def _windows(self, caller: str | None) -> tuple[list[str], list[str | float | int]]:
        """The sets to count in, and the script's arguments: now, then window and limit each."""
        keys = [PREFIX + "*"]
        args: list[str | float | int] = [self.clock(), GLOBAL_WINDOW, self.overall]
        if caller is not None:
            keys.append(PREFIX + caller)
            args += [CALLER_WINDOW, self.per_caller]
        return keys, args

    def engaged(self, person: str, call_sid: str) -> None:
        self.presence.write(("engaged", person, call_sid))

    def released(self, call_sid: str) -> None:
        self.presence.write(("released", "", call_sid))

    def busy(self, person: str) -> bool:
        """From memory: the last snapshot of everybody's calls, this process's news applied."""
        return self.presence.busy(person)

    @property
    def redis(self) -> Redis:
        """This thread's one connection, opened on first use.

        One dedicated connection instead of a pool: a pool checks each connection for unread
        data before lending it out (three more system calls around every command, which cost
        more than the command itself on a busy machine). One per thread, since a web worker's
        threads share the guard and a connection serves one command at a time. A forked child
        opens its own.
        """
        mine = self._clients
        if getattr(mine, "pid", None) != os.getpid():
            mine.pid = os.getpid()
            mine.client = Redis.from_url(
                self.redis_url, socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout, retry_on_timeout=False,
                single_connection_client=True)
        client: Redis = mine.client
        return client

    def _attempt(self, ask: Callable[[], T], fallback: Callable[[], T]) -> T:
        if time.monotonic() < self._down_until:
            return fallback()
        try:
            return ask()
        except (RedisError, OSError):
            self._down_until = time.monotonic() + self.retry_after
            return fallback()
