"""Headless Chromium for the console's browser tests: how it is started, the phone's size,
screenshots, signing in, and the label and contrast checks run inside a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, ViewportSize, expect

from app.settings import Settings
from tests.support.admin import PASSWORD
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, REPO, TEST_CONFIG

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--autoplay-policy=no-user-gesture-required"]
SHOTS = REPO / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

# The lowest contrast ratio (WCAG 2) per kind of element on the page.
CONTRAST = """() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = el => { for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor); if (c.length < 4 || c[3] > 0) return c; }
    return [255, 255, 255]; };
  const ratio = el => { const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const picks = ['body', 'main h1', 'main p', '.muted', 'main a', 'nav a', 'button.primary',
                 'button.link', 'label', 'thead th', 'td', '.pill', 'dt', 'dd'];
  const out = {};
  for (const sel of picks) for (const el of document.querySelectorAll(sel))
    out[sel] = Math.min(out[sel] ?? 99, ratio(el));
  return out;
}"""

# The form controls and players that have no label a screen reader could read.
UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, audio')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 80))"""


def site_settings(folder: str) -> tuple[Settings, str]:
    """The settings of a console served for a browser, and its SQLite database in ``folder``."""
    url = f"sqlite:///{folder}/hotline.db"
    return Settings(
        config_path=TEST_CONFIG, redis_url=None, auth_tokens=(AUTH_TOKEN,),
        account_sid=ACCOUNT_SID, public_base_url=None, secret_key="browser-test-secret",
        trusted_proxies=0, spool_path=Path(folder) / "spool.jsonl", database_url=url), url


def sign_in(page: Page, base: str, username: str = "ann", landing: str = "Overview") -> None:
    """Sign in through the login form and wait for the first page (engineers land on "My shifts")."""
    page.goto(f"{base}/admin/login")
    submit_login(page, username)
    expect(page.locator("h1")).to_have_text(landing)


def submit_login(page: Page, username: str) -> None:
    """Fill in and send the login form the page shows."""
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


@contextmanager
def signed_in(browser: Browser, base: str, username: str = "ann", landing: str = "Overview",
              **options: Any) -> Iterator[Page]:
    """A page in a new browser context (``options`` as for ``new_context``), signed in; the
    context is closed on leaving."""
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        sign_in(page, base, username, landing)
        yield page
    finally:
        context.close()


def fits(page: Page) -> bool:
    """Whether the page is no wider than the window (nothing scrolls sideways)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
