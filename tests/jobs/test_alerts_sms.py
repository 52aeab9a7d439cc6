"""Acknowledging by SMS reply, and the SMS about an alert that resolved or that nobody took.

The phones text the app through the simulator's texter (signed like Twilio); the worker acts
and answers through the local fake of Twilio's REST API, as in tests/jobs/test_alerts_flow.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.orm import Session

from app.alerts.commands import HELP_TEXT
from app.config.alerts import AlertsSection
from app.devtools.simulator import FlaskClientTransport, Texter
from app.jobs.alerts import answer_sms
from app.services import provide
from app.storage import get_engine
from app.storage.users import add_user
from tests.support.admin import PASSWORD, csrf_token, sign_in
from tests.support.alert_samples import DISK
from tests.support.alerting import CONFIG, Hotline, alerts_cli, open_alert
from tests.support.constants import ACCOUNT_SID, ALICE, AUTH_TOKEN, CAROL, DANA, ERIN, HOTLINE
from tests.support.notify import make_due, work

WARNING = {**DISK, "severity": "warning"}  # by day: a page by SMS


def text(hotline: Hotline, number: str, body: str) -> dict[str, str]:
    """``number`` texts ``body`` to the hotline; the worker acts on it. The form posted."""
    phone = Texter(FlaskClientTransport(hotline.client), AUTH_TOKEN,
                   "http://hotline.test/sms/inbound", ACCOUNT_SID)
    reply = phone.send(number, HOTLINE, body)
    assert (reply.status, reply.problems) == (200, [])
    assert reply.messages in ([], [HELP_TEXT])
    work(hotline.redis_url)
    return reply.params


def texts_to(hotline: Hotline, number: str) -> list[str]:
    return [m["body"] for m in hotline.api.messages_to(number)]


def test_replying_1_acknowledges_and_nobody_else_is_paged(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(WARNING)
        work(hotline.redis_url)
        sent = text(hotline, DANA, "1")
        assert texts_to(hotline, DANA)[1:] == ["Alert 1 acknowledged. Thank you."]
        # The same job once more (Twilio retried, or a worker died after sending): no new SMS.
        answer_sms(DANA, "ack", None, sent["MessageSid"])
        work(hotline.redis_url)
        make_due(hotline.redis_url)  # the escalation timer finds the alert acknowledged
        work(hotline.redis_url)
    assert len(texts_to(hotline, DANA)) == 2 and hotline.api.messages_to(ALICE) == []
    alert = hotline.alert()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "dana")
    assert [(e.kind, e.person, e.detail) for e in alert.log][-1] == (
        "acknowledged", "dana", "by dana (sms)")
    listed = CliRunner().invoke(alerts_cli(), CONFIG).output
    assert "acknowledged by Dana 2026-12-02 13:00 CET" in listed


def test_with_several_open_the_reply_names_one(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(WARNING)
        hotline.post({**WARNING, "key": "db2-disk", "summary": "Disk almost full on db2"})
        work(hotline.redis_url)
        for body in ("ACK", "ACK 2", "ack #2", "ACK 99", "1", "1"):
            text(hotline, DANA, body)
    assert texts_to(hotline, DANA)[2:] == [
        "Several alerts are open: 1, 2. Reply ACK 1 (or another id) for one.",
        "Alert 2 acknowledged. Thank you.",
        "Alert 2: acknowledged by Dana 2026-12-02 13:00 CET. Nothing changed.",
        "There is no alert 99.",
        "Alert 1 acknowledged. Thank you.",
        f"You have no open alert to acknowledge. {HELP_TEXT}",
    ]


def test_replying_2_escalates_at_once_and_only_for_who_is_paged(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)  # critical: a call to dana
        work(hotline.redis_url)
        text(hotline, ERIN, "2")  # not paged yet: nothing moves
        text(hotline, DANA, "2")
        assert hotline.called() == [DANA, ALICE]  # at once, not after the step delay
        text(hotline, DANA, "2 1")  # alice has it now
    assert texts_to(hotline, ERIN) == [f"You have no open alert to escalate. {HELP_TEXT}"]
    assert texts_to(hotline, DANA) == [
        "Alert 1: paging the next person now.",
        "Alert 1: paging Alice by call (step 2/4, round 1/2); next step 2026-12-02 13:05 CET. "
        "Nothing changed."]
    assert [e.detail for e in hotline.alert().log if e.kind == "escalated"] == [
        "dana asked to escalate (SMS); moves on"]


def test_acknowledged_by_sms_the_call_still_ringing_is_ended(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)  # critical: a call to dana
        work(hotline.redis_url)
        (call,) = hotline.api.calls
        hotline.api.progress(call["sid"], "ringing")
        text(hotline, DANA, "ACK")
        work(hotline.redis_url)
    assert hotline.alert().status == "acknowledged"
    assert hotline.api.updates == [(call["sid"], "canceled")] and call["status"] == "canceled"


def test_acknowledged_by_sms_a_page_being_retried_is_not_placed(hotline: Hotline) -> None:
    hotline.api.fail(DANA, 500)
    with provide(hotline.services()):
        hotline.post(DISK)
        work(hotline.redis_url)
        assert hotline.called() == []  # Twilio answered 500: the call is retried later
        text(hotline, DANA, "1")
        make_due(hotline.redis_url, "notification-")
        work(hotline.redis_url)
    assert hotline.called() == [] and hotline.alert().status == "acknowledged"


def test_a_resolved_alert_is_texted_to_who_was_paged_once(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(WARNING)
        work(hotline.redis_url)
        make_due(hotline.redis_url, "alert-1-timer")
        work(hotline.redis_url)  # alice's page
        for _ in range(2):  # Alertmanager repeats itself
            hotline.post({"key": DISK["key"], "status": "resolved"})
            work(hotline.redis_url)
    resolved = "RESOLVED warning from billing: Disk almost full on db1 (alert 1, 13:00 CET)."
    assert texts_to(hotline, DANA)[1:] == [resolved] == texts_to(hotline, ALICE)[1:]
    assert hotline.api.messages_to(ERIN) == [] == hotline.api.messages_to(CAROL)


def test_when_the_chain_runs_out_the_chain_is_told(hotline: Hotline) -> None:
    with provide(hotline.services(alerts=AlertsSection(repeats=0))):
        hotline.post(DISK)
        work(hotline.redis_url)
        for _ in range(5):
            make_due(hotline.redis_url, "alert-1-timer")
            work(hotline.redis_url)
    assert hotline.called() == [DANA, ALICE, ERIN, CAROL]
    told = ("ALERT critical from billing: Disk almost full on db1. Nobody acknowledged; last "
            "paged Carol, paging stopped. Acknowledge: http://hotline.test/admin/alerts/1")
    assert [texts_to(hotline, n) for n in (DANA, ALICE, ERIN, CAROL)] == [[told]] * 4


def test_the_cli_acknowledges_as_a_person_of_the_configuration(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)
        work(hotline.redis_url)
    cli = alerts_cli()
    missing = CliRunner().invoke(cli, ["ack", "1", *CONFIG])
    assert missing.exit_code == 2 and "--as" in missing.output
    stranger = CliRunner().invoke(cli, ["ack", "1", "--as", "root", *CONFIG])
    assert stranger.exit_code == 2 and "no person 'root'" in stranger.output
    assert "alice, bob, carol, dana, erin" in stranger.output
    done = CliRunner().invoke(cli, ["ack", "1", "--as", "carol", *CONFIG])
    assert done.output == "alert 1 acknowledged by Carol\n"
    assert hotline.alert().acknowledged_by == "carol"


@pytest.mark.parametrize(("username", "shown"), [("dana", "Dana"), ("ann2", "ann2")])
def test_the_console_acknowledges_as_the_account_s_person(
    console: Flask, admin_db_url: str, username: str, shown: str
) -> None:
    with Session(get_engine(admin_db_url)) as session:
        add_user(session, username, PASSWORD, "admin")
        session.commit()
    client: Any = console.test_client()
    assert sign_in(client, username).status_code == 303
    alert_id = open_alert(admin_db_url)
    page = client.get("/admin/alerts").get_data(as_text=True)
    client.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": csrf_token(page)})
    after = client.get("/admin/alerts").get_data(as_text=True)
    assert f"Acknowledged by {shown}, " in after and " CET" in after
