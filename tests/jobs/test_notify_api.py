"""Sending through Twilio's REST client (against a local fake of the API) and SMTP, with retries.

Each error the API can answer is sorted: 21211 (invalid number) and 21610 (unsubscribed) are
permanent and recorded as failed at once; 429 and 5xx, and a connection that fails, are
transient and left to the job's RQ Retry, which the tests move due instead of waiting for.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.config import HotlineConfig
from app.config.notifications import NotificationsSection, notifications_of, parse_notifications
from app.jobs.notify import send_notification
from app.notify import ledger
from app.notify.delivery import CALL, EMAIL, SMS, Outgoing, PermanentError, TransientError
from app.notify.dispatch import SEND_RETRY, dispatch
from app.notify.mail import Mailer
from app.notify.twilio_api import TwilioApi, make_client
from app.services import current, provide
from app.storage import get_engine
from tests.support.constants import ACCOUNT_SID, ALICE, AUTH_TOKEN, BOB, DANA, ERIN, TEST_CONFIG
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import (
    MailServer,
    mail_server,
    make_due,
    rows,
    scheduled,
    services,
    text_of,
    work,
)
from tests.support.plugins.databases import sqlite_job_database
from tests.support.ports import free_port

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def twilio(api: FakeTwilioApi) -> TwilioApi:
    return TwilioApi(make_client(ACCOUNT_SID, AUTH_TOKEN, api.url))


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with mail_server() as server:
        yield server


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from sqlite_job_database(tmp_path, monkeypatch, "hotline.db")


def test_an_sms_and_a_call_reach_the_api_as_twilio_expects(
    api: FakeTwilioApi, twilio: TwilioApi
) -> None:
    sid = twilio.send_sms(DANA, "+49305550100", "Voicemail from ACME")
    assert sid.startswith("SM") and len(sid) == 34
    (message,) = api.messages
    assert (message["sid"], message["to"], message["from"], message["body"], message["status"]) \
        == (sid, DANA, "+49305550100", "Voicemail from ACME", "queued")
    call = twilio.place_call(ALICE, "+49305550100", "https://hotline.test/alerts/voice/call?a=1",
                             "https://hotline.test/alerts/voice/status?a=1", timeout=25)
    assert call.startswith("CA")
    (placed,) = api.calls
    assert placed["url"] == "https://hotline.test/alerts/voice/call?a=1"
    assert placed["status_callback"] == "https://hotline.test/alerts/voice/status?a=1"
    assert placed["status_callback_event"] == ["initiated", "ringing", "answered", "completed"]
    assert placed["timeout"] == "25"
    path, form, status = api.requests[-1]
    assert path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json" and status == 201
    assert form["Method"] == ["POST"] and form["StatusCallbackMethod"] == ["POST"]


@pytest.mark.parametrize(("error", "kind", "code"), [
    (21211, PermanentError, 21211), (21610, PermanentError, 21610),
    (429, TransientError, 20429), (500, TransientError, 20500),
])
def test_api_errors_are_sorted(api: FakeTwilioApi, twilio: TwilioApi, error: int,
                               kind: type[Exception], code: int) -> None:
    api.fail(BOB, error)
    with pytest.raises(kind) as raised:
        twilio.send_sms(BOB, "+49305550100", "hello")
    assert raised.value.code == code  # type: ignore[attr-defined]
    assert twilio.send_sms(BOB, "+49305550100", "hello").startswith("SM")  # it failed once


def test_a_number_twilio_cannot_read_and_a_wrong_token_are_permanent(api: FakeTwilioApi) -> None:
    with pytest.raises(PermanentError) as raised:
        TwilioApi(make_client(ACCOUNT_SID, AUTH_TOKEN, api.url)).send_sms("0151", "+4930", "x")
    assert raised.value.code == 21211 and "not a valid phone number" in raised.value.message
    with pytest.raises(PermanentError) as refused:
        TwilioApi(make_client(ACCOUNT_SID, "wrong", api.url)).send_sms(BOB, "+4930", "x")
    assert refused.value.code == 20003


def test_an_api_out_of_reach_is_transient() -> None:
    twilio = TwilioApi(make_client(ACCOUNT_SID, AUTH_TOKEN, f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(TransientError, match="ConnectionError"):
        twilio.send_sms(BOB, "+4930", "x")


def test_email_through_a_real_smtp_server(mail: MailServer) -> None:
    mailer = Mailer.from_url(mail.url)
    mailer.send("hotline@hotline.test", "dana@example.com", "Voicemail from ACME", "Listen: x\n",
                "<n-1@hotline.test>")
    (message,) = mail.to("dana@example.com")
    assert message["Subject"] == "Voicemail from ACME" and message["Message-ID"] == "<n-1@hotline.test>"
    assert text_of(message).splitlines() == ["Listen: x"]
    mail.refuse.add("gone@example.com")
    with pytest.raises(PermanentError) as raised:
        mailer.send("hotline@hotline.test", "gone@example.com", "s", "b", "<n-2@hotline.test>")
    assert raised.value.code == 550
    with pytest.raises(TransientError):
        Mailer.from_url(f"smtp://127.0.0.1:{free_port()}").send("a@b", "c@d", "s", "b", "<x@y>")


def test_smtp_urls() -> None:
    assert Mailer.from_url("smtps://me%40x.org:p%3Aw@mail.x.org") == Mailer(
        "mail.x.org", 465, "smtps", "me@x.org", "p:w")
    assert Mailer.from_url("smtp+starttls://mail.x.org").port == 587
    with pytest.raises(ValueError, match="SMTP_URL"):
        Mailer.from_url("http://mail.x.org")


def test_retries_send_once_and_permanent_errors_are_kept(
    api: FakeTwilioApi, mail: MailServer, redis_url: str, db_url: str, config: HotlineConfig
) -> None:
    api.fail(BOB, 21211)
    api.fail(ERIN, 21610)
    api.fail(DANA, 429)
    api.fail(ALICE, 500, times=2)
    people = {"alice": ALICE, "bob": BOB, "dana": DANA, "erin": ERIN}
    items = [Outgoing("call:CA1", "missed", p, SMS, number, f"hi {p}") for p, number in people.items()]
    items.append(Outgoing("call:CA1", "missed", "dana", EMAIL, "dana@example.com", "hi\n",
                          {"subject": "Missed call"}))
    with provide(services(config, db_url, redis_url, api.url, mail.url)) as svc:
        ids = dispatch(svc, items)
        assert len(ids) == 5
        assert dispatch(svc, items) == ids  # recorded once; still pending, so queued (once)
        work(redis_url)
        status = {(r.recipient, r.channel): (r.status, r.error_code, r.attempts) for r in rows(db_url)}
        assert status[("bob", SMS)] == ("failed", 21211, 1)
        assert status[("erin", SMS)] == ("failed", 21610, 1)
        assert status[("dana", SMS)] == ("pending", 20429, 1)
        assert status[("alice", SMS)] == ("pending", 20500, 1)
        assert status[("dana", EMAIL)] == ("sent", None, 1)
        retried = sorted(f"notification-{r.id}" for r in rows(db_url) if r.status == "pending")
        assert scheduled(redis_url) == retried and len(retried) == 2
        for _ in range(3):
            make_due(redis_url)
            work(redis_url)
        final = {(r.recipient, r.channel): (r.status, r.attempts) for r in rows(db_url)}
        assert final[("dana", SMS)] == ("sent", 2) and final[("alice", SMS)] == ("sent", 3)
        assert scheduled(redis_url) == []
        assert [len(api.messages_to(n)) for n in (ALICE, BOB, DANA, ERIN)] == [1, 0, 1, 0]
        assert len(mail.to("dana@example.com")) == 1
        assert send_notification(ids[0]) == "already handled"  # a stray duplicate job
        assert len(api.messages) == 2


def test_a_transient_error_that_outlasts_the_retries_is_recorded_as_failed(
    api: FakeTwilioApi, redis_url: str, db_url: str, config: HotlineConfig
) -> None:
    api.fail(BOB, 500, times=None)
    with provide(services(config, db_url, redis_url, api.url)) as svc:
        (notification_id,) = dispatch(svc, [Outgoing("shift:x", "shift", "bob", SMS, BOB, "hi")])
        for _ in range(SEND_RETRY.max + 1):
            work(redis_url)
            make_due(redis_url)
        (row,) = rows(db_url)
        assert (row.status, row.attempts, row.error_code) == ("failed", SEND_RETRY.max + 1, 20500)
        assert scheduled(redis_url) == []


def test_a_claim_held_by_a_dead_worker_is_taken_over_after_the_lease(db_url: str) -> None:
    engine = get_engine(db_url)
    (notification_id,) = ledger.record(engine, [Outgoing("s", "k", "bob", SMS, BOB, "x")], NOW)
    assert ledger.claim(engine, notification_id, NOW) is not None
    assert ledger.claim(engine, notification_id, NOW + ledger.LEASE / 2) is None
    taken = ledger.claim(engine, notification_id, NOW + ledger.LEASE * 2)
    assert taken is not None and taken.attempts == 2
    ledger.sent(engine, notification_id, "SM1", NOW)
    assert ledger.claim(engine, notification_id, NOW + ledger.LEASE * 9) is None


def test_without_providers_messages_are_skipped(
    redis_url: str, db_url: str, config: HotlineConfig
) -> None:
    with provide(services(config, db_url, redis_url, None)) as svc:
        dispatch(svc, [Outgoing("s", "k", "bob", SMS, BOB, "x"),
                       Outgoing("s", "k", "bob", EMAIL, "b@x", "x", {"subject": "s"}),
                       Outgoing("s", "k", "bob", CALL, BOB, "x", {"url": "u", "status_callback": "s",
                                                                  "timeout": 30})])
        work(redis_url)
    assert [(r.channel, r.status) for r in rows(db_url)] == [
        (SMS, "skipped"), (EMAIL, "skipped"), (CALL, "skipped")]
    with Session(get_engine(db_url)) as session:
        assert [r.kind for r in ledger.about(session, "s")] == ["k", "k", "k"]


def test_the_notifications_section(config: HotlineConfig) -> None:
    assert notifications_of(config) == NotificationsSection()
    assert parse_notifications({"sms_from": "+49 30 555-0199"}).sms_from == "+49305550199"
    assert parse_notifications({"sms_from": "ACME Hotln"}).sms_from == "ACME Hotln"
    for wrong in ("0301234", "+49 30 x", "A sender id too long"):
        with pytest.raises(ValidationError):
            parse_notifications({"sms_from": wrong})
    with pytest.raises(ValidationError):
        parse_notifications({"shift_reminder_minutes": -5})


def test_services_come_from_the_environment(
    api: FakeTwilioApi, mail: MailServer, redis_url: str, db_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "hotline.toml"
    path.write_text(TEST_CONFIG.read_text())
    for name, value in {"HOTLINE_CONFIG": str(path), "REDIS_URL": redis_url,
                        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                        "TWILIO_API_BASE_URL": api.url, "SMTP_URL": mail.url,
                        "SMTP_FROM": "oncall@example.com",
                        "PUBLIC_BASE_URL": "https://hotline.example/"}.items():
        monkeypatch.setenv(name, value)
    svc = current()
    assert current() is svc  # built once
    assert (svc.public_base_url, svc.email_from, svc.sms_from) == (
        "https://hotline.example", "oncall@example.com", "+49305550100")
    assert svc.twilio is not None and svc.twilio.send_sms(BOB, svc.sms_from, "x").startswith("SM")
    assert svc.mailer == Mailer.from_url(mail.url)
    path.write_text(TEST_CONFIG.read_text().replace('name = "Test hotline"', 'name = "Renamed"'))
    os.utime(path, ns=(1, time.time_ns() + 10**9))
    assert current() is not svc and current().config.hotline.name == "Renamed"
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    assert current().twilio is None  # no credentials: SMS and calls are skipped, not faked


def test_an_expected_retry_logs_one_line_and_an_unexpected_error_its_traceback(
    api: FakeTwilioApi, redis_url: str, db_url: str, config: HotlineConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.fail(DANA, 429)
    refusing_smtp = f"smtp://127.0.0.1:{free_port()}"  # nobody listens: a transient failure
    items = [Outgoing("call:CA9", "missed", "dana", SMS, DANA, "hi"),
             Outgoing("call:CA9", "missed", "dana", EMAIL, "dana@example.com", "hi\n",
                      {"subject": "Missed call"}),
             Outgoing("call:CA9", "missed", "bob", EMAIL, "bob@example.com", "hi\n")]  # a bug:
    with caplog.at_level(logging.INFO), \
            provide(services(config, db_url, redis_url, api.url, refusing_smtp)) as svc:
        ids = dispatch(svc, items)  # ... an e-mail without a subject
        work(redis_url)
    lines = [r.getMessage() for r in caplog.records]
    retries = [line for line in lines if "retry in" in line]
    assert len(retries) == 2 and all(line.endswith("; retry in 10 s") for line in retries)
    assert retries[0].startswith(f"notification {ids[0]} (sms to dana) not sent: HTTP 429: ")
    assert retries[1].startswith(f"notification {ids[1]} (email to dana) not sent: Connection")
    traced = [line for line in lines if "Traceback" in line]
    assert len(traced) == 1 and "KeyError: 'subject'" in traced[0]
    assert all(r.exc_info is None for r in caplog.records if "retry in" in r.getMessage())
