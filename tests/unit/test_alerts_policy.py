"""The alert policy and payloads as tables of cases: no server, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from app.alerts.pages import PAGE_FIELDS, escalation_text, page_key, plan_page, spoken
from app.alerts.payloads import PayloadError, parse_alertmanager, parse_generic
from app.alerts.policy import choose_channel, is_day, next_position, severity_of
from app.calls.seal import sealed
from app.config import HotlineConfig
from app.config.alerts import AlertsSection, alerts_of, check_alerts, parse_alerts
from tests.support.alert_samples import ALERTMANAGER_BODY

DEFAULT = AlertsSection()
WED = datetime(2026, 12, 2, tzinfo=UTC)  # Berlin is UTC+1 in December


@pytest.mark.parametrize(("hour_utc", "window", "day"), [
    (6, "08:00-20:00", False), (7, "08:00-20:00", True), (18, "08:00-20:00", True),
    (19, "08:00-20:00", False), (23, "22:00-06:00", True), (4, "22:00-06:00", True),
    (5, "22:00-06:00", False), (22, "08:00-24:00", True), (23, "08:00-24:00", False),
])
def test_day_is_a_local_window(config: HotlineConfig, hour_utc: int, window: str, day: bool) -> None:
    section = AlertsSection(day=window)
    assert is_day(section, config, WED.replace(hour=hour_utc)) is day


def test_day_can_be_the_business_hours_with_their_holidays(config: HotlineConfig) -> None:
    section = AlertsSection(day="office")
    assert is_day(section, config, WED.replace(hour=12))
    assert not is_day(section, config, datetime(2026, 12, 24, 12, tzinfo=UTC))  # closed_on
    assert not is_day(section, config, datetime(2026, 12, 5, 12, tzinfo=UTC))  # a Saturday


@pytest.mark.parametrize(("severity", "hour_utc", "channel"), [
    ("critical", 12, "call"), ("critical", 23, "call"), ("warning", 12, "sms"),
    ("warning", 23, "call"), ("info", 12, "sms"), ("info", 23, "none"), ("page-me", 23, "call"),
])
def test_severity_and_time_of_day_choose_the_channel(
    config: HotlineConfig, severity: str, hour_utc: int, channel: str
) -> None:
    name = severity_of(severity, DEFAULT)
    assert choose_channel(DEFAULT, config, name, WED.replace(hour=hour_utc)) == channel


def test_severity_names() -> None:
    assert severity_of(" Warning ", DEFAULT) == "warning"
    assert severity_of(None, DEFAULT) == "critical"
    assert severity_of("page", AlertsSection(default_severity="warning")) == "warning"


@pytest.mark.parametrize(("at", "length", "repeats", "following"), [
    ((0, 0), 4, 1, (0, 1)), ((0, 3), 4, 1, (1, 0)), ((1, 3), 4, 1, None),
    ((0, 0), 1, 0, None), ((0, 0), 1, 2, (1, 0)), ((2, 0), 1, 2, None), ((0, 0), 0, 3, None),
])
def test_next_position(at: tuple[int, int], length: int, repeats: int,
                       following: tuple[int, int] | None) -> None:
    assert next_position(*at, length, repeats) == following


def test_the_section_has_defaults_and_merges_severities(config: HotlineConfig) -> None:
    assert alerts_of(config) == DEFAULT
    assert DEFAULT.token_env == "ALERTMANAGER_TOKEN" and DEFAULT.step_delay_minutes == 5
    section = parse_alerts({"severities": {"warning": {"day": "email", "night": "sms"},
                                           "page": {}}})
    assert section.rule("warning").day == "email" and section.rule("critical").night == "call"
    assert section.rule("page").escalate
    with pytest.raises(ValidationError):
        parse_alerts({"severities": {"warning": {"day": "pigeon"}}})
    with pytest.raises(ValidationError):
        parse_alerts({"token_env": "lower-case"})
    assert check_alerts(parse_alerts({"policy": "nope", "day": "noon",
                                      "default_severity": "x"}), config) == [
        ("alerts.policy", "no policy 'nope'"),
        ("alerts.day", "write a local window like '08:00-20:00' or the id of a "
                       "[business_hours] table"),
        ("alerts.default_severity", "not one of the severities critical, warning, info"),
    ]
    assert check_alerts(parse_alerts({"policy": "premium", "day": "office"}), config) == []


def test_an_alertmanager_group_reads_as_one_alert() -> None:
    incoming = parse_alertmanager(ALERTMANAGER_BODY)
    assert (incoming.integration, incoming.group_key, incoming.status) == (
        "alertmanager", '{}:{alertname="DiskFull"}', "firing")
    assert incoming.summary == "Disk almost full on db1 (2 alerts)"
    assert (incoming.origin, incoming.severity) == ("billing", "critical")  # the worst one
    assert [m.fingerprint for m in incoming.members] == ["4b2c2f0dd0a2a0c1", "9f1e0c7a55b3d2e4"]
    assert parse_alertmanager(dict(ALERTMANAGER_BODY, commonAnnotations={
        "summary": "Disks\nfilling\x07 up"})).summary == "Disks filling up (2 alerts)"
    assert type(incoming).from_json(incoming.to_json()) == incoming


@pytest.mark.parametrize(("change", "message"), [
    ({"version": "3"}, "unsupported payload version"),
    ({"status": "pending"}, "status must be"),
    ({"groupKey": ""}, "'groupKey' must be"),
    ({"alerts": {}}, "'alerts' must be a list"),
    ({"commonLabels": {"a": 1}}, "'commonLabels' must be an object of strings"),
])
def test_alertmanager_bodies_that_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_alertmanager({**ALERTMANAGER_BODY, **change})


def test_the_generic_body() -> None:
    incoming = parse_generic({"key": "backup-db1", "summary": "Nightly backup failed",
                              "severity": "warning", "source": "backup cron",
                              "labels": {"host": "db1"}})
    assert (incoming.group_key, incoming.status, incoming.origin, incoming.severity) == (
        "backup-db1", "firing", "backup cron", "warning")
    assert parse_generic({"key": "backup-db1", "status": "resolved"}).summary == "backup-db1"
    for body, message in [([], "must be a JSON object"), ({"summary": "x"}, "'key' must be"),
                          ({"key": "k"}, "'summary' must be"),
                          ({"key": "k", "summary": "s", "labels": ["x"]}, "'labels'")]:
        with pytest.raises(PayloadError, match=message):
            parse_generic(body)


def test_pages_by_channel_and_what_they_say() -> None:
    alert = SimpleNamespace(id=7, round=1, step=2, channel="call", origin="billing",
                            summary="Disk full", severity="critical")
    dana = SimpleNamespace(id="dana", phone="+4915155500003", email=None)
    key = page_key("secret")
    (call,) = plan_page(alert, dana, "https://hotline.example", 30, key)
    assert call.subject == "alert:7:r1s2" and call.body == spoken("billing", "Disk full")
    # Each URL ends with our seal over every field (absent ones included).
    url, seal = call.data["url"].split("&m=")
    assert url == "https://hotline.example/alerts/voice/call?a=7&r=1&s=2&p=dana&src=billing&sum=Disk+full"
    assert seal == sealed(key, {"a": "7", "r": "1", "s": "2", "p": "dana", "src": "billing",
                                "sum": "Disk full"}, PAGE_FIELDS)["m"]
    status, status_seal = call.data["status_callback"].split("&m=")
    assert status == "https://hotline.example/alerts/voice/status?a=7&r=1&s=2&p=dana"
    assert status_seal == sealed(key, {"a": "7", "r": "1", "s": "2", "p": "dana"}, PAGE_FIELDS)["m"]
    assert status_seal != seal != sealed(page_key("other"), {"a": "7", "r": "1", "s": "2", "p": "dana"},
                                         PAGE_FIELDS)["m"]
    (sms,) = plan_page(alert, dana, None, 30, key)  # no public URL for Twilio: SMS instead
    assert sms.body == ("ALERT critical from billing: Disk full. Reply 1 to acknowledge, 2 to "
                        "escalate. Acknowledge: hotline alerts ack 7 --as dana")
    (by_sms,) = plan_page(SimpleNamespace(**{**vars(alert), "channel": "email"}), dana, None, 30, key)
    assert by_sms.channel == "sms"  # dana has no e-mail address


def test_escalation_text(config: HotlineConfig) -> None:
    base = dict(status="firing", escalation="active", chain=["dana", "erin"], round=0, step=1,
                channel="call", next_step_at=WED, acknowledged_by=None, acknowledged_at=None,
                resolved_at=None, person="erin", severity="critical")
    assert escalation_text(SimpleNamespace(**base), config) == (
        "paging Erin by call (step 2/2, round 1/2); next step 2026-12-02 01:00 CET")
    acked = SimpleNamespace(**{**base, "status": "acknowledged", "acknowledged_by": "dana",
                               "acknowledged_at": WED})
    assert escalation_text(acked, config) == "acknowledged by Dana 2026-12-02 01:00 CET"
    assert escalation_text(SimpleNamespace(**{**base, "escalation": "exhausted"}), config) == (
        "nobody acknowledged; last paged Erin")
