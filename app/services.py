"""The one place that builds the hotline's services, for web processes, workers and the CLI alike.

``build_services(settings)`` turns the environment's settings into :class:`Services`: the
configuration, the database engine, the Redis connection, Twilio's REST API and the mailer
(``None`` when their credentials are not set). ``create_app`` builds its runtime on them, the CLI
commands use them, and jobs find theirs through ``current()``, which builds them once per
process and again when the configuration file changes; ``provide(services)`` puts others in
place for a block (tests, embedded runs). ``make_sink`` and ``make_guard`` are the two adapters a
web process adds: the event hand-off and the PIN limits with presence.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.alerts.pages import page_key as alert_page_key
from app.config import HotlineConfig, load_config
from app.config.alerts import AlertsSection, alerts_of
from app.config.notifications import NotificationsSection, notifications_of
from app.escalation import OnCall
from app.eventlog import EventSink
from app.eventlog.port import Sink
from app.guard.port import Guard, LocalGuard
from app.guard.redis_guard import RedisGuard
from app.notify.mail import Mailer
from app.notify.twilio_api import TwilioApi, make_client
from app.schedule import OverrideIndex, Rotation, on_call_with_overrides
from app.settings import NOTIFY_QUEUE, Settings
from app.storage.db import get_engine
from app.storage.handoff import DirectStore
from app.storage.overrides import load_index

log = logging.getLogger(__name__)


@dataclass
class Services:
    config: HotlineConfig
    engine: Engine
    connection: Redis
    twilio: TwilioApi | None  # None without Twilio credentials: SMS and calls are skipped
    mailer: Mailer | None  # None without SMTP_URL: e-mails are skipped
    page_key: bytes  # from SECRET_KEY: seals alert pages' URLs, as the web tier checks them
    public_base_url: str | None = None
    email_sender: str | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Default: the sections of ``config`` (see notifications_of and alerts_of).
    notifications: NotificationsSection = None  # type: ignore[assignment]
    alerts: AlertsSection = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.notifications = self.notifications or notifications_of(self.config)
        self.alerts = self.alerts or alerts_of(self.config)

    @property
    def queue(self) -> Queue:
        return Queue(NOTIFY_QUEUE, connection=self.connection, serializer=JSONSerializer)

    @property
    def sms_from(self) -> str:
        return self.notifications.sms_from or self.config.hotline.numbers[0]

    @property
    def caller_id(self) -> str:
        return self.alerts.caller_id or self.config.hotline.numbers[0]

    @property
    def email_from(self) -> str:
        host = urlsplit(self.public_base_url or "").hostname or "localhost"
        return self.notifications.email_from or self.email_sender or f"hotline@{host}"

    def overrides(self) -> OverrideIndex:
        """The shift swaps stored right now; none (with a warning) if the database is away."""
        try:
            return load_index(self.engine)
        except SQLAlchemyError as exc:
            log.warning("overrides not applied: %s", str(exc).splitlines()[0])
            return OverrideIndex()

    def who(self) -> OnCall:
        """Who is on call, with the shift swaps stored right now applied."""
        index = self.overrides()

        def on_call(rotation: Rotation, at: datetime) -> str | None:
            return on_call_with_overrides(rotation, index, at)

        return on_call


def build_services(settings: Settings | None = None, config: HotlineConfig | None = None,
                   env: Mapping[str, str] | None = None) -> Services:
    """The services of ``settings`` (default: the environment's); ``config`` default: its file."""
    env = dict(os.environ if env is None else env)
    settings = settings or Settings.from_env(env)
    token = settings.auth_tokens[0] if not settings.demo_token else None
    twilio = None
    if settings.account_sid and token:
        twilio = TwilioApi(make_client(settings.account_sid, token,
                                       env.get("TWILIO_API_BASE_URL") or None))
    return Services(
        config=config if config is not None else load_config(settings.config_path),
        engine=get_engine(settings.database_url or None),
        connection=Redis.from_url(settings.redis_url_or_default),
        twilio=twilio,
        mailer=Mailer.from_url(env["SMTP_URL"]) if env.get("SMTP_URL") else None,
        page_key=alert_page_key(settings.secret_key),
        public_base_url=settings.public_base_url,
        email_sender=env.get("SMTP_FROM") or None,
    )


def make_guard(settings: Settings, config: HotlineConfig) -> Guard:
    """PIN limits and presence shared through Redis when there is one, else per process."""
    limits = config.security
    ttl = limits.max_call_minutes * 60
    if settings.redis_url:
        return RedisGuard(settings.redis_url, limits.pin_failures_per_caller,
                          limits.pin_failures_global, ttl)
    return LocalGuard(limits.pin_failures_per_caller, limits.pin_failures_global, ttl)


def make_sink(settings: Settings,
              needs_worker: Callable[[dict[str, Any]], bool] = lambda event: True) -> Sink:
    """Events go to Redis; while it is unreachable, straight to the database (and on to a
    worker once Redis is back, those ``needs_worker`` names: all unless told); while both are,
    to the spool on disk, replayed once Redis is back (at once if an earlier process left one)."""
    store = DirectStore(settings.database_url, needs_worker) if settings.database_url else None
    sink = EventSink(settings.redis_url_or_default, spool_path=settings.spool_path, store=store)
    sink.resume()
    return sink


_provided: list[Services] = []
_built: dict[tuple[Any, ...], Services] = {}
_lock = threading.Lock()


def current() -> Services:
    """The provided services, else those of the environment (rebuilt when the file changes)."""
    if _provided:
        return _provided[-1]
    env = dict(os.environ)
    path = Settings.from_env(env).config_path
    try:
        stamp: Any = os.stat(path).st_mtime_ns
    except OSError:
        stamp = None
    key = (tuple(sorted(env.items())), stamp)
    with _lock:
        if key not in _built:
            _built.clear()
            _built[key] = build_services(env=env)
        return _built[key]


@contextmanager
def provide(services: Services) -> Iterator[Services]:
    """Jobs run in this process use ``services`` until the block ends."""
    _provided.append(services)
    try:
        yield services
    finally:
        _provided.remove(services)
