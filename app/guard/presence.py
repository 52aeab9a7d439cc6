"""Who is on a hotline call, shared by every web process through Redis without a wait.

Writes (an engineer accepted, a call ended) are queued and applied by a background thread; the
same thread reads everybody's engagements into memory every half second. A dial step only reads
that snapshot, so it never waits on Redis; the price is that a call accepted elsewhere is seen
up to half a second late, and while Redis is away nobody elsewhere is known to be busy (ringing
a busy engineer is harmless: the chain moves on).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
BUSY = "hotline:busy"  # hash: person -> "<call sid> <expiry, epoch seconds>"
ENDED = "hotline:ended:"  # + call sid: that call is over, whatever order the news came in
Write = tuple[str, str, str]  # ("engaged" | "released", person, call sid)


class Presence:
    def __init__(self, redis_url: str, ttl: int, refresh_seconds: float = 0.5) -> None:
        self.redis_url, self.ttl, self.refresh_seconds = redis_url, ttl, refresh_seconds
        self._snapshot: dict[str, tuple[str, float]] = {}
        self._writes: deque[Write] = deque()
        self._wake = threading.Condition()
        self._pid = 0
        self._starting = threading.Lock()

    def busy(self, person: str, now: float | None = None) -> bool:
        self._ensure_thread()
        entry = self._snapshot.get(person)
        return entry is not None and entry[1] > (now or time.time())

    def write(self, change: Write) -> None:
        self._ensure_thread()
        kind, person, sid = change  # this process knows at once; the others at their next sync
        with self._wake:  # one request thread's change must not overwrite another's
            if kind == "released":
                self._snapshot = {p: e for p, e in self._snapshot.items() if e[0] != sid}
            else:
                self._snapshot = {**self._snapshot, person: (sid, time.time() + self.ttl)}
            self._writes.append(change)
            self._wake.notify()

    def sync(self, client: Redis) -> None:
        """Apply the queued writes, then read everybody's engagements (one pass)."""
        while self._writes:
            kind, person, sid = self._writes[0]
            if kind == "engaged":
                client.hset(BUSY, person, f"{sid} {time.time() + self.ttl:.0f}")
                client.set(f"hotline:call:{sid}", person, ex=self.ttl)
            else:
                self._release(client, sid)
            self._writes.popleft()
        entries = {_text(p): _text(raw).partition(" ") for p, raw in client.hgetall(BUSY).items()}
        # A call may end in one process before another has recorded that it was accepted.
        ended = client.mget([ENDED + sid for sid, _, _ in entries.values()]) if entries else []
        snapshot: dict[str, tuple[str, float]] = {}
        now = time.time()
        for (person, (sid, _, expiry)), gone in zip(entries.items(), ended, strict=True):
            if gone is None and float(expiry or 0) > now:
                snapshot[person] = (sid, float(expiry))
            else:
                client.hdel(BUSY, person)
        self._snapshot = snapshot

    def _release(self, client: Redis, sid: str) -> None:
        client.set(ENDED + sid, 1, ex=self.ttl)
        person = client.get(f"hotline:call:{sid}")
        if person is None:
            return
        current = client.hget(BUSY, person)
        if current is not None and _text(current).split(" ")[0] == sid:
            client.hdel(BUSY, person)
        client.delete(f"hotline:call:{sid}")

    def _ensure_thread(self) -> None:
        if self._pid == os.getpid():
            return
        with self._starting:  # requests arriving together in a fresh process start one thread
            if self._pid != os.getpid():
                self._writes.clear()
                threading.Thread(target=self._run, name="hotline-presence", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        client = Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
        while True:
            try:
                self.sync(client)
                pause = self.refresh_seconds
            except (RedisError, OSError, ValueError) as exc:
                log.debug("presence not synced: %s", exc)
                self._snapshot = {}  # unknown is "free": rather ring a busy person than skip one
                pause = min(5.0, self.refresh_seconds * 4)
            with self._wake:
                if not self._writes:
                    self._wake.wait(pause)


def _text(value: bytes | str) -> str:
    """A reply of a client made without ``decode_responses`` is bytes."""
    return value.decode() if isinstance(value, bytes) else value
