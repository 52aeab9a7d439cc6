"""The browser tests' fixtures: one headless Chromium for the whole folder, a desktop-sized
context per test, and the console on a real server with a week of simulated calls."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from app.config import load_config
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.storage import dispose_engines
from tests.support.admin import Scenario, add_users, admin_app, seed, served
from tests.support.browser import ARGS, CHROMIUM, DESKTOP, SHOTS, site_settings
from tests.support.constants import TEST_CONFIG
from tests.support.recording_host import RecordingHost

# ACME calls only: a 24/7 contract, so the outcomes do not depend on the weekday the test runs.
CALLS = (
    Scenario(timedelta(hours=1), steps=(Answer(press="1", talk_seconds=95),)),
    Scenario(timedelta(days=1, hours=3), steps=(NoAnswer(), Answer(press="1", talk_seconds=40))),
    Scenario(timedelta(days=2, hours=1), script=CallerScript(record_seconds=12, record_key="#")),
    Scenario(timedelta(days=3, hours=4), script=CallerScript(hangup_after_seconds=12)),
    Scenario(timedelta(days=4, hours=2), steps=(Answer(press="2"), Answer(press="1", talk_seconds=60))),
    Scenario(timedelta(days=6, hours=1), to="+49305550200",
             steps=(NoAnswer(), Answer(press="1", talk_seconds=20))),
)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium, started once for every module of this folder (each test opens its own context)."""
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=DESKTOP)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def site() -> Iterator[dict[str, Any]]:
    """The app on a real server (real clock), a week of calls, and the recording host."""
    with tempfile.TemporaryDirectory(prefix="hotline-browser-") as folder:
        settings, admin_db_url = site_settings(folder)
        config = load_config(TEST_CONFIG)
        noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
        seed(admin_db_url, settings, config, noon - timedelta(days=7), CALLS)
        add_users(admin_db_url)
        with RecordingHost() as twilio:
            app = admin_app(settings, config, admin_db_url, RECORDINGS_BASE_URL=twilio.url)
            for base in served(app):
                yield {"base": base, "admin_db_url": admin_db_url, "twilio": twilio, "app": app}
        dispose_engines()
