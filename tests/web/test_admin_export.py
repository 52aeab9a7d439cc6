"""The calls CSV is never cut off: it is written whole before its first byte goes out and
sent with its length; one that cannot be written within the request's budget is offered as
complete parts. And the list counts only as far as the page needs."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import HotlineConfig
from app.settings import Settings
from app.storage import get_engine
from app.storage.accounts import FollowUp
from app.storage.models import Attempt, Call
from app.storage.waiting import MISSED_OUTCOMES
from app.web.admin.export import CHECK_EVERY, export_seconds
from bench.calllog import fill
from tests.support.admin import admin_app, csrf_token, sign_in
from tests.support.constants import NOW

CALLS = 3_000  # six times CHECK_EVERY, about 230 a month
PART = re.compile(r'href="(/admin/calls\.csv\?[^"]+)"')


@pytest.fixture
def busy(settings: Settings, config: HotlineConfig, admin_db_url: str) -> str:
    fill(get_engine(admin_db_url), CALLS, NOW - timedelta(hours=1))
    return admin_db_url


def signed_in(settings: Settings, config: HotlineConfig, url: str, **flask_config: Any) -> Any:
    app: Flask = admin_app(settings, config, url, clock=lambda: NOW, **flask_config)
    client = app.test_client()
    assert sign_in(client, "ann").status_code == 303
    return client


def csv_rows(response: Any) -> list[dict[str, str]]:
    body = response.get_data()
    assert response.mimetype == "text/csv"
    assert response.content_length == len(body)  # a shorter body is a failed download
    return list(csv.DictReader(io.StringIO(body.decode())))


def all_sids(url: str) -> set[str]:
    with Session(get_engine(url)) as session:
        return set(session.scalars(select(Call.call_sid)))


def test_an_export_within_the_budget_is_one_complete_file(settings: Settings, config: HotlineConfig,
                                                          busy: str) -> None:
    client = signed_in(settings, config, busy, EXPORT_SECONDS=60.0)
    rows = csv_rows(client.get("/admin/calls.csv"))
    assert len(rows) == CALLS and {r["call_sid"] for r in rows} == all_sids(busy)


def test_an_export_over_the_budget_is_never_sent_cut_off_but_offered_in_complete_parts(
        settings: Settings, config: HotlineConfig, busy: str) -> None:
    # No time at all: the clock is read every CHECK_EVERY rows, so the whole log (more rows)
    # cannot be written, a month of it (fewer) can.
    client = signed_in(settings, config, busy, EXPORT_SECONDS=0.0)
    whole = client.get("/admin/calls.csv")
    assert whole.status_code == 200 and whole.mimetype == "text/html"
    assert "Export in parts" in whole.get_data(as_text=True)
    parts = PART.findall(whole.get_data(as_text=True))
    assert len(parts) >= 13  # a month each, over 400 days
    seen: list[str] = []
    for link in parts:
        rows = csv_rows(client.get(link.replace("&amp;", "&")))
        assert len(rows) < CHECK_EVERY
        seen += [r["call_sid"] for r in rows]
    assert len(seen) == len(set(seen)) == CALLS and set(seen) == all_sids(busy)


def test_a_month_too_large_is_offered_by_day(settings: Settings, config: HotlineConfig,
                                             busy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.web.admin.export.CHECK_EVERY", 50)  # a month has about 230 calls
    client = signed_in(settings, config, busy, EXPORT_SECONDS=0.0)
    page = client.get("/admin/calls.csv?from=2026-06-01&to=2026-06-30&contract=acme")
    days = PART.findall(page.get_data(as_text=True))
    assert len(days) == 30 and all("contract=acme" in d for d in days)
    rows = [r for d in days for r in csv_rows(client.get(d.replace("&amp;", "&")))]
    listed = client.get("/admin/calls?from=2026-06-01&to=2026-06-30&contract=acme&per_page=200")
    assert f"{len(rows)} calls" in listed.get_data(as_text=True)
    assert {r["contract"] for r in rows} == {"Customer 0"}


def test_the_budget_is_half_the_worker_timeout() -> None:
    assert export_seconds({}) == 15.0
    assert export_seconds({"WEB_TIMEOUT": "4"}) == 2.0


def test_the_list_counts_only_as_far_as_it_pages(settings: Settings, config: HotlineConfig,
                                                 busy: str) -> None:
    client = signed_in(settings, config, busy)
    first = client.get("/admin/calls").get_data(as_text=True)
    assert "More than 1000 calls, page 1 of 20+" in first and 'rel="next"' in first
    last = client.get("/admin/calls?page=60").get_data(as_text=True)
    assert f"{CALLS} calls, page 60 of 60" in last and 'rel="next"' not in last


def test_the_follow_up_count_changes_in_every_worker_at_once(
        settings: Settings, config: HotlineConfig, busy: str) -> None:
    """Two app instances on one database (two workers): a call one of them marks handled, or
    puts back, shows in the other's count on its next page."""
    here, there = (signed_in(settings, config, busy) for _ in range(2))
    badge = re.compile(r'aria-label="(\d+) waiting"')

    def count(client: Any) -> int:
        return int(badge.findall(client.get("/admin/calls").get_data(as_text=True))[0])

    before = count(there)
    with Session(get_engine(busy)) as session:
        missed = select(Call.call_sid).where(Call.outcome.in_(MISSED_OUTCOMES))
        handled = set(session.scalars(select(FollowUp.call_sid)))
        waiting = [sid for sid in session.scalars(missed) if sid not in handled]
    assert before == len(waiting) > 0
    page = here.get("/admin/follow-ups").get_data(as_text=True)
    here.post(f"/admin/calls/{waiting[0]}/follow-up",
              data={"csrf_token": csrf_token(page), "handled": "1"})
    assert count(there) == before - 1
    page = there.get("/admin/follow-ups").get_data(as_text=True)
    there.post(f"/admin/calls/{waiting[0]}/follow-up",
               data={"csrf_token": csrf_token(page), "handled": "0"})
    assert count(here) == before


def test_an_engineer_s_calls_export(settings: Settings, config: HotlineConfig, busy: str) -> None:
    """The engineer filter's EXISTS on attempts once correlated to the export's own join of
    attempts: SQLAlchemy refused the statement and the export was an error."""
    client = signed_in(settings, config, busy, EXPORT_SECONDS=60.0)
    rows = csv_rows(client.get("/admin/calls.csv?engineer=dana"))
    with Session(get_engine(busy)) as session:
        rung = set(session.scalars(select(Attempt.call_sid).where(Attempt.person == "dana")))
    assert rung and {r["call_sid"] for r in rows} == rung
    assert all("Dana" in r["people_rung"].split(" > ") for r in rows)
