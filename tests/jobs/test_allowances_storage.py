"""The calls people took, read for the allowances, and a period's report from the database,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.allowances import ALERT_CALL, HOTLINE_CALL
from app.config import load_config
from app.schedule.periods import parse_period
from app.storage import get_engine
from app.storage.allowances import answered_calls, period_report
from app.storage.models import Attempt, Call
from app.storage.notifications import SENT, Notification
from app.storage.overrides import add_override
from tests.support.constants import TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def call(session: Session, sid: str, started: datetime,
         attempts: list[tuple[str, str | None, timedelta]]) -> None:
    session.add(Call(call_sid=sid, started_at=started, outcome="connected"))
    session.flush()
    for step, (person, key, after) in enumerate(attempts):
        session.add(Attempt(call_sid=sid, step=step, person=person, status="connected",
                            accept_key=key, started_at=started + after))


def alert_call(session: Session, alert: int, person: str, sent: datetime, status: str | None,
               channel: str = "call") -> None:
    session.add(Notification(subject=f"alert:{alert}:r0s0", kind="alert", recipient=person,
                             channel=channel, address="+4915155500001", body="alert",
                             status=SENT, provider_status=status, created_at=sent, sent_at=sent))


def test_accepted_hotline_calls_and_picked_up_alert_calls(db_url: str) -> None:
    with Session(get_engine(db_url)) as session:
        call(session, "CA1", at(5, 22), [("bob", "2", timedelta(0)),          # declined
                                         ("dana", "1", timedelta(seconds=30))])  # accepted
        call(session, "CA2", at(7, 10), [("alice", None, timedelta(0))])      # never pressed
        call(session, "CA3", at(20, 3), [("bob", "1", timedelta(seconds=5))])
        alert_call(session, 4, "erin", at(6, 2), "completed")
        alert_call(session, 5, "erin", at(6, 3), "no-answer")
        alert_call(session, 6, "bob", at(6, 4), None, channel="sms")
        alert_call(session, 7, "alice", at(9, 1), "in-progress")
        session.commit()
        found = answered_calls(session, at(1, 0), at(15, 0))
    assert sorted((c.person, c.kind, c.ref, c.at) for c in found) == [
        ("alice", ALERT_CALL, "alert 7", at(9, 1)),
        ("dana", HOTLINE_CALL, "CA1", at(5, 22, 0) + timedelta(seconds=30)),
        ("erin", ALERT_CALL, "alert 4", at(6, 2)),
    ]


def test_period_report_applies_stored_overrides_last_created_first(db_url: str) -> None:
    config = load_config(TEST_CONFIG)
    assert config.allowances is not None
    with Session(get_engine(db_url)) as session:
        # Both cover Saturday 5 Dec 10:00-12:00 (dana's week): carol's, created later, wins.
        add_override(session, "primary", "erin", at(5, 10), at(5, 14))
        add_override(session, None, "carol", at(5, 10), at(5, 12))
        call(session, "CA9", at(5, 11), [("carol", "1", timedelta(seconds=3))])
        session.commit()
        report = period_report(session, config, config.allowances, parse_period("2026-12"))
    totals = {x.person: x for x in report.totals}
    # primary: carol 2 weekend hours, erin 2; night is not on from 08:00 to 18:00.
    assert totals["carol"].hours("weekend") == 2 and totals["erin"].hours("weekend") == 2
    # carol's call on a Saturday is a call-out: 2 * 3.00 + 25.00
    assert (totals["carol"].callouts, totals["carol"].amount) == (1, Decimal("31.00"))
    assert totals["dana"].amount == Decimal("930.00") - 4 * 3
    assert report.callouts[0].at.astimezone(UTC) == datetime(2026, 12, 5, 10, 0, 3, tzinfo=UTC)
