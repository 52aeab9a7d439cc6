"""In Chromium: the callback SMS's link on a phone, sign in, see the number, "Call back"; and an
admin setting and clearing an incident message on its page.

The call that asked for the callback is played by the simulator over HTTP against the served
app; its events are stored and the worker (real Redis) texts Dana through the local fake of
Twilio's REST API, and the link is taken from the SMS as the API received it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from playwright.sync_api import Browser, expect

from app.config import HotlineConfig
from app.devtools.simulator import CallerScript, HttpTransport, Simulator
from app.jobs.notify import notify_call
from app.notify.calls import CALLBACK
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines, get_engine, store_events
from tests.support.admin import add_engineer, add_users, admin_app, served
from tests.support.browser import PHONE, SHOTS, submit_login
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, DANA, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import services, work


def test_the_callback_link_signs_in_shows_the_number_and_calls_back(
    browser: Browser, tmp_path: Path, settings: Settings, config: HotlineConfig, redis_url: str,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    app = admin_app(replace(settings, redis_url=redis_url), config, db_url, clock=lambda: NOW)
    add_users(db_url)
    add_engineer(db_url, "dana", "dana")
    for n, person in enumerate(("dana", "alice", "erin", "carol")):  # all on other calls
        app.extensions["hotline"].guard.engaged(person, f"CA{n:032d}")
    with (contextmanager(served)(app) as base, FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api,
          provide(replace(services(config, db_url, redis_url, api.url, clock=lambda: NOW),
                          public_base_url=base))):
        sim = Simulator(HttpTransport(), AUTH_TOKEN, voice_url=f"{base}/voice",
                        status_callback_url=f"{base}/voice/status", account_sid=ACCOUNT_SID,
                        clock_start=NOW, seed=9)
        call = sim.place_call(ACME, HOTLINE, CallerScript(digits=["2", "1#"]))
        store_events(get_engine(db_url), app.extensions["hotline"].sink.events)
        notify_call(call.call_sid, CALLBACK)
        work(redis_url)
        (sms,) = api.messages_to(DANA)
        link = sms["body"].rpartition("Call back: ")[2]
        assert link == f"{base}/admin/calls/{call.call_sid}/call-back"

        context = browser.new_context(viewport=PHONE, is_mobile=True)
        page = context.new_page()
        page.goto(link)  # signed out: the login page, then back to the callback
        submit_login(page, "dana")
        assert page.url == link
        expect(page.locator("#callback-number")).to_have_text(ACME)
        expect(page.locator("#callback-contract")).to_have_text("ACME")
        page.screenshot(path=str(SHOTS / "phone-call-back.png"), full_page=True)
        page.click("button:has-text('Call back')")
        expect(page.locator(".flash")).to_contain_text(f"The hotline calls Dana on {DANA} now")
        work(redis_url)
        (placed,) = api.calls
        assert (placed["to"], placed["from"]) == (DANA, HOTLINE)
        context.close()
    dispose_engines()


def test_an_admin_sets_and_clears_an_incident_message(
    browser: Browser, tmp_path: Path, settings: Settings, config: HotlineConfig,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    app = admin_app(settings, config, db_url, clock=lambda: NOW)
    add_users(db_url)
    message = "The EU cluster is down since 3 am. We are working on it."
    with contextmanager(served)(app) as base:
        page = browser.new_page()
        page.goto(f"{base}/admin/incidents")
        submit_login(page, "ann")
        page.fill("#inc-message", message)
        page.fill("#inc-contracts", "acme")
        page.select_option("#inc-for", "1h")
        page.click("button:has-text('Set the message')")
        expect(page.locator(".flash")).to_contain_text("Incident 1 is said to callers")
        row = page.locator("#incidents tbody tr").first
        expect(row).to_contain_text(message)
        expect(row).to_contain_text("acme")
        assert [i.message for i in app.extensions["hotline_incidents"].incidents] == [message]
        page.screenshot(path=str(SHOTS / "incidents.png"), full_page=True)
        page.click("button:has-text('Clear')")
        expect(page.locator(".flash")).to_contain_text("Incident 1 cleared")
        expect(row).to_contain_text("cleared")
        assert app.extensions["hotline_incidents"].incidents == ()
        page.close()
    dispose_engines()
