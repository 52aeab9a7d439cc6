"""Voicemail, missed-call and missed-ring notifications, from a simulated call to the SMS sent.

End to end: the simulator calls the app, the app's events go through Redis, the worker stores
them and the storage hook queues ``notify_call``; its messages reach the local fake of Twilio's
API and a real SMTP server. The "call ended" trigger waits SETTLE seconds as a delayed job: the
tests move it due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app.calls import events as ev
from app.config import HotlineConfig, load_config
from app.config.notifications import NotificationsSection, parse_notifications
from app.devtools.simulator import Answer, CallerScript, CallResult, FlaskClientTransport, NoAnswer, Simulator
from app.eventlog import EventSink
from app.jobs.notify import notify_call
from app.notify.calls import ENDED, VOICEMAIL, plan_call
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines, upgrade
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, ALICE, AUTH_TOKEN, CAROL, DANA, ERIN, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import (
    BASE_URL,
    MailServer,
    config_with_emails,
    mail_server,
    make_due,
    rows,
    services,
    text_of,
    work,
)
from tests.support.redis import RedisServer

CHAIN = (DANA, ALICE, ERIN, CAROL)  # at NOW: dana on call, alice next, erin, the CIO carol
WHEN = "Wed 2 Dec 13:00 CET"


@pytest.fixture
def world(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    config = load_config(config_with_emails(tmp_path))
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, mail_server() as mail, \
            provide(services(config, db_url, redis.url, api.url, mail.url, lambda: NOW)):
        yield World(tmp_path, settings, config, redis.url, db_url, api, mail)
    redis.stop()
    dispose_engines()


class World:
    def __init__(self, tmp_path: Path, settings: Settings, config: HotlineConfig, redis_url: str,
                 db_url: str, api: FakeTwilioApi, mail: MailServer) -> None:
        self.config, self.redis_url, self.db_url, self.api, self.mail = \
            config, redis_url, db_url, api, mail
        self.sink = EventSink(redis_url, spool_path=tmp_path / "spool.jsonl")
        app = create_app(replace(settings, redis_url=redis_url), config, self.sink,
                         clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
        self.client: FlaskClient = app.test_client()

    def call(self, caller: CallerScript, phones: dict[str, object]) -> CallResult:
        sim = Simulator(FlaskClientTransport(self.client), AUTH_TOKEN,
                        voice_url=f"{BASE_URL}/voice", status_callback_url=f"{BASE_URL}/voice/status",
                        account_sid=ACCOUNT_SID, clock_start=NOW, seed=11)
        result = sim.place_call(ACME, HOTLINE, caller, phones)  # type: ignore[arg-type]
        assert self.sink.flush(5)
        return result

    def settle(self) -> None:
        """Store the events (queues the voicemail note), then let the "ended" one run."""
        work(self.redis_url)
        assert make_due(self.redis_url, "notify-")
        work(self.redis_url)

    def texts(self, number: str) -> list[str]:
        return [m["body"] for m in self.api.messages_to(number)]


def test_a_voicemail_reaches_the_whole_chain_by_sms_and_email(world: World) -> None:
    result = world.call(CallerScript(record_seconds=12), {n: NoAnswer() for n in CHAIN})
    assert result.recorded
    world.settle()
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    expected = f"Test hotline: voicemail from ACME ({ACME}), {WHEN}, 12 s. You missed its ring. {link}"
    assert [world.texts(n) for n in CHAIN] == [[expected]] * 4  # each of them let it ring
    (recording,) = [r.params["RecordingUrl"] for r in result.requests if "RecordingUrl" in r.params][:1]
    assert all(recording not in m["body"] for m in world.api.messages)
    (to_dana,) = world.mail.to("dana@example.com")
    assert to_dana["Subject"] == f"Voicemail from ACME ({ACME})"
    text = text_of(to_dana)
    assert link in text and recording not in text
    assert len(world.mail.to("alice@example.com")) == 1 and len(world.mail.messages) == 2
    assert {(r.kind, r.status) for r in rows(world.db_url)} == {("voicemail", "sent")}
    assert notify_call(result.call_sid, VOICEMAIL) == "0 to send"  # a repeat sends nothing
    assert len(world.api.messages) == 4


def test_a_call_nobody_accepted_and_no_voicemail_is_a_missed_call(world: World) -> None:
    result = world.call(CallerScript(hangup_after_seconds=45), {n: NoAnswer() for n in CHAIN})
    assert not result.recorded
    world.settle()
    link = f"{BASE_URL}/admin/calls/{result.call_sid}"
    missed = f"Test hotline: missed call from ACME ({ACME}), {WHEN}. Nobody accepted it."
    rang_out = f"{missed} You missed its ring. {link}"  # dana's phone rang out; alice's was
    assert [world.texts(n) for n in CHAIN] == [[rang_out]] + [[f"{missed} {link}"]] * 3  # cut
    assert [m["Subject"] for m in world.mail.messages] == [f"Missed call from ACME ({ACME})"] * 2


def test_who_let_it_ring_hears_about_it_when_someone_else_took_the_call(world: World) -> None:
    world.call(CallerScript(), {DANA: NoAnswer(), ALICE: Answer(press=None),
                                ERIN: Answer(press="1", talk_seconds=30)})
    world.settle()
    assert [len(world.texts(n)) for n in CHAIN] == [1, 1, 0, 0]
    assert world.texts(DANA)[0].startswith(
        f"Test hotline: you missed a ring from ACME ({ACME}), {WHEN}. Erin took the call.")
    assert world.mail.messages == []  # SMS only


def test_notifications_can_be_switched_off(config: HotlineConfig) -> None:
    events = [
        ev.make_event(ev.CALL_STARTED, "CA1", "started", {"from": ACME, "to": HOTLINE, "caller": ACME}, NOW),
        ev.make_event(ev.CHAIN_CHOSEN, "CA1", "chain", {"chain": ["dana"]}, NOW),
        ev.make_event(ev.CALL_ENDED, "CA1", "ended", {"call_status": "completed"}, NOW),
    ]
    assert len(plan_call(events, config, NotificationsSection(), ENDED, None)) == 1
    off = parse_notifications({"missed_calls": False})
    assert plan_call(events, config, off, ENDED, None) == []


def test_a_voicemail_with_a_transcription_and_without_a_chain(config: HotlineConfig) -> None:
    """Outside business hours nobody was rung: the line's chain at that time hears about it."""
    events = [
        ev.make_event(ev.CALL_STARTED, "CA2", "started", {"from": "+12125550147", "to": HOTLINE,
                                                          "caller": "+12125550147", "line": ""}, NOW),
        ev.make_event(ev.CALL_IDENTIFIED, "CA2", "identified", {"contract": "globex",
                                                                "contract_name": "Globex"}, NOW),
        ev.make_event(ev.VOICEMAIL_RECORDED, "CA2", "voicemail:recorded", {
            "recording_sid": "RE1", "recording_url": "https://api.twilio.com/x/RE1", "duration": 9,
            "transcription_text": "Our   shop is\ndown, please call back."}, NOW),
    ]
    planned = plan_call(events, config, NotificationsSection(), VOICEMAIL, None)
    assert [(p.recipient, p.channel) for p in planned] == [
        ("dana", "sms"), ("alice", "sms"), ("erin", "sms"), ("carol", "sms")]
    assert planned[0].body == (
        f'Test hotline: voicemail from Globex (+12125550147), {WHEN}, 9 s. "Our shop is down, '
        'please call back." hotline calls --sid CA2')
    assert all("api.twilio.com" not in p.body for p in planned)
