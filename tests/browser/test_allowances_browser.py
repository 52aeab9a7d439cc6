"""The allowances page in real headless Chromium, at desktop width and at 390 px: the figures of
December 2026 (worked out in tests/web/test_admin_allowances.py), the picture, the payroll CSV
as the browser downloads it, and an engineer who sees only their own lines.
Screenshots go to screenshots/ at the top of the repo."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from app.config import load_config
from app.devtools.simulator import Answer
from app.storage import dispose_engines, get_engine
from app.storage.overrides import add_override
from tests.support.admin import Scenario, add_engineer, add_users, admin_app, seed, served
from tests.support.browser import CONTRAST, DESKTOP, PHONE, UNLABELLED, fits, shot, signed_in, site_settings
from tests.support.constants import TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")
DECEMBER = "/admin/allowances?period=2026-12"
# Saturday 5 Dec 10:00: dana (primary) accepts a call, a call-out (25.00). Erin takes over
# Sunday 6 Dec 10:00-16:00 from dana: 6 weekend hours (18.00), which dana loses.
CALL = Scenario(timedelta(0), steps=(Answer(press="1", talk_seconds=30),))
TOTALS = {"Alice": "630.00", "Bob": "1518.00", "Dana": "937.00", "Erin": "18.00"}


@pytest.fixture(scope="module")
def allowance_site() -> Iterator[str]:
    """The console on a real server: one call-out and one override in December 2026."""
    with tempfile.TemporaryDirectory(prefix="hotline-allowances-") as folder:
        settings, url = site_settings(folder)
        config = load_config(TEST_CONFIG)
        seed(url, settings, config, datetime(2026, 12, 5, 9, tzinfo=UTC), (CALL,))
        add_users(url)
        add_engineer(url, "alice", "alice")
        with Session(get_engine(url)) as session:
            add_override(session, "primary", "erin", datetime(2026, 12, 6, 10, tzinfo=BERLIN),
                         datetime(2026, 12, 6, 16, tzinfo=BERLIN), created_by="ann")
            session.commit()
        yield from served(admin_app(settings, config, url))
        dispose_engines()


def totals(page: Page) -> dict[str, str]:
    rows = page.locator("#totals tbody tr")
    return {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).locator("strong").inner_text()
            for i in range(rows.count())}


def downloaded(page: Page, selector: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click(selector)
    with open(info.value.path(), newline="") as file:
        return list(csv.DictReader(file))


def test_the_month_for_payroll_at_desktop_width(allowance_site: str, browser: Browser) -> None:
    with signed_in(browser, allowance_site, "ann", viewport=DESKTOP) as page:
        page.click("nav >> text=Allowances")
        expect(page.locator("h1")).to_have_text("Allowances")
        page.fill("#a-period", "2026-12")
        page.click("button:has-text('Show')")
        assert totals(page) == TOTALS
        expect(page.locator("#grand-total")).to_have_text("3103.00 EUR")
        picture = page.locator(".oncall-picture svg")
        assert picture.locator("rect.d-weekend").count() == 7
        assert picture.locator("rect.d-holiday").count() == 4
        assert picture.locator("rect.override").count() == 1
        assert picture.locator("text.rowlabel").all_text_contents() == [
            "primary · Dana", "primary · Erin", "primary · Alice", "primary · Bob", "night · Bob"]
        assert page.evaluate(UNLABELLED) == []
        low = {k: v for k, v in page.evaluate(CONTRAST).items() if v < 4.5}
        assert not low, low
        shot(page, "allowances")
        rows = downloaded(page, "#csv-payroll")
        assert {r["name"]: r["amount"] for r in rows if r["rotation"] == "all"} == TOTALS
        assert [r["callouts"] for r in rows if r["name"] == "Dana" and r["rotation"] == "all"] == ["1"]
        page.select_option("#a-person", label="Dana")
        page.click("button:has-text('Show')")
        expect(page.locator("#segments-title")).to_have_text("Line by line: Dana")
        # 1-7 Dec: 8 pieces (6 Dec around erin's override), then 21-28 Dec: 8
        assert page.locator("#segment-lines tbody tr").count() == 8 + 8
        expect(page.locator("#callouts")).to_contain_text("hotline call")
        shot(page, "allowances-person")
        page.click("a[rel=prev]")
        expect(page.locator("#sum-title")).to_contain_text("2026-11")
        assert list(totals(page)) == ["Dana"]  # the person stays chosen


def test_at_phone_width_nothing_scrolls_sideways(allowance_site: str, browser: Browser) -> None:
    with signed_in(browser, allowance_site, "victor", viewport=PHONE, is_mobile=True,
                   has_touch=True, device_scale_factor=2) as page:
        page.goto(allowance_site + DECEMBER)
        assert totals(page) == TOTALS
        expect(page.locator(".oncall-picture svg")).to_be_visible()
        assert fits(page)
        shot(page, "phone-allowances")
        page.goto(allowance_site + DECEMBER + "&person=dana")
        assert fits(page)
        shot(page, "phone-allowances-person")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_engineer_sees_only_their_own_lines(allowance_site: str, browser: Browser,
                                               width: str) -> None:
    options: dict[str, Any] = ({"viewport": PHONE, "is_mobile": True, "has_touch": True}
                               if width == "phone" else {"viewport": {"width": 1280, "height": 900}})
    with signed_in(browser, allowance_site, "alice", "My shifts", **options) as page:
        page.click("nav >> text=Allowance")
        page.goto(allowance_site + DECEMBER + "&person=dana")
        expect(page.locator("h1")).to_have_text("Allowances: Alice")
        assert totals(page) == {"Alice": "630.00"}
        assert page.locator("#a-person").count() == 0
        assert page.locator(".oncall-picture text.rowlabel").all_text_contents() == ["primary · Alice"]
        assert page.locator("#segment-lines tbody tr").count() == 8 + 4
        assert fits(page)
        shot(page, f"engineer-{width}-allowances")
        rows = downloaded(page, "#csv-payroll")
        assert {(r["person"], r["rotation"], r["amount"]) for r in rows} == {
            ("alice", "primary", "630.00"), ("alice", "all", "630.00")}
