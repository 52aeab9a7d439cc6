"""Looks at Redis, the database and the spool for ``/metrics`` and ``/readyz``, within deadlines.

Each look runs on a small thread pool of its own and is waited for at most its deadline: a hung
Redis or a database behind a dropped route makes the answer say "timeout", never makes it wait.
Webhooks never call any of this.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from redis import Redis
from sqlalchemy import Engine

from app.eventlog.backlog import Backlog, read_backlog, spool_backlog
from app.eventlog.queueing import connect
from app.settings import EVENT_QUEUE, NOTIFY_QUEUE, Settings

DEADLINE = 1.0  # seconds a look may take
T = TypeVar("T")


class Unavailable(Exception):
    """The look failed or ran out of time; ``str()`` says which ("unreachable", "timeout")."""


@dataclass(frozen=True)
class Lag:
    seconds: float  # age of the oldest event not stored yet; 0 when none waits
    spool_bytes: int
    redis: Backlog | None  # None: Redis did not answer


class Probes:
    """The looks of one web process, on clients with short timeouts."""

    def __init__(self, settings: Settings, engine: Engine | None) -> None:
        self.settings = settings
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hotline-probe")

    @cached_property
    def redis(self) -> Redis:
        return connect(self.settings.redis_url_or_default, timeout=DEADLINE / 2)

    def within(self, look: Callable[[], T], deadline: float = DEADLINE) -> T:
        future = self._pool.submit(look)
        try:
            return future.result(timeout=deadline)
        except FutureTimeout:
            raise Unavailable("timeout") from None
        except Exception:
            raise Unavailable("unreachable") from None

    def backlog(self) -> Backlog:
        return self.within(lambda: read_backlog(self.redis, (EVENT_QUEUE, NOTIFY_QUEUE), EVENT_QUEUE))

    def database(self) -> str:
        """"ok", "unreachable" or "timeout"."""
        engine = self.engine
        if engine is None:
            return "unreachable"

        def ping() -> None:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")

        try:
            self.within(ping)
        except Unavailable as reason:
            return str(reason)
        return "ok"

    def lag(self, now: datetime) -> Lag:
        """The log's lag: queued, retrying and running batches, and this host's spool."""
        spool_bytes, spool_oldest = spool_backlog(self.settings.spool_path)
        try:
            redis: Backlog | None = self.backlog()
        except Unavailable:
            redis = None
        found = [at for at in (spool_oldest, redis.oldest_event if redis else None) if at]
        seconds = max(0.0, (now - min(found)).total_seconds()) if found else 0.0
        return Lag(seconds, spool_bytes, redis)
