"""What the notification and alert jobs work with, built once per process from the environment.

``current()`` builds :class:`Services` from the environment (``HOTLINE_CONFIG``, ``DATABASE_URL``,
``REDIS_URL``, ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN``, ``TWILIO_API_BASE_URL``,
``SMTP_URL``/``SMTP_FROM``, ``PUBLIC_BASE_URL``) and rebuilds them when the configuration file
changes. ``provide(services)`` puts others in place for the block (tests, embedded runs).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
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

from app import DEFAULT_REDIS_URL
from app.alerts.config import AlertsSection, alerts_of
from app.config import HotlineConfig, load_config
from app.escalation import OnCall
from app.notify.config import NotificationsSection, notifications_of
from app.notify.mail import Mailer
from app.notify.queueing import NOTIFY_QUEUE
from app.notify.twilio_api import TwilioApi, make_client
from app.schedule import OverrideIndex, Rotation, on_call_with_overrides
from app.settings import Settings
from app.storage.db import get_engine
from app.storage.overrides import load_index

log = logging.getLogger(__name__)


@dataclass
class Services:
    config: HotlineConfig
    engine: Engine
    connection: Redis
    twilio: TwilioApi | None  # None without Twilio credentials: SMS and calls are skipped
    mailer: Mailer | None  # None without SMTP_URL: e-mails are skipped
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

    def who(self) -> OnCall:
        """Who is on call, with the shift swaps stored right now applied."""
        try:
            index = load_index(self.engine)
        except SQLAlchemyError as exc:
            log.warning("overrides not applied: %s", str(exc).splitlines()[0])
            index = OverrideIndex()

        def on_call(rotation: Rotation, at: datetime) -> str | None:
            return on_call_with_overrides(rotation, index, at)

        return on_call


def from_env(env: dict[str, str] | None = None) -> Services:
    env = dict(os.environ if env is None else env)
    settings = Settings.from_env(env)
    token = env.get("TWILIO_AUTH_TOKEN")
    twilio = None
    if settings.account_sid and token:
        twilio = TwilioApi(make_client(settings.account_sid, token,
                                       env.get("TWILIO_API_BASE_URL") or None))
    return Services(
        config=load_config(settings.config_path),
        engine=get_engine(settings.database_url or None),
        connection=Redis.from_url(settings.redis_url or DEFAULT_REDIS_URL),
        twilio=twilio,
        mailer=Mailer.from_url(env["SMTP_URL"]) if env.get("SMTP_URL") else None,
        public_base_url=settings.public_base_url,
        email_sender=env.get("SMTP_FROM") or None,
    )


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
            _built[key] = from_env(env)
        return _built[key]


@contextmanager
def provide(services: Services) -> Iterator[Services]:
    """Jobs run in this process use ``services`` until the block ends."""
    _provided.append(services)
    try:
        yield services
    finally:
        _provided.remove(services)
