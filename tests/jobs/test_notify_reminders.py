"""Shift-start reminders: scheduled with enqueue_at before each handoff, once, overrides applied."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.orm import Session

from app.config import HotlineConfig
from app.jobs.notify import plan_shift_reminders
from app.notify.queueing import NOTIFY_QUEUE
from app.notify.reminders import Handoff, next_handoffs, plan_reminder
from app.services import provide
from app.storage import get_engine
from app.storage.overrides import add_override
from tests.support.constants import ACCOUNT_SID, ALICE, AUTH_TOKEN, BOB, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import make_due, scheduled, services, work
from tests.support.plugins.databases import sqlite_job_database

NEXT_MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: primary hands over
TONIGHT = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 18:00 in Berlin: the night rotation starts


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from sqlite_job_database(tmp_path, monkeypatch, "hotline.db")


def test_the_next_handoff_of_each_rotation(config: HotlineConfig) -> None:
    assert next_handoffs(config.rotations, NOW) == [
        Handoff("primary", NEXT_MONDAY), Handoff("night", TONIGHT)]
    assert next_handoffs(config.rotations, NEXT_MONDAY)[0].at == datetime(2026, 12, 14, 8, 0,
                                                                          tzinfo=UTC)


def test_the_reminder_names_the_shift_and_the_handover(config: HotlineConfig) -> None:
    (sms,) = plan_reminder(config, Handoff("primary", NEXT_MONDAY))
    assert (sms.recipient, sms.address, sms.subject) == ("alice", ALICE, "shift:primary-20261207T0800Z")
    assert sms.body == ("Test hotline: your on-call shift (primary) starts Mon 7 Dec 09:00 CET. "
                        "You take over from Dana.")
    (night,) = plan_reminder(config, Handoff("night", TONIGHT))
    assert night.body == "Test hotline: your on-call shift (night) starts Wed 2 Dec 18:00 CET."


def test_reminders_are_scheduled_once_and_sent_to_who_covers_by_then(
    config: HotlineConfig, redis_url: str, db_url: str
) -> None:
    with Session(get_engine(db_url)) as session, session.begin():
        add_override(session, "primary", "bob", NEXT_MONDAY, datetime(2026, 12, 8, tzinfo=UTC))
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, \
            provide(services(config, db_url, redis_url, api.url, clock=lambda: NOW)):
        planned_at = datetime.now(UTC)
        assert plan_shift_reminders() == 2
        assert plan_shift_reminders() == 0  # the same handoffs: already scheduled
        # an hour before, by default; due as far from the wall clock's now as from the app's
        assert abs(scheduled_at("reminder-primary-20261207T0800Z", redis_url) - planned_at
                   - (datetime(2026, 12, 7, 7, 0, tzinfo=UTC) - NOW)) < timedelta(seconds=2)
        make_due(redis_url, "reminder-primary")
        work(redis_url)
        assert [m["body"][:45] for m in api.messages_to(BOB)] == [
            "Test hotline: your on-call shift (primary) st"]
        assert api.messages_to(ALICE) == []  # bob covers her first day
        assert abs(scheduled_at("reminders-after-primary-20261207T0800Z", redis_url)
                   - planned_at - (NEXT_MONDAY - NOW)) < timedelta(seconds=5)


def test_reminders_reckoned_on_a_clock_behind_the_wall_wait_their_time(
    config: HotlineConfig, redis_url: str, db_url: str
) -> None:
    """The handoffs a month ago by the wall clock are days ahead by the app's: the worker's
    scheduler (on the wall clock) must not find them due."""
    month_ago = NOW - timedelta(days=30)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, \
            provide(services(config, db_url, redis_url, api.url, clock=lambda: month_ago)):
        assert plan_shift_reminders() == 2
        work(redis_url)
        assert api.messages == []
        assert [job_id.split("-")[1] for job_id in scheduled(redis_url)] == ["night", "primary"]


def scheduled_at(job_id: str, redis_url: str) -> datetime:
    queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    return queue.scheduled_job_registry.get_scheduled_time(job_id)
