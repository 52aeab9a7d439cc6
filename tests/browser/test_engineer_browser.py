"""An engineer's view in real headless Chromium, at desktop width and at 390 px: their page,
taking over a colleague's shift and undoing it, and the pages they may not open.
Screenshots go to screenshots/ at the top of the repo."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.storage import get_engine
from app.storage.models import Attempt
from tests.support.admin import add_engineer
from tests.support.browser import DESKTOP, PHONE, fits, shot, sign_in


@pytest.fixture(scope="module")
def engineer_site(site: dict[str, Any]) -> dict[str, Any]:
    """The site with an engineer account "eng" for the person the seeded week rang most
    (who that is depends on the real date the week falls on)."""
    with Session(get_engine(site["admin_db_url"])) as session:
        person = session.scalars(select(Attempt.person).group_by(Attempt.person)
                                 .order_by(func.count().desc(), Attempt.person)).first()
    assert person
    add_engineer(site["admin_db_url"], "eng", person)
    return {**site, "person": person}


@pytest.fixture(params=["desktop", "phone"])
def device(request: pytest.FixtureRequest, browser: Browser) -> Iterator[BrowserContext]:
    if request.param == "phone":
        ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    else:
        ctx = browser.new_context(viewport=DESKTOP)
    ctx.device = request.param  # type: ignore[attr-defined]
    yield ctx
    ctx.close()


def test_an_engineer_takes_over_a_shift_and_gives_it_back(
        engineer_site: dict[str, Any], device: BrowserContext) -> None:
    base, name = engineer_site["base"], device.device  # type: ignore[attr-defined]
    page = device.new_page()
    sign_in(page, base, "eng", "My shifts")
    assert page.locator("#calendar-link").input_value().startswith(
        f"{base}/calendar/person/{engineer_site['person']}.ics?token=")
    assert page.locator("nav a").all_text_contents() == ["My shifts", "On call"] or \
        "Allowance" in page.locator("nav a").all_text_contents()
    assert page.locator("#my-rings tbody tr").count() >= 1  # the seeded week rang alice
    assert fits(page)
    shot(page, f"engineer-{name}-me")
    offer = page.locator("#colleague-shifts li").first
    colleague = offer.locator("strong").first.text_content()
    offer.locator("a:has-text('Take over')").click()
    expect(page.locator("h1")).to_have_text("Take over a shift")
    expect(page.locator("#takeover-summary")).to_contain_text(f"instead of {colleague}")
    assert fits(page)
    shot(page, f"engineer-{name}-takeover")
    page.fill("#t-note", "covering, see chat")
    page.click("button:has-text('Take over')")
    expect(page.locator(".flash")).to_contain_text(f"instead of {colleague}")
    page.click("nav >> text=On call")
    card = page.locator("#overrides li", has_text="covering, see chat")
    expect(card).to_contain_text("by eng, made ")
    assert fits(page)
    shot(page, f"engineer-{name}-on-call")
    card.locator("a:has-text('Delete')").click()
    expect(page.locator("h1")).to_have_text("Delete this override?")
    page.click("button:has-text('Delete override')")
    expect(page.locator(".flash")).to_contain_text("Override deleted.")
    assert page.locator("#overrides li", has_text="covering, see chat").count() == 0


def test_an_engineer_meets_a_closed_door_elsewhere(engineer_site: dict[str, Any],
                                                   device: BrowserContext) -> None:
    page = device.new_page()
    sign_in(page, engineer_site["base"], "eng", "My shifts")
    for path in ("/admin/calls", "/admin/contracts", "/admin/alerts"):
        response = page.goto(engineer_site["base"] + path)
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_have_text("Not allowed")
    assert fits(page)
    shot(page, f"engineer-{device.device}-forbidden")  # type: ignore[attr-defined]
    page.click("text=Back to your page")
    expect(page.locator("h1")).to_have_text("My shifts")
