"""The console in real headless Chromium, against the app on a real HTTP server and a SQLite
database filled by simulated calls. Screenshots go to screenshots/ at the top of the repo."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.cli import main
from tests.support.admin import PASSWORD
from tests.support.browser import CONTRAST, PHONE, UNLABELLED, shot, sign_in
from tests.support.constants import TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")


def test_sign_in_with_the_keyboard_alone(site: dict[str, Any], context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{site['base']}/admin/calls")
    assert page.url.endswith("/admin/login?next=/admin/calls")
    # Chromium applies autofocus in a rendering step after the load event, so this retries.
    expect(page.locator("#username")).to_be_focused()  # focused on arrival
    shot(page, "login")
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Calls")
    assert page.url.endswith("/admin/calls")


def test_filter_calls_open_one_and_play_its_voicemail(site: dict[str, Any],
                                                      context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, site["base"])
    assert page.locator(".plot").count() == 5  # the overview's charts
    shot(page, "overview")
    page.click("nav >> text=Calls")
    expect(page.locator("table.calls tbody tr")).to_have_count(6)
    page.select_option("#f-outcome", "voicemail")
    page.click("button:has-text('Filter')")
    expect(page.locator("table.calls tbody tr")).to_have_count(1)
    assert "outcome=voicemail" in page.url
    shot(page, "calls-filtered")
    page.locator("table.calls tbody a").first.click()
    expect(page.locator("h1")).to_contain_text("Call from +49301234567")
    lanes = page.locator("svg.timeline text.rowlabel").all_text_contents()
    assert lanes[-1] == "Voicemail — recorded 12 s" and len(lanes) == 5
    assert page.locator("svg.timeline rect.f-ring").count() == 4
    audio = page.locator(".voicemail audio")
    assert re.fullmatch(r"/admin/calls/CA[0-9a-f]{32}/voicemail/RE[0-9a-f]{32}",
                        audio.get_attribute("src") or "")
    state = audio.evaluate("""a => new Promise((done, fail) => {
        const report = () => done({ready: a.readyState, duration: a.duration});
        if (a.readyState >= 1) report(); else a.addEventListener('loadedmetadata', report);
        a.addEventListener('error', () => fail(new Error('audio error ' + a.error.code)));
        a.load();
    })""")
    assert state["ready"] >= 1 and state["duration"] > 0.9
    # A loaded machine may take a while before the clock of a playing element moves.
    played = audio.evaluate("""a => a.play().then(() => new Promise(done => {
        const started = Date.now();
        const check = () => (a.currentTime > 0 || Date.now() - started > 5000)
            ? done(a.currentTime) : setTimeout(check, 50);
        check();
    }))""")
    assert played > 0
    assert site["twilio"].requests and all(auth == site["twilio"].expected
                                           for _path, auth in site["twilio"].requests)
    shot(page, "call")


def chain_now(page: Page) -> list[str]:
    return page.locator("#chain-now ol").first.locator("li strong").all_text_contents()


def test_an_override_changes_who_is_rung(site: dict[str, Any], context: BrowserContext,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    page = context.new_page()
    sign_in(page, site["base"])
    page.click("nav >> text=On call")
    before = chain_now(page)
    person = "Alice" if before[0] != "Alice" else "Bob"
    local_now = datetime.now(BERLIN).replace(second=0, microsecond=0)
    page.select_option("#o-rotation", "primary")
    page.select_option("#o-person", label=person)
    page.fill("#o-start", (local_now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#o-end", (local_now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#o-note", "swapped for the night")
    page.click("button:has-text('Preview')")
    expect(page.locator("h1")).to_have_text("Save this override?")
    after = page.locator("#chain-after ol").first.locator("li strong").all_text_contents()
    assert after[0] == person
    shot(page, "override-preview")
    page.click("button:has-text('Save override')")
    expect(page.locator(".flash")).to_contain_text(f"Override saved: {person} is on call")
    assert chain_now(page)[0] == person
    shot(page, "on-call")
    monkeypatch.setenv("DATABASE_URL", site["admin_db_url"])
    who = CliRunner().invoke(main, ["who", "--config", str(TEST_CONFIG)])
    assert who.exit_code == 0, who.output
    assert re.search(rf"rotation primary: {person}\b.*override", who.output), who.output
    page.click("#overrides a:has-text('Delete')")
    expect(page.locator("h1")).to_have_text("Delete this override?")
    page.click("button:has-text('Delete override')")
    expect(page.locator(".flash")).to_have_text("Override deleted.")
    assert chain_now(page) == before


def test_at_phone_width_nothing_scrolls_sideways(site: dict[str, Any], browser: Browser) -> None:
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                device_scale_factor=2)
    try:
        page = phone.new_page()
        sign_in(page, site["base"])
        pages = {"phone-overview": "/admin/", "phone-calls": "/admin/calls",
                 "phone-follow-ups": "/admin/follow-ups", "phone-on-call": "/admin/on-call",
                 "phone-contracts": "/admin/contracts"}
        for name, path in pages.items():
            page.goto(site["base"] + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            shot(page, name)
        page.goto(site["base"] + "/admin/calls?outcome=voicemail")
        page.locator("table.calls tbody a").first.click()
        expect(page.locator("svg.timeline")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "phone-call")
    finally:
        phone.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(site: dict[str, Any], browser: Browser, scheme: str) -> None:
    ctx = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        page = ctx.new_page()
        page.goto(site["base"] + "/admin/login")
        found = page.evaluate(CONTRAST)
        sign_in(page, site["base"])
        voicemail = page.evaluate("fetch('/admin/calls?outcome=voicemail').then(r => r.text())")
        call = re.search(r'href="(/admin/calls/CA[0-9a-f]{32})"', voicemail)
        assert call
        for path in ("/admin/", "/admin/calls", "/admin/on-call", "/admin/follow-ups",
                     "/admin/contracts", call.group(1)):
            page.goto(site["base"] + path)
            assert page.evaluate(UNLABELLED) == [], path  # every control has a label
            for selector, ratio in page.evaluate(CONTRAST).items():
                found[selector] = min(found.get(selector, 99), ratio)
        low = {sel: round(r, 2) for sel, r in found.items() if r < 4.5}
        assert not low, f"{scheme}: contrast below 4.5:1 for {low}"
        assert {"body", "main a", "button.primary", ".muted", "label"} <= set(found)
        if scheme == "dark":
            shot(page, "dark-follow-ups")
    finally:
        ctx.close()


def test_a_viewer_sees_no_forms_and_signs_out(site: dict[str, Any], context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, site["base"], "victor")
    page.goto(site["base"] + "/admin/on-call")
    assert page.locator("#override-form").count() == 0
    page.click("button:has-text('Sign out')")
    expect(page.locator(".flash")).to_have_text("You are signed out.")
    page.goto(site["base"] + "/admin/calls")
    expect(page.locator("h1")).to_have_text("Sign in")
