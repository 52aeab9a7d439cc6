"""A hotline with everything real around it, for notification tests: ``world`` (SQLite) and
``world_db`` (SQLite and PostgreSQL).

The simulator calls the app, the app's events go through Redis, the worker stores them and the
storage hook queues ``notify_call``; its messages reach the local fake of Twilio's API and a real
SMTP server. ``world.at`` is the app's and the jobs' clock; timers are RQ jobs that the tests
move due (``make_due``) instead of waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app.config import HotlineConfig, load_config
from app.devtools.simulator import CallerScript, CallResult, FlaskClientTransport, PhoneScript, Simulator
from app.eventlog import EventSink
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines, upgrade
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import (
    BASE_URL,
    MailServer,
    config_with_emails,
    mail_server,
    make_due,
    services,
    work,
)


class World:
    """The app, its worker, the fake REST API and the mail server, on one movable clock."""

    def __init__(self, tmp_path: Path, settings: Settings, config: HotlineConfig, redis_url: str,
                 db_url: str, api: FakeTwilioApi, mail: MailServer) -> None:
        self.config, self.redis_url, self.db_url, self.api, self.mail = \
            config, redis_url, db_url, api, mail
        self.at = NOW
        self.sink = EventSink(redis_url, spool_path=tmp_path / "spool.jsonl")
        app = create_app(replace(settings, redis_url=redis_url), config, self.sink,
                         clock=lambda: self.at, overrides=OverrideCache(None), TESTING=True)
        self.client: FlaskClient = app.test_client()
        self.sim = Simulator(FlaskClientTransport(self.client), AUTH_TOKEN,
                             voice_url=f"{BASE_URL}/voice",
                             status_callback_url=f"{BASE_URL}/voice/status",
                             account_sid=ACCOUNT_SID, seed=11)

    def call(self, caller: CallerScript, phones: dict[str, PhoneScript],
             from_: str = ACME) -> CallResult:
        self.sim.clock_start = self.at
        result = self.sim.place_call(from_, HOTLINE, caller, phones)
        assert self.sink.flush(5)
        return result

    def transcribe(self, result: CallResult) -> None:
        """Twilio's transcription callback arrives (minutes after the call)."""
        assert self.sim.send_late_callbacks(result) == 1
        assert self.sink.flush(5)

    def settle(self) -> None:
        """Store the events (queues the notes), then let the delayed ones run."""
        work(self.redis_url)
        assert make_due(self.redis_url, "notify-")
        work(self.redis_url)

    def work(self) -> None:
        """One burst of the worker: what is queued and due now."""
        work(self.redis_url)

    def run_due(self, prefix: str) -> list[str]:
        """Run the timers whose job id starts with ``prefix``; their ids."""
        moved = make_due(self.redis_url, prefix)
        work(self.redis_url)
        return moved

    def texts(self, number: str) -> list[str]:
        return [m["body"] for m in self.api.messages_to(number)]


def running_world(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
                  redis_url: str, db_url: str) -> Iterator[World]:
    upgrade(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    config = load_config(config_with_emails(tmp_path))
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, mail_server() as mail:
        world = World(tmp_path, settings, config, redis_url, db_url, api, mail)
        with provide(services(config, db_url, redis_url, api.url, mail.url, lambda: world.at)):
            yield world
    dispose_engines()


@pytest.fixture
def world(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
          redis_url: str) -> Iterator[World]:
    yield from running_world(tmp_path, settings, monkeypatch, redis_url,
                             f"sqlite:///{tmp_path / 'hotline.db'}")


@pytest.fixture
def world_db(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch,
             redis_url: str, empty_db: str) -> Iterator[World]:
    """The world on each database backend."""
    yield from running_world(tmp_path, settings, monkeypatch, redis_url, empty_db)

