"""A cache that reloads itself from the database in a background thread of each process."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class BackgroundRefresh:
    """Calls ``refresh()`` every ``refresh_seconds`` in a daemon thread; the live path reads memory.

    The thread holds the cache weakly: once nothing else holds it (an app that is gone), the
    thread ends instead of polling a database nobody reads.

    A failing refresh is logged when it starts failing or fails differently, then once per
    ``warn_every`` seconds while it lasts, and once more when it works again: a database down
    for an hour leaves a few lines per cache, not one every refresh."""

    thread_name = "cache"
    what = "cache"
    warn_every = 60.0

    def __init__(self, engine: Engine | None, refresh_seconds: float = 5.0) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.last_error: str | None = None
        self.failures = 0  # refreshes failed in a row
        self._warned_at = 0.0
        self._thread: threading.Thread | None = None
        self._pid = 0

    def refresh(self) -> bool:
        """Reload from the database; on failure keep the last known data. Whether it worked."""
        if self.engine is None:
            return False
        try:
            self.load(self.engine)
        except SQLAlchemyError as exc:
            return self._failed(exc)
        return self._succeeded()

    def load(self, engine: Engine) -> None:
        """Read the data from the database into memory (the subclass's part)."""
        raise NotImplementedError

    def _failed(self, error: SQLAlchemyError) -> bool:
        message = (str(error).splitlines() or [type(error).__name__])[0]
        self.failures += 1
        now = time.monotonic()
        if message != self.last_error or now - self._warned_at >= self.warn_every:
            in_a_row = f" ({self.failures} failed in a row)" if self.failures > 1 else ""
            log.warning("%s not refreshed, keeping the last known ones%s: %s",
                        self.what, in_a_row, message)
            self._warned_at = now
        self.last_error = message
        return False

    def _succeeded(self) -> bool:
        if self.failures:
            log.warning("%s refreshed again after %d failed refreshes", self.what, self.failures)
        self.last_error, self.failures = None, 0
        return True

    def start(self) -> None:
        """Start the refresher thread in this process (again after a fork)."""
        if self.engine is None or (self._thread and self._thread.is_alive()
                                   and self._pid == os.getpid()):
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=refresh_while_held, args=(weakref.ref(self),),
                                        name=self.thread_name, daemon=True)
        self._thread.start()


def refresh_while_held(held: weakref.ref[BackgroundRefresh]) -> None:
    """Refresh the cache, then sleep its ``refresh_seconds``, for as long as anything holds it."""
    while (cache := held()) is not None:
        cache.refresh()
        pause = cache.refresh_seconds
        del cache  # not held while asleep
        time.sleep(pause)
