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
from app.storage.models import Call
from app.web.admin.calls import waiting_query
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


def test_the_follow_up_count_is_counted_once_in_a_while_and_at_once_after_a_change_here(
        settings: Settings, config: HotlineConfig, busy: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in(settings, config, busy)
    badge = re.compile(r'aria-label="(\d+) waiting"')
    before = int(badge.findall(client.get("/admin/calls").get_data(as_text=True))[0])
    with Session(get_engine(busy)) as session:  # another worker marks one handled
        waiting = [c.call_sid for c in session.scalars(waiting_query().limit(2))]
        session.add(FollowUp(call_sid=waiting[0], handled_at=NOW, handled_by="ann"))
        session.commit()
    assert badge.findall(client.get("/admin/calls").get_data(as_text=True)) == [str(before)]
    page = client.get("/admin/follow-ups").get_data(as_text=True)
    client.post(f"/admin/calls/{waiting[1]}/follow-up",
                data={"csrf_token": csrf_token(page), "handled": "1"})
    assert badge.findall(client.get("/admin/calls").get_data(as_text=True)) == [str(before - 2)]
    monkeypatch.setattr("app.web.admin.calls.WAITING_SECONDS", 0.0)
    with Session(get_engine(busy)) as session:
        session.delete(session.get(FollowUp, waiting[0]))
        session.commit()
    assert badge.findall(client.get("/admin/calls").get_data(as_text=True)) == [str(before - 1)]
