"""Helpers for the admin console tests: an app on a real database, calls placed through the
simulator and stored, signing in, the app served over HTTP."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from click.testing import CliRunner
from flask import Flask, has_request_context, request
from sqlalchemy.orm import Session

from app.cli.admin import admin_group
from app.config import HotlineConfig
from app.devtools.simulator import (
    Answer,
    CallerScript,
    FlaskClientTransport,
    NoAnswer,
    PhoneScript,
    Simulator,
)
from app.escalation import build_chain
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.storage import get_engine, store_events, upgrade
from app.storage.overrides import OverrideCache
from app.storage.users import add_user
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN

PASSWORD = "correct horse battery"
ACME, GLOBEX, UNKNOWN = "+49301234567", "+12125550147", "+4940111222"
HOTLINE, PREMIUM = "+49305550100", "+49305550200"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def admin_app(settings: Settings, config: HotlineConfig, admin_db_url: str,
              clock: Callable[[], datetime] | None = None, **flask_config: Any) -> Flask:
    """The app on ``admin_db_url``, cookies allowed over the test's plain http."""
    upgrade(admin_db_url)
    options = {"TESTING": True, "ADMIN_COOKIE_SECURE": False, **flask_config}
    # The cache's own refresh comes once an hour: what the tests see fresh, the console refreshed.
    return create_app(replace(settings, database_url=admin_db_url), config, MemorySink(), clock=clock,
                      overrides=OverrideCache(get_engine(admin_db_url), 3600.0), **options)


def add_users(admin_db_url: str) -> None:
    with Session(get_engine(admin_db_url)) as session:
        add_user(session, "ann", PASSWORD, "admin")
        add_user(session, "victor", PASSWORD, "viewer")
        session.commit()


def add_engineer(admin_db_url: str, username: str = "alice", person: str = "alice") -> None:
    """An engineer account tied to a person of the test configuration."""
    with Session(get_engine(admin_db_url)) as session:
        add_user(session, username, PASSWORD, "engineer", person)
        session.commit()


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"username": username, "password": password,
                                             "csrf_token": token})


def admin_cli(admin_db_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """``hotline admin ARGS`` on ``admin_db_url``: (exit code, output)."""
    result = CliRunner().invoke(admin_group, [*args, "--database-url", admin_db_url], input=stdin)
    return result.exit_code, result.output


def copy_of(app: Flask, client: Any) -> Any:
    """A second client holding a copy of ``client``'s session cookie, as a thief would."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "no session cookie to copy"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def post_form(client: Any, url: str, data: dict[str, str], page: str | None = None) -> Any:
    """POST like the browser does: with the CSRF token of a page the user has open."""
    token = csrf_token(client.get(page or "/admin/on-call").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


@dataclass(frozen=True)
class Scenario:
    """One call: when (after the seed's start), from and to whom, and what each chain step does."""

    after: timedelta
    caller: str = ACME
    to: str = HOTLINE
    steps: tuple[PhoneScript, ...] = ()
    script: CallerScript = field(default_factory=CallerScript)


WEEK_OF_CALLS = (
    Scenario(timedelta(days=0, hours=2), steps=(Answer(press="1", talk_seconds=95),)),
    Scenario(timedelta(days=1, hours=3), steps=(NoAnswer(), Answer(press="1", talk_seconds=40))),
    Scenario(timedelta(days=2, hours=1), script=CallerScript(record_seconds=12, record_key="#")),
    Scenario(timedelta(days=3, hours=4), script=CallerScript(hangup_after_seconds=12)),
    Scenario(timedelta(days=4, hours=2), caller=UNKNOWN, script=CallerScript(digits=["4711#"]),
             steps=(Answer(press="2"), Answer(press="1", talk_seconds=60))),
    Scenario(timedelta(days=5, hours=2), caller=GLOBEX, steps=(Answer(press="1", talk_seconds=30),)),
    Scenario(timedelta(days=6, hours=1), to=PREMIUM, steps=(NoAnswer(), Answer(press="1", talk_seconds=20))),
)


def simulate(settings: Settings, config: HotlineConfig, start: datetime,
             scenarios: tuple[Scenario, ...] = WEEK_OF_CALLS) -> list[dict[str, Any]]:
    """Place the calls against the app as Twilio would; returns the events the app emitted.

    The app's clock follows the simulated one: each call starts at its own time, and then
    every status callback's ``Timestamp`` moves it on, so rings and talks take their time.
    """
    now = [start]

    def clock() -> datetime:
        if has_request_context() and request.form.get("Timestamp"):
            now[0] = max(now[0], parsedate_to_datetime(request.form["Timestamp"]))
        return now[0]

    sink = MemorySink()
    app = create_app(settings, config, sink, clock=clock, overrides=OverrideCache(None),
                     TESTING=True)
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN,
                    voice_url="http://hotline.test/voice", account_sid=ACCOUNT_SID,
                    status_callback_url="http://hotline.test/voice/status", seed=11)
    for scenario in scenarios:
        now[0] = sim.clock_start = start + scenario.after
        line = config.line_for(scenario.to)
        plan = build_chain(config.policies[line.policy], config.rotations, now[0])
        phones = {config.people[step.person].phone: script
                  for step, script in zip(plan.steps, scenario.steps, strict=False)}
        result = sim.place_call(scenario.caller, scenario.to, scenario.script, phones)
        assert not result.errors, result.errors
    return sink.events


def seed(admin_db_url: str, settings: Settings, config: HotlineConfig, start: datetime,
         scenarios: tuple[Scenario, ...] = WEEK_OF_CALLS) -> None:
    upgrade(admin_db_url)
    store_events(get_engine(admin_db_url), simulate(settings, config, start, scenarios))


def served(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a real HTTP server in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
