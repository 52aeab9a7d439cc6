"""The alert call's webhooks read the alert's standing within a budget: a database that hangs
or is gone costs the engineer nothing but the news, they hear the usual prompt at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from types import SimpleNamespace

import pytest

from app.alerts.pages import page_key, plan_page
from app.config import HotlineConfig
from app.devtools.simulator import CallerScript, FlaskClientTransport, Simulator
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from app.web.alert_state import BUDGET
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DANA, HOTLINE, NOW, SECRET_KEY
from tests.support.ports import free_port

pytestmark = pytest.mark.twiml_checked
PROMPT = "Alert from billing: Disk full on db1. Press 1 to acknowledge, 2 to escalate now."


@pytest.fixture
def silent_database() -> Iterator[str]:
    """A PostgreSQL address that takes connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    try:
        yield f"postgresql://hotline@127.0.0.1:{listener.getsockname()[1]}/hotline"
    finally:
        listener.close()  # the reads still waiting get a reset and end


def answer(settings: Settings, config: HotlineConfig, database_url: str) -> tuple[list[str], float]:
    """Dana answers a page of alert 1 with the app on ``database_url``: (heard, seconds)."""
    app = create_app(replace(settings, database_url=database_url), config, MemorySink(),
                     clock=lambda: NOW, overrides=OverrideCache(None), TESTING=True)
    alert = SimpleNamespace(id=1, round=0, step=0, origin="billing", summary="Disk full on db1",
                            severity="critical", channel="call")
    person = SimpleNamespace(id="dana", phone=DANA, email=None)
    (page,) = plan_page(alert, person, "http://hotline.test", 30, page_key(SECRET_KEY))
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN,
                    voice_url=page.data["url"], status_callback_url=page.data["status_callback"],
                    account_sid=ACCOUNT_SID, clock_start=NOW, seed=1)
    started = time.monotonic()
    result = sim.place_call(HOTLINE, DANA, CallerScript(digits=[None]))
    return result.caller_heard, time.monotonic() - started


def test_a_silent_database_costs_at_most_the_budget_then_nothing(
    settings: Settings, config: HotlineConfig, silent_database: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    no_input = "No key pressed. The alert stays open and moves on to the next person."
    for _ in range(2):  # each read hangs and holds its thread
        heard, took = answer(settings, config, silent_database)
        assert (heard[0], heard[-1]) == (PROMPT, no_input) and took < BUDGET + 1.0
    waited = [r for r in caplog.records if "no answer from the database" in r.getMessage()]
    assert len(waited) == 2
    for _ in range(3):  # every reader busy: nobody waits for the database any more
        heard, took = answer(settings, config, silent_database)
        assert (heard[0], heard[-1]) == (PROMPT, no_input) and took < 1.0
    assert len([r for r in caplog.records if "no answer from the database" in r.getMessage()]) == 2


def test_a_database_that_is_gone_gives_the_usual_prompt(settings: Settings,
                                                       config: HotlineConfig) -> None:
    heard, took = answer(settings, config, f"postgresql://hotline@127.0.0.1:{free_port()}/x")
    assert heard[0] == PROMPT and took < BUDGET + 1.0
