"""What the notification and alert tests share: a mail server, the worker, moving timers due.

No tests here. Timers and retries are RQ jobs in the scheduled registry; instead of waiting,
``make_due`` moves the chosen ones to now, and the next burst of the real worker (which runs
its scheduler's "enqueue what is due" first) runs them. Nothing else about them changes.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.pages import page_key
from app.config import HotlineConfig
from app.jobs.events import SETTLE_PREFIX
from app.notify.mail import Mailer
from app.notify.queueing import NOTIFY_QUEUE
from app.notify.twilio_api import TwilioApi, make_client
from app.services import Services
from app.settings import EVENT_QUEUE
from app.storage import get_engine
from app.storage.notifications import Notification
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, SECRET_KEY, TEST_CONFIG
from tests.support.ports import free_port

BASE_URL = "http://hotline.test"
QUEUES = (NOTIFY_QUEUE, EVENT_QUEUE)
EMAILS = {"alice": "alice@example.com", "dana": "dana@example.com"}


class MailServer:
    """A real SMTP server (aiosmtpd) on loopback; refuses the addresses in ``refuse`` (550)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def config_with_emails(tmp_path: Path, emails: dict[str, str] = EMAILS) -> Path:
    """The test configuration with e-mail addresses for some people."""
    text = TEST_CONFIG.read_text()
    for person, address in emails.items():
        header = f"[people.{person}]\n"
        text = text.replace(header, f'{header}email = "{address}"\n')
    path = tmp_path / "hotline.toml"
    path.write_text(text)
    return path


def services(config: HotlineConfig, db_url: str, redis_url: str, api_url: str | None,
             mail_url: str | None = None, clock: Callable[[], datetime] | None = None,
             **more: Any) -> Services:
    twilio = TwilioApi(make_client(ACCOUNT_SID, AUTH_TOKEN, api_url)) if api_url else None
    built = Services(config=config, engine=get_engine(db_url), connection=Redis.from_url(redis_url),
                     twilio=twilio, mailer=Mailer.from_url(mail_url) if mail_url else None,
                     page_key=page_key(SECRET_KEY), public_base_url=BASE_URL, **more)
    if clock is not None:
        built.clock = clock
    return built


def text_of(message: Message) -> str:
    """The decoded body of a plain-text e-mail."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


class BurstWorker(SimpleWorker):
    """The worker ``hotline worker`` runs, minus its command channel (``rq`` stop/kill
    messages), whose listener thread costs up to a second to stop after every burst."""

    def subscribe(self) -> None:
        self.pubsub_thread = None

    def unsubscribe(self) -> None:
        return None


def work(redis_url: str) -> bool:
    """One burst of the worker on both queues, with its scheduler, in this process."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = BurstWorker(list(QUEUES), connection=Redis.from_url(redis_url),
                             serializer=JSONSerializer)
        return worker.work(burst=True, with_scheduler=True, logging_level="ERROR")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def scheduled(redis_url: str) -> list[str]:
    """The ids of the jobs waiting for their time (timers, retries), both queues; not the call
    log's settling of the calls' ends."""
    connection = Redis.from_url(redis_url)
    return sorted(job_id for name in QUEUES
                  for job_id in _queue(connection, name).scheduled_job_registry.get_job_ids()
                  if not job_id.startswith(SETTLE_PREFIX))


def make_due(redis_url: str, prefix: str = "") -> list[str]:
    """Move the scheduled jobs whose id starts with ``prefix`` to now; their ids."""
    connection = Redis.from_url(redis_url)
    moved = []
    for name in QUEUES:
        registry = _queue(connection, name).scheduled_job_registry
        for job_id in registry.get_job_ids():
            if job_id.startswith(prefix):
                connection.zadd(registry.key, {job_id: int(time.time()) - 1}, xx=True)
                moved.append(job_id)
    return sorted(moved)


def rows(db_url: str) -> list[Notification]:
    with Session(get_engine(db_url), expire_on_commit=False) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def _queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)
