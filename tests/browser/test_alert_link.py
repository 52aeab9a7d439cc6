"""The link in an alert's SMS, opened in Chromium: sign in, land on the alert, acknowledge it.

The alert comes in through the generic endpoint of the app served over HTTP; the worker (real
Redis) texts Dana through the local fake of Twilio's REST API, and the link is taken from the
SMS body as the API received it.
"""

from __future__ import annotations

import json
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from app.config import HotlineConfig
from app.services import provide
from app.settings import Settings
from app.storage import dispose_engines
from tests.support.admin import add_users, admin_app, served
from tests.support.browser import PHONE, SHOTS, submit_login
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DANA, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import services, work

TOKEN = "browser-alert-token"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_alert(base: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(f"{base}/alerts/generic", data=json.dumps(body).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {TOKEN}",
                                                             "Content-Type": "application/json"})
    with NO_PROXY.open(request, timeout=5) as answer:
        assert answer.status == 202


def test_the_link_in_an_alert_sms_signs_in_and_acknowledges(
    browser: Browser, tmp_path: Path, settings: Settings,
    config: HotlineConfig, redis_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", TOKEN)
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    app = admin_app(replace(settings, redis_url=redis_url), config, db_url, clock=lambda: NOW)
    add_users(db_url)
    with (contextmanager(served)(app) as base, FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api,
          provide(replace(services(config, db_url, redis_url, api.url, clock=lambda: NOW),
                          public_base_url=base))):
        post_alert(base, {"key": "db1-disk", "summary": "Disk almost full on db1",
                          "source": "billing", "severity": "warning"})  # by day: an SMS
        work(redis_url)
        (sms,) = api.messages_to(DANA)
        link = sms["body"].rpartition("Acknowledge: ")[2]
        assert link == f"{base}/admin/alerts/1"
        context = browser.new_context(viewport=PHONE, is_mobile=True)
        page = context.new_page()
        page.goto(link)  # signed out: the login page, then back to the alert
        assert page.url == f"{base}/admin/login?next=/admin/alerts/1"
        submit_login(page, "ann")
        expect(page.locator("h1")).to_have_text("[warning] billing: Disk almost full on db1")
        assert page.url == link
        timeline = page.locator("#alert-timeline tbody tr")
        expect(timeline).to_have_count(2)  # opened, the SMS to Dana
        expect(timeline.nth(1)).to_contain_text("Dana")
        expect(timeline.nth(1)).to_contain_text("sent")
        page.screenshot(path=str(SHOTS / "phone-alert.png"), full_page=True)
        page.click("button:has-text('Acknowledge')")
        expect(page.locator(".flash")).to_contain_text("Alert 1 acknowledged")
        assert page.url == link
        expect(page.locator("#alert-status")).to_have_text("acknowledged")
        assert page.locator("button:has-text('Acknowledge')").count() == 0
        expect(timeline.filter(has_text="acknowledged")).to_have_count(1)
        context.close()
    dispose_engines()
