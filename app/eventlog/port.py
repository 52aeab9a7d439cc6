"""The hand-off's port: what the web tier emits events into, and a sink that keeps them in memory."""

from __future__ import annotations

import threading
from typing import Protocol

from app.calls.events import Event


class Sink(Protocol):
    def emit(self, events: list[Event]) -> None: ...


class MemorySink:
    """Keeps emitted events in a list: for the CLI's dry runs and for tests of the web tier."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, events: list[Event]) -> None:
        with self._lock:
            self.events.extend(events)

    def of_type(self, type_: str) -> list[Event]:
        return [e for e in self.events if e["type"] == type_]
