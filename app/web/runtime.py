"""What a web process keeps in memory, and ``runtime()``, the one way views reach it.

Settings, the current configuration (swapped by the file watcher), the event sink, the guard and
the overrides cache: nothing a live call needs waits on Redis or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from flask import current_app
from rq import Queue
from rq.serializers import JSONSerializer

from app.alerts.pages import page_key
from app.calls.incident import Incident
from app.calls.state import state_key
from app.config import HotlineConfig
from app.escalation import ChainPlan, Policy, SteadyChains
from app.eventlog.port import Sink
from app.eventlog.queueing import connect
from app.guard.port import Guard, LocalGuard
from app.schedule import OverrideIndex, Rotation, on_call_with_overrides
from app.services import Services
from app.settings import NOTIFY_QUEUE, Settings
from app.web.probes import Probes


@dataclass
class Runtime:
    settings: Settings
    config: HotlineConfig
    sink: Sink
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    overrides: Callable[[], OverrideIndex] = field(default=OverrideIndex)
    incidents: Callable[[], tuple[Incident, ...]] = field(default=tuple)
    guard: Guard = field(default_factory=LocalGuard)
    config_errors: list[str] = field(default_factory=list)
    watcher: object | None = None
    chains: SteadyChains = field(default_factory=SteadyChains)
    webhook_paths: dict[tuple[str, str], str] = field(default_factory=dict)  # by script root, endpoint
    services: Services | None = None

    def who(self, rotation: Rotation, at: datetime) -> str | None:
        """Who is on call in ``rotation`` at ``at``, shift swaps applied (from memory)."""
        return on_call_with_overrides(rotation, self.overrides(), at)

    def chain(self, policy: Policy, rotations: Mapping[str, Rotation], at: datetime) -> ChainPlan:
        """The escalation chain at ``at`` (shift swaps applied), kept until it can change."""
        return self.chains.plan(policy, rotations, self.overrides(), at)

    @cached_property
    def state_key(self) -> bytes:
        """Seals the call state in the URLs given to Twilio (derived from SECRET_KEY)."""
        return state_key(self.settings.secret_key)

    @cached_property
    def page_key(self) -> bytes:
        """Seals an alert call's page in its URLs, as the worker that placed it did."""
        return page_key(self.settings.secret_key)

    @cached_property
    def probes(self) -> Probes:
        """Redis, the database and the spool, looked at within deadlines (/metrics, /readyz)."""
        return Probes(self.settings, self.services.engine if self.services else None)

    @cached_property
    def notify_queue(self) -> Queue:
        """The queue the web tier hands alert work to, on a Redis client that fails fast."""
        return Queue(NOTIFY_QUEUE, connection=connect(self.settings.redis_url_or_default),
                     serializer=JSONSerializer)


def runtime() -> Runtime:
    """The runtime of the app serving this request."""
    return current_app.extensions["hotline"]
