"""Shift swaps: created from the CLI, stored in SQL, applied to the next call from memory."""

from __future__ import annotations

import gc
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.cli import main
from app.devtools.simulator import Answer, FlaskClientTransport, Simulator
from app.storage import dispose_engines, get_engine, upgrade
from app.storage.overrides import OverrideCache, add_override
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, BOB, HOTLINE, NOW, TEST_CONFIG

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    upgrade(url)
    yield url
    dispose_engines()


def run(*args: str) -> str:
    result = CliRunner().invoke(main, [*args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_override_changes_who_is_on_call(database: str) -> None:
    config = ["--config", str(TEST_CONFIG)]
    when = "2026-12-02T20:00"
    assert "rotation primary: Dana\n" in run("who", "--at", when, *config)
    added = run("override", "add", "--person", "bob", "--rotation", "primary",
                "--from", "2026-12-02T18:00", "--until", "2026-12-02T23:00",
                "--note", "rehearsal", *config)
    assert "Bob covers primary from 2026-12-02 18:00 CET until 2026-12-02 23:00 CET" in added
    shown = run("who", "--at", when, *config)
    assert "rotation primary: Bob (override)" in shown
    assert "1. Bob (on-call)" in shown
    assert "rotation primary: Dana\n" in run("who", "--at", "2026-12-02T23:00", *config)
    listed = run("override", "list", "--all", *config)
    assert "rehearsal" in listed and "Bob" in listed
    override_id = listed.split()[0]
    run("override", "delete", override_id)
    assert "rotation primary: Dana\n" in run("who", "--at", when, *config)
    assert run("override", "list", "--all", *config) == "no overrides\n"


def test_cli_refuses_unknown_people_and_reversed_windows(database: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(main, ["override", "add", "--person", "zoe", "--from", "2026-12-02T18:00",
                               "--until", "2026-12-02T19:00", "--config", str(TEST_CONFIG)])
    assert bad.exit_code == 2 and "no person 'zoe'" in bad.output
    reversed_ = runner.invoke(main, ["override", "add", "--person", "bob", "--from",
                                     "2026-12-02T18:00", "--until", "2026-12-02T17:00",
                                     "--config", str(TEST_CONFIG)])
    assert reversed_.exit_code == 2 and "--until must be after --from" in reversed_.output


def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_next_call_uses_a_new_override_without_restart(database, settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(database)
    cache = OverrideCache(engine, refresh_seconds=0.05)
    app = create_app(settings, config, sink, clock=lambda: NOW, overrides=cache, TESTING=True)
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN, account_sid=ACCOUNT_SID,
                    voice_url="http://hotline.test/voice", clock_start=NOW)
    with Session(engine) as session, session.begin():
        add_override(session, "primary", "bob", NOW.replace(hour=0), NOW.replace(hour=23))
    wait_for(lambda: cache.index.winner("primary", NOW) is not None)
    result = sim.place_call(ACME, HOTLINE, phones={BOB: Answer(press="1")})
    assert result.dialed[0] == BOB and result.connected_to == BOB
    assert sink.of_type(ev.CHAIN_CHOSEN)[0]["data"]["chain"][0] == "bob"


def test_unreachable_database_keeps_the_last_known_overrides(database: str) -> None:
    engine = get_engine(database)
    start = datetime(2026, 12, 2, 18, tzinfo=BERLIN)
    with Session(engine) as session, session.begin():
        add_override(session, "primary", "bob", start, start.replace(hour=23))
    cache = OverrideCache(engine)
    assert cache.refresh()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE overrides RENAME TO overrides_gone"))
    assert not cache.refresh()
    assert cache.last_error
    assert cache.index.winner("primary", start.replace(hour=20)).person == "bob"


def test_a_failing_refresh_is_logged_when_it_starts_then_rarely_then_when_it_ends(
        database: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = get_engine(database)
    cache = OverrideCache(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE overrides RENAME TO overrides_gone"))
    caplog.set_level(logging.INFO, logger="app.storage.refreshing")
    for _ in range(5):
        assert not cache.refresh()
    assert cache.failures == 5
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and warned[0].startswith("overrides not refreshed, keeping the last")
    cache.warn_every = 0.0  # the minute has passed
    assert not cache.refresh()
    assert "(6 failed in a row)" in caplog.records[-1].getMessage()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE overrides_gone RENAME TO overrides"))
    assert cache.refresh() and cache.refresh()
    assert [r.getMessage() for r in caplog.records[2:]] == [
        "overrides refreshed again after 6 failed refreshes"]
    assert cache.failures == 0 and cache.last_error is None


def test_who_tells_whether_a_contract_is_served(database: str) -> None:
    config = ["--config", str(TEST_CONFIG)]
    closed = run("who", "--at", "2026-12-05T03:00", "--contract", "globex", *config)
    assert "Globex (business-hours): closed, opens again on Monday at 09:00" in closed
    assert "1. Dana (on-call)" in closed
    served = run("who", "--at", "2026-12-07T10:00", "--contract", "globex", *config)
    assert "Globex (business-hours): served now" in served


def test_the_cache_keeps_recent_overrides_only(database: str) -> None:
    engine = get_engine(database)
    now = datetime.now(BERLIN)
    old_start = now.replace(year=now.year - 3)
    with Session(engine) as session, session.begin():
        add_override(session, "primary", "bob", old_start, old_start + timedelta(hours=2))
        add_override(session, "primary", "alice", now, now.replace(year=now.year + 1))
    cache = OverrideCache(engine)
    assert cache.refresh()
    assert len(cache.index) == 1, "a three-year-old swap is not loaded on every refresh"
    assert cache.index.winner("primary", now).person == "alice"


def test_a_cache_nobody_holds_stops_its_refresher_thread(database: str) -> None:
    cache = OverrideCache(get_engine(database), refresh_seconds=0.01)
    cache.start()
    thread = cache._thread
    assert thread is not None and thread.is_alive()
    del cache  # the app that held it is gone
    gc.collect()
    thread.join(timeout=5)
    assert not thread.is_alive(), "a cache nobody reads is still refreshed"
