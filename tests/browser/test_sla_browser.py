"""The SLA page in real headless Chromium: at desktop width and at 390 px, and as it prints.
Screenshots (and the printed PDF) go to screenshots/ at the top of the repo."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from app.storage import dispose_engines, get_engine
from tests.support.admin import add_users, admin_app, served
from tests.support.browser import (
    CONTRAST,
    DESKTOP,
    PHONE,
    SHOTS,
    UNLABELLED,
    fits,
    shot,
    signed_in,
    site_settings,
)
from tests.support.sla import place, sla_config, store_with_follow_ups

REPORT = "/admin/reports/sla?contract=globex&period=2026-12"


@pytest.fixture(scope="module")
def sla_site() -> Iterator[str]:
    """The console on a real server, December's calls of ACME and Globex stored."""
    with tempfile.TemporaryDirectory(prefix="hotline-sla-") as folder:
        settings, url = site_settings(folder)
        config = sla_config()
        app = admin_app(settings, config, url)
        add_users(url)
        events, results = place(settings, config)
        store_with_follow_ups(get_engine(url), events, results)
        yield from served(app)
        dispose_engines()


def test_from_the_contracts_page_to_a_months_report(sla_site: str, browser: Browser) -> None:
    with signed_in(browser, sla_site, "victor", viewport=DESKTOP) as page:
        page.goto(f"{sla_site}/admin/contracts")
        page.click("a:has-text('SLA report for Globex')")
        expect(page.locator("#s-contract")).to_have_value("globex")
        page.fill("#s-period", "2026-12")
        page.click("button:has-text('Show')")
        expect(page.locator("#sla-title")).to_have_text("Globex: answer times, 2026-12")
        expect(page.locator(".verdict .big")).to_have_text(
            "Not met: 33.3 % of 3 counted calls answered within 120 s.")
        expect(page.locator("figure.chart svg.plot")).to_be_visible()
        assert page.locator("svg.plot rect.f-answered").count() == 1
        assert page.locator("table.missed tbody tr").count() == 3
        assert page.locator("table.missed tr.not-counted").count() == 1
        assert page.evaluate(UNLABELLED) == []
        assert fits(page)
        shot(page, "sla-desktop")


def test_at_phone_width_nothing_scrolls_sideways(sla_site: str, browser: Browser) -> None:
    with signed_in(browser, sla_site, "victor", viewport=PHONE, is_mobile=True, has_touch=True,
                   device_scale_factor=2) as page:
        page.goto(sla_site + REPORT)
        expect(page.locator(".verdict")).to_be_visible()
        assert fits(page)
        # The missed calls become labelled blocks on a phone.
        expect(page.locator("table.missed td[data-label='Waited']").first).to_be_visible()
        shot(page, "sla-phone")


def test_it_prints_without_the_console_around_it(sla_site: str, browser: Browser) -> None:
    with signed_in(browser, sla_site, "victor", viewport=DESKTOP) as page:
        page.goto(sla_site + REPORT)
        page.emulate_media(media="print")
        for hidden in (".top", "form.sla-pick", "details summary"):
            expect(page.locator(hidden).first).to_be_hidden()
        expect(page.locator("#sla-title")).to_be_visible()
        expect(page.locator("figure.chart svg.plot")).to_be_visible()
        expect(page.locator("table.missed thead")).to_be_visible()  # a table again, with its head
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        shot(page, "sla-print")
        pdf = page.pdf(path=str(SHOTS / "sla-print.pdf"), format="A4", print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= 2, pages


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(sla_site: str, browser: Browser, scheme: str) -> None:
    with signed_in(browser, sla_site, "victor", color_scheme=scheme) as page:
        page.goto(sla_site + REPORT)
        low = {sel: round(r, 2) for sel, r in page.evaluate(CONTRAST).items() if r < 4.5}
        assert not low, f"{scheme}: contrast below 4.5:1 for {low}"
