"""The web tier's own way into the call log while Redis is away: store directly, fail fast."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from app.storage.db import get_engine, make_engine, normalize_url
from app.storage.store import store_events

Event = dict[str, Any]
# A database out of reach (a partition drops packets) must not hold the hand-off for minutes:
# connecting gives up after CONNECT_SECONDS, and unacknowledged data after UNACKED_MS.
CONNECT_SECONDS = 2
UNACKED_MS = 3000


class DirectStore:
    """``store(batch)`` for ``EventSink``: stores in the database at ``url``, and returns the
    events a worker must still see, once Redis is back: those for which ``needs_worker`` says so
    (whose storing queues a notification: the worker stores nothing new and queues it)."""

    def __init__(self, url: str, needs_worker: Callable[[Event], bool]) -> None:
        self.url = normalize_url(url)
        self.needs_worker = needs_worker
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def __call__(self, events: list[Event]) -> list[Event]:
        store_events(self.engine, events)
        return [e for e in events if self.needs_worker(e)]

    @property
    def engine(self) -> Engine:
        """Made on first use, in the process that stores (gunicorn forks after the import)."""
        with self._lock:
            if self._engine is None:
                self._engine = fail_fast_engine(self.url)
            return self._engine


def fail_fast_engine(url: str) -> Engine:
    """PostgreSQL with short network timeouts and a small pool; SQLite as everywhere else."""
    if make_url(url).get_backend_name() != "postgresql":
        return get_engine(url)
    return make_engine(url, pool_size=1, max_overflow=1, pool_recycle=300, connect_args={
        "connect_timeout": CONNECT_SECONDS, "tcp_user_timeout": UNACKED_MS,
        "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
    })
