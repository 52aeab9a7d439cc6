"""Alerts that call: the generic endpoint, escalation by delayed jobs, the engineer's keypad.

The web app takes the alert; the worker (real Redis, SimpleWorker with its scheduler) records
it and places the call at the local fake of Twilio's API; the simulator plays the engineer's
phone on the call's signed TwiML URL. Timers are delayed jobs, moved due by the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from app.alerts.payloads import parse_alertmanager
from app.alerts.store import list_alerts
from app.config.alerts import AlertsSection
from app.jobs.alerts import ingest_alert
from app.services import provide
from app.storage import get_engine
from tests.support.alert_samples import ALERTMANAGER_BODY, DISK
from tests.support.alerting import BEARER, CONFIG, Hotline, alerts_cli
from tests.support.constants import (
    ALICE,
    CAROL,
    DANA,
    ERIN,
    HOTLINE,
)
from tests.support.notify import BASE_URL, make_due, rows, scheduled, work

NIGHT = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin


def test_a_critical_alert_calls_escalates_and_stops_when_acknowledged(hotline: Hotline) -> None:
    with provide(hotline.services()):
        assert hotline.post({**DISK, "severity": "critical"})["status"] == "accepted"
        assert hotline.post({**DISK, "severity": "critical"})["status"] == "duplicate"
        work(hotline.redis_url)
        assert hotline.called() == [DANA]
        (dana,) = hotline.api.calls
        assert dana["from"] == HOTLINE and dana["timeout"] == "30"
        assert dana["url"].startswith(f"{BASE_URL}/alerts/voice/call?a=1&r=0&s=0&p=dana&src=billing")
        hotline.post({**DISK, "summary": "Disk full on db1 now"})  # fires again meanwhile
        work(hotline.redis_url)
        assert hotline.called() == [DANA]
        assert scheduled(hotline.redis_url) == ["alert-1-timer-r0s0"]
        make_due(hotline.redis_url, "alert-1-timer")  # five minutes, nobody pressed anything
        work(hotline.redis_url)
        assert hotline.called() == [DANA, ALICE]
        alice = hotline.answer(ALICE, "2")
        assert alice.caller_heard == [
            "Alert from billing: Disk almost full on db1. Press 1 to acknowledge, 2 to escalate now.",
            "Escalating to the next person now. Goodbye."]
        work(hotline.redis_url)
        assert hotline.called() == [DANA, ALICE, ERIN]  # at once, not after the delay
        erin = hotline.answer(ERIN, "1")
        assert erin.caller_heard[-1] == "Acknowledged. Thank you."
        work(hotline.redis_url)
        make_due(hotline.redis_url)  # every timer left: they find the alert acknowledged
        work(hotline.redis_url)
        assert hotline.called() == [DANA, ALICE, ERIN] and scheduled(hotline.redis_url) == []
    alert = hotline.alert()
    assert (alert.status, alert.acknowledged_by, alert.escalation) == ("acknowledged", "erin", "stopped")
    assert [e.kind for e in alert.log] == [  # dana's call never ended: the fake API still rang it
        "opened", "paged", "escalated", "paged", "escalated", "paged", "acknowledged", "hung up"]
    calls = {r.recipient: (r.status, r.provider_status) for r in rows(hotline.db_url)}
    assert calls == {"dana": ("sent", None), "alice": ("sent", "completed"),
                     "erin": ("sent", "completed")}


def test_alertmanager_retries_and_repeats_open_one_alert(hotline: Hotline) -> None:
    with provide(hotline.services()):
        first = hotline.post(ALERTMANAGER_BODY, "/alerts/alertmanager")
        again = hotline.post(ALERTMANAGER_BODY, "/alerts/alertmanager")  # a retry, same body
        assert (first["status"], again["status"]) == ("accepted", "duplicate")
        work(hotline.redis_url)
        # the same job once more, as if its id had expired from Redis meanwhile
        assert ingest_alert(parse_alertmanager(ALERTMANAGER_BODY).to_json()) == "alert 1 updated"
        work(hotline.redis_url)
    assert hotline.called() == [DANA]
    assert [e.kind for e in hotline.alert().log] == ["opened", "paged"]


def test_resolved_stops_paging_and_a_new_firing_is_a_new_alert(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)
        work(hotline.redis_url)
        hotline.post({"key": DISK["key"], "status": "resolved"})
        work(hotline.redis_url)
        make_due(hotline.redis_url)
        work(hotline.redis_url)
        assert hotline.called() == [DANA]
        assert (hotline.alert().status, hotline.alert().escalation) == ("resolved", "stopped")
        hotline.post({**DISK, "summary": "Disk almost full on db1, again"})
        work(hotline.redis_url)
        assert hotline.called() == [DANA, DANA] and hotline.alert(2).status == "firing"
    listed = CliRunner().invoke(alerts_cli(), CONFIG).output
    assert "resolved" not in listed and "--all" not in listed
    assert "resolved 2026-12-02 13:00 CET" in CliRunner().invoke(alerts_cli(), ["--all", *CONFIG]).output


def test_nobody_acknowledges_the_chain_runs_twice_then_stops(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)
        work(hotline.redis_url)
        for _ in range(8):
            make_due(hotline.redis_url, "alert-1-timer")
            work(hotline.redis_url)
        assert hotline.called() == [DANA, ALICE, ERIN, CAROL] * 2
        assert hotline.alert().escalation == "exhausted"
        listed = CliRunner().invoke(alerts_cli(), CONFIG)
        assert "nobody acknowledged; last paged Carol\n" in listed.output, listed.output


def test_a_warning_texts_in_the_day_and_calls_at_night(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post({**DISK, "severity": "warning"})
        work(hotline.redis_url)
    assert hotline.called() == []
    (sms,) = hotline.api.messages_to(DANA)
    assert sms["body"] == ("ALERT warning from billing: Disk almost full on db1. Reply 1 to "
                           f"acknowledge, 2 to escalate. Acknowledge: {BASE_URL}/admin/alerts/1")
    with provide(hotline.services(clock=NIGHT)):
        hotline.post({**DISK, "key": "db2-disk", "severity": "warning"})
        hotline.post({**DISK, "key": "db3-disk", "severity": "info"})
        work(hotline.redis_url)
    assert hotline.called() == [DANA] and len(hotline.api.messages) == 1
    assert hotline.alert(3).escalation == "silent"


def test_a_number_that_cannot_be_called_moves_on_at_once_and_5xx_is_retried(
    hotline: Hotline,
) -> None:
    hotline.api.fail(DANA, 21211)
    hotline.api.fail(ALICE, 500)
    with provide(hotline.services(alerts=AlertsSection(repeats=0))):
        hotline.post(DISK)
        work(hotline.redis_url)
        assert hotline.called() == []  # dana's number is invalid, alice's call met a 500
        assert "alert-1-timer-r0s1" in scheduled(hotline.redis_url)
        make_due(hotline.redis_url, "notification-")  # the retry, not the escalation timer
        work(hotline.redis_url)
        assert hotline.called() == [ALICE]
    status = [(r.recipient, r.status, r.error_code, r.attempts) for r in rows(hotline.db_url)]
    assert status == [("dana", "failed", 21211, 1), ("alice", "sent", None, 2)]


def test_the_endpoints_want_the_token_and_a_valid_body(
    hotline: Hotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = hotline.client
    assert client.post("/alerts/generic", json=DISK).status_code == 401
    wrong = client.post("/alerts/generic", json=DISK, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    bad = client.post("/alerts/generic", json={"summary": "x"}, headers=BEARER)
    assert bad.status_code == 400 and "'key'" in bad.get_json()["error"]
    assert client.post("/alerts/alertmanager", data="{", headers=BEARER).status_code == 400
    old = client.post("/alerts/alertmanager", json={"version": "3"}, headers=BEARER)
    assert old.status_code == 400 and "version" in old.get_json()["error"]
    monkeypatch.delenv("ALERTMANAGER_TOKEN")
    unset = client.post("/alerts/generic", json=DISK, headers=BEARER)
    assert unset.status_code == 503 and "ALERTMANAGER_TOKEN" in unset.get_json()["error"]


def test_the_alert_call_webhooks_want_twilio_s_signature(hotline: Hotline) -> None:
    query = "a=1&r=0&s=0&p=dana&src=billing&sum=Disk"
    assert hotline.client.post(f"/alerts/voice/call?{query}").status_code == 403
    assert hotline.client.post(f"/alerts/voice/key?{query}", data={"Digits": "1"}).status_code == 403


def test_the_cli_lists_and_acknowledges(hotline: Hotline) -> None:
    with provide(hotline.services()):
        hotline.post(DISK)
        work(hotline.redis_url)
    cli = alerts_cli()
    listed = CliRunner().invoke(cli, CONFIG).output
    assert listed.splitlines()[0].split() == [
        "ID", "OPENED", "STATUS", "SEVERITY", "FROM", "SUMMARY", "ESCALATION"]
    assert "2026-12-02 13:00 CET" in listed  # opened, in the hotline's zone, named
    assert "paging Dana by call (step 1/4, round 1/2); next step 2026-12-02 13:05 CET" in listed
    acked = CliRunner().invoke(cli, ["ack", "1", "--as", "erin", *CONFIG])
    assert acked.exit_code == 0 and acked.output == "alert 1 acknowledged by Erin\n"
    again = CliRunner().invoke(cli, ["ack", "1", "--as", "erin", *CONFIG])
    assert again.exit_code == 1 and "alert 1 is acknowledged already" in again.output
    assert "acknowledged by Erin 20" in CliRunner().invoke(cli, CONFIG).output  # still firing
    shown = CliRunner().invoke(cli, ["show", "1", *CONFIG]).output
    assert "acknowledged erin: by erin (cli)" in shown and "page r0s0 dana by call: sent" in shown
    with Session(get_engine(hotline.db_url)) as session:
        assert [a.id for a in list_alerts(session)] == [1]
