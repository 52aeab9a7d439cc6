"""A cache that reloads itself from the database in a background thread of each process."""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy import Engine


class BackgroundRefresh:
    """Calls ``refresh()`` every ``refresh_seconds`` in a daemon thread; the live path reads memory."""

    thread_name = "cache"

    def __init__(self, engine: Engine | None, refresh_seconds: float = 5.0) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self._thread: threading.Thread | None = None
        self._pid = 0

    def refresh(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        """Start the refresher thread in this process (again after a fork)."""
        if self.engine is None or (self._thread and self._thread.is_alive()
                                   and self._pid == os.getpid()):
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.refresh()
            time.sleep(self.refresh_seconds)
