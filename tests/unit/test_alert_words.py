"""What people read: times in the hotline's zone, alert states, SMS replies and notices (tables)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from app.alerts.commands import ACK, ESCALATE, HELP, TWILIO_KEYWORD, Command, read_reply
from app.alerts.notices import exhausted_notices, resolved_notices
from app.alerts.pages import escalation_text
from app.alerts.people import acknowledger, people_with_number
from app.config import HotlineConfig
from app.config.alerts import parse_alerts
from app.notify.messages import caller_description
from app.schedule.readable import DATE, SECONDS, TIME, local_time
from app.storage.alerts import Alert
from tests.support.constants import ALICE, DANA, NOW

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(("at", "fmt", "shown"), [
    (datetime(2026, 12, 2, 0, 9, tzinfo=UTC), TIME, "01:09 CET"),
    (datetime(2026, 12, 2, 0, 9, tzinfo=UTC), None, "Wed 2 Dec 01:09 CET"),
    (datetime(2027, 7, 1, 23, 9, tzinfo=UTC), None, "Fri 2 Jul 01:09 CEST"),
    (datetime(2027, 3, 28, 0, 59, tzinfo=UTC), DATE, "2027-03-28 01:59 CET"),  # spring forward:
    (datetime(2027, 3, 28, 1, 0, tzinfo=UTC), DATE, "2027-03-28 03:00 CEST"),  # 02:00 never shows
    (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), SECONDS, "2027-10-31 02:30:00 CEST"),  # fall back:
    (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), SECONDS, "2027-10-31 02:30:00 CET"),  # told apart
])
def test_a_time_is_local_and_names_its_zone(at: datetime, fmt: str | None, shown: str) -> None:
    assert (local_time(at, BERLIN, fmt) if fmt else local_time(at, BERLIN)) == shown


def test_no_time_and_other_zones() -> None:
    assert local_time(None, BERLIN) == "–" and local_time(None, BERLIN, empty="") == ""
    assert local_time(NOW, "America/New_York", TIME) == "07:00 EST"
    assert local_time(NOW, "UTC", DATE) == "2026-12-02 12:00 UTC"


@pytest.mark.parametrize(("body", "command"), [
    ("1", Command(ACK)), (" ack ", Command(ACK)), ("Ack.", Command(ACK)),
    ("ACK 6", Command(ACK, 6)), ("ack6", Command(ACK, 6)), ("ACK #6", Command(ACK, 6)),
    ("1 6", Command(ACK, 6)), ("2", Command(ESCALATE)), ("2 7", Command(ESCALATE, 7)), ("1.", Command(ACK)),
    ("STOP", Command(TWILIO_KEYWORD)), ("stop", Command(TWILIO_KEYWORD)),
    ("Start", Command(TWILIO_KEYWORD)), ("HELP", Command(TWILIO_KEYWORD)),
    ("info", Command(TWILIO_KEYWORD)), ("UNSUBSCRIBE", Command(TWILIO_KEYWORD)),
    ("stop please", Command(HELP)), ("3", Command(HELP)), ("ACK ACK", Command(HELP)),
    ("12", Command(HELP)), ("ACK 1234567890", Command(HELP)), ("", Command(HELP)),
    ("\x00ack", Command(HELP)), ("１", Command(HELP)), ("ack " + "9" * 5000, Command(HELP)),
])
def test_an_sms_reply_is_read_into_a_command(body: str, command: Command) -> None:
    assert read_reply(body) == command


@pytest.mark.parametrize(("caller", "contract", "said"), [
    ("anonymous", None, "a caller with a withheld number"),
    ("Restricted", None, "a caller with a withheld number"),
    ("+unknown", "ACME", "ACME"),
    ("", None, "a caller with a withheld number"),
    (None, None, "a caller with a withheld number"),
    ("+49301234567", "ACME", "ACME (+49301234567)"),
    ("+49301234567", None, "+49301234567"),
])
def test_a_withheld_caller_is_called_so(caller: str | None, contract: str | None, said: str) -> None:
    assert caller_description(contract, caller) == said


def alert(**fields: Any) -> Alert:
    base: dict[str, Any] = dict(id=6, status="firing", severity="critical", summary="Disk full",
                                origin="billing", channel="call", chain=["dana", "alice"],
                                round=0, step=0, escalation="active", next_step_at=None)
    return Alert(**{**base, **fields})


@pytest.mark.parametrize(("fields", "said"), [
    ({"next_step_at": datetime(2026, 12, 2, 0, 14, tzinfo=UTC)},
     "paging Dana by call (step 1/2, round 1/2); next step 2026-12-02 01:14 CET"),
    ({"severity": "info", "channel": "sms"}, "paged Dana by sms; info alerts do not escalate"),
    ({"escalation": "silent", "channel": "none", "severity": "info"},
     "not paged: the policy pages nobody for info alerts at that hour"),
    ({"escalation": "silent", "chain": []}, "not paged: nobody was on call"),
    ({"escalation": "exhausted", "step": 1}, "nobody acknowledged; last paged Alice"),
    ({"status": "acknowledged", "acknowledged_by": "dana",
      "acknowledged_at": datetime(2027, 7, 1, 23, 9, tzinfo=UTC)},
     "acknowledged by Dana 2027-07-02 01:09 CEST"),
    ({"status": "acknowledged", "acknowledged_by": "ann",  # an account that is nobody's
      "acknowledged_at": datetime(2026, 12, 2, 0, 9, tzinfo=UTC)},
     "acknowledged by ann 2026-12-02 01:09 CET"),
    ({"status": "resolved", "resolved_at": datetime(2026, 12, 2, 0, 9, tzinfo=UTC)},
     "resolved 2026-12-02 01:09 CET"),
])
def test_where_an_alert_stands_in_words(config: HotlineConfig, fields: dict[str, Any],
                                        said: str) -> None:
    assert escalation_text(alert(**fields), config) == said


def test_an_alert_policy_without_escalation_is_said_so(config: HotlineConfig) -> None:
    quiet = replace(config, alerts=parse_alerts(
        {"severities": {"critical": {"day": "sms", "night": "sms", "escalate": False}}}))
    assert escalation_text(alert(), quiet) == "paged Dana by call; critical alerts do not escalate"


def test_resolve_and_exhaustion_notices(config: HotlineConfig) -> None:
    done = alert(status="resolved", resolved_at=datetime(2026, 12, 2, 0, 9, tzinfo=UTC))
    (only,) = resolved_notices(done, ["dana", "gone-from-config"], config)
    assert (only.recipient, only.address, only.channel, only.subject) == (
        "dana", DANA, "sms", "alert:6:resolved")
    assert only.body == "RESOLVED critical from billing: Disk full (alert 6, 01:09 CET)."
    out = exhausted_notices(alert(escalation="exhausted", step=1), config, "https://h.example")
    assert [(o.recipient, o.address) for o in out] == [("dana", DANA), ("alice", ALICE)]
    assert out[0].body == ("ALERT critical from billing: Disk full. Nobody acknowledged; last "
                           "paged Alice, paging stopped. Acknowledge: https://h.example/admin/alerts/6")


def test_who_acknowledges_and_who_texts(config: HotlineConfig) -> None:
    assert acknowledger(config, "dana", "dana.s") == "dana"  # the account's person
    assert acknowledger(config, None, "erin") == "erin"  # the username is that person's id
    assert acknowledger(config, "left-the-team", "ann") == "ann"
    assert acknowledger(config, None, "ann") == "ann"
    assert people_with_number(config, DANA) == ["dana"]
    assert people_with_number(config, "+4915199999999") == [] == people_with_number(config, "")
