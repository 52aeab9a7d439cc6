"""What the web tier keeps in memory: settings, the current configuration and the event sink."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from app.calls.events import Event
from app.config import HotlineConfig
from app.escalation import ChainPlan, Policy, SteadyChains
from app.guard import Guard, LocalGuard
from app.schedule import OverrideIndex, Rotation, on_call_with_overrides
from app.settings import Settings


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


@dataclass
class Runtime:
    settings: Settings
    config: HotlineConfig
    sink: Sink
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    overrides: Callable[[], OverrideIndex] = field(default=OverrideIndex)
    guard: Guard = field(default_factory=LocalGuard)
    config_errors: list[str] = field(default_factory=list)
    watcher: object | None = None
    chains: SteadyChains = field(default_factory=SteadyChains)
    webhook_paths: dict[tuple[str, str], str] = field(default_factory=dict)  # by script root, endpoint

    def who(self, rotation: Rotation, at: datetime) -> str | None:
        """Who is on call in ``rotation`` at ``at``, shift swaps applied (from memory)."""
        return on_call_with_overrides(rotation, self.overrides(), at)

    def chain(self, policy: Policy, rotations: Mapping[str, Rotation], at: datetime) -> ChainPlan:
        """The escalation chain at ``at`` (shift swaps applied), kept until it can change."""
        return self.chains.plan(policy, rotations, self.overrides(), at)
