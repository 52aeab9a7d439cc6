"""Pytest plugin: every document a simulator receives from the hotline app must be valid TwiML
(messaging TwiML from the incoming-message webhook, voice TwiML from every other).

Enabled by ``pytest_plugins`` in tests/conftest.py. It checks tests
that use the hotline ``app`` fixture (directly or through ``client``/``sim``) and tests marked
``twiml_checked``; ``twiml_unchecked`` opts a test out (one that serves broken documents on
purpose). A test whose documents break the rules fails, with every violation listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.devtools.simulator import checking_documents
from tests.support.twiml_schema import MESSAGING, load_schema, validate_twiml

MESSAGING_PATHS = ("/sms/",)  # the incoming-message webhook answers messaging TwiML

VIOLATIONS = pytest.StashKey[list[str]]()
REPORTED = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "twiml_checked: validate every TwiML document the simulator receives")
    config.addinivalue_line(
        "markers", "twiml_unchecked: do not validate the documents the simulator receives")


class Recorder:
    """A document checker that also keeps what it found, for the test's verdict."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, url: str, body: bytes) -> list[str]:
        messaging = urlsplit(url).path.startswith(MESSAGING_PATHS)
        problems = validate_twiml(body, load_schema(MESSAGING) if messaging else None)
        self.violations.extend(f"{url}: {problem}" for problem in problems)
        return problems


def is_checked(item: pytest.Item, fixturenames: list[str]) -> bool:
    if item.get_closest_marker("twiml_unchecked"):
        return False
    return bool(item.get_closest_marker("twiml_checked")) or "app" in fixturenames


@pytest.fixture(autouse=True)
def twiml_conformance(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Validate the test's documents; violations from setup or teardown fail it here."""
    item = request.node
    if not is_checked(item, request.fixturenames):
        yield []
        return
    recorder = Recorder()
    item.stash[VIOLATIONS] = recorder.violations
    with checking_documents(recorder):
        yield recorder.violations
    unreported = recorder.violations[item.stash.get(REPORTED, 0):]
    if unreported:
        pytest.fail(report(unreported), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself when its documents broke the rules (and it passed otherwise)."""
    outcome = yield
    violations = item.stash.get(VIOLATIONS, [])
    if violations:
        item.stash[REPORTED] = len(violations)
        pytest.fail(report(violations), pytrace=False)
    return outcome


def report(violations: list[str]) -> str:
    lines = "\n".join(f"  {v}" for v in violations[:50])
    more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
    return f"the app answered TwiML that Twilio's definitions reject:\n{lines}{more}"
