"""The call log in SQL: migrations, idempotent persistence, concurrent workers, queries, CLI."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

import app.storage
from app.calls import events as ev
from app.cli.calls import calls_command
from app.jobs.events import persist_events
from app.schedule.readable import SECONDS, local_time
from app.storage import (
    call_with_attempts,
    default_database_url,
    get_engine,
    make_engine,
    normalize_url,
    rebuild_calls,
    recent_calls,
    store_events,
    upgrade,
)
from app.storage.db import WRITE_LOCK
from app.storage.models import Attempt, Base
from app.storage.store import REBUILD_CHUNK, load_summary, lock_call, write_summary
from tests.support.constants import TEST_CONFIG
from tests.support.ledger_events import (
    BUSY_FAILED_CANCELED,
    DECLINED_THEN_CONNECTED,
    SID,
    SIDS,
    T0,
    THREE_CALLS,
    VOICEMAIL_BOX_THEN_NOBODY,
    for_call,
)
from tests.support.sql import snapshot, wipe


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


def test_upgrade_builds_the_models_schema_from_empty(empty_db: str) -> None:
    upgrade(empty_db)
    upgrade(empty_db)  # a second run finds nothing to do
    engine = get_engine(empty_db)
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert {"events", "calls", "attempts", "voicemails", "overrides"} <= tables
    versions = Path(app.storage.__file__).parent / "migrations" / "versions"
    head = max(p.name.split("_")[0] for p in versions.glob("0*.py"))
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_store_twice_gives_the_same_rows(engine: Engine) -> None:
    assert store_events(engine, THREE_CALLS) == len(THREE_CALLS)
    first = snapshot(engine)
    assert store_events(engine, THREE_CALLS) == 0
    assert snapshot(engine) == first
    assert len(first["events"]) == len(THREE_CALLS)
    assert [c[0] for c in first["calls"]] == SIDS
    assert len(first["attempts"]) == 2 + 2 + 3


def test_rows_hold_the_ledger_summary(engine: Engine) -> None:
    store_events(engine, THREE_CALLS)
    with Session(engine) as session:
        connected = call_with_attempts(session, SIDS[0])
        voicemail = call_with_attempts(session, SIDS[1])
        assert connected is not None and voicemail is not None
        assert (connected.outcome, connected.answered_by, connected.identified_by) == (
            "connected", "p1", "pin")
        assert connected.time_to_answer_seconds == 28.0
        assert connected.started_at == T0
        assert [(a.step, a.status, a.accept_key) for a in connected.attempts] == [
            (0, "declined", "2"), (1, "connected", "1")]
        assert voicemail.outcome == "voicemail"
        assert [(v.recording_sid, v.duration, v.status) for v in voicemail.voicemails] == [
            ("RE1", 31, "completed")]
        assert call_with_attempts(session, "CA" + "0" * 32) is None


def test_batches_in_any_order_add_up_to_one_batch(engine: Engine) -> None:
    store_events(engine, THREE_CALLS)
    one_go = snapshot(engine)
    wipe(engine)
    shuffled = THREE_CALLS * 2
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), 7):
        store_events(engine, shuffled[start:start + 7])
    assert snapshot(engine) == one_go


def test_concurrent_workers_leave_the_same_rows(engine: Engine) -> None:
    store_events(engine, THREE_CALLS)
    expected = snapshot(engine)
    wipe(engine)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        events = list(THREE_CALLS)
        random.Random(seed).shuffle(events)
        try:
            for start in range(0, len(events), 3):
                store_events(engine, events[start:start + 3])
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert snapshot(engine) == expected


def test_a_stale_rebuild_cannot_write_last(engine: Engine) -> None:
    """A rebuild that read the events before a new one arrived holds the call until it writes;
    the rebuild that the new event triggers waits, then reads both and writes last."""
    first, later = DECLINED_THEN_CONNECTED[:-1], DECLINED_THEN_CONNECTED[-1:]
    store_events(engine, first)
    late_job = threading.Thread(target=store_events, args=(engine, later))
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        lock_call(conn, SID)
        stale = load_summary(conn, SID)
        late_job.start()
        late_job.join(0.5)
        assert late_job.is_alive()  # waiting for this transaction's lock
        write_summary(conn, stale)
    late_job.join(15)
    assert not late_job.is_alive()
    with Session(engine) as session:
        call = call_with_attempts(session, SID)
        assert call is not None and call.ended_at is not None and call.outcome == "connected"
    assert stale.ended_at is None


def test_rebuild_from_the_events_alone(engine: Engine) -> None:
    store_events(engine, THREE_CALLS)
    expected = snapshot(engine)
    wipe(engine, ("waiting_calls", "voicemails", "attempts", "calls"))
    assert rebuild_calls(engine) == 3
    assert snapshot(engine) == expected


def test_the_job_writes_to_database_url(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert persist_events(THREE_CALLS[:5]) == 5
    assert persist_events(THREE_CALLS[:5]) == 0
    assert len(snapshot(get_engine(db_url))["events"]) == 5


def test_malformed_events_are_dropped_and_the_rest_kept(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    bad = [{"type": ev.CALL_ENDED}, {**THREE_CALLS[0], "key": "k2", "at": "yesterday"},
           {**THREE_CALLS[0], "key": "x" * 300}]
    assert store_events(engine, [*bad, THREE_CALLS[0]]) == 1
    assert caplog.text.count("dropping malformed call event") == 3
    assert store_events(engine, []) == 0


def test_recent_calls_latest_first(engine: Engine) -> None:
    store_events(engine, THREE_CALLS)
    late = for_call([{**DECLINED_THEN_CONNECTED[0], "at": "2027-03-29T08:00:00+00:00"}],
                    "CA" + "9" * 32)
    store_events(engine, late)
    with Session(engine) as session:
        calls = recent_calls(session, limit=2)
        assert [c.call_sid for c in calls] == ["CA" + "9" * 32, SIDS[0]]
        assert calls[0].outcome is None and calls[0].attempts == []
        assert len(recent_calls(session, limit=10)) == 4


def test_calls_command_prints_calls_and_attempts(db_url: str) -> None:
    engine = get_engine(db_url)
    store_events(engine, THREE_CALLS)
    runner = CliRunner()
    table = runner.invoke(calls_command, ["--database-url", db_url, "--limit", "2",
                                          "--config", str(TEST_CONFIG)])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:2] == ["STARTED", "CALL"]
    started = local_time(T0, "Europe/Berlin", SECONDS)  # the hotline's zone, named
    assert started.endswith((" CET", " CEST")) and started in table.output
    assert sum(SIDS[0] in line or SIDS[1] in line for line in lines) == 2
    assert any("step 1  p1  +491701  connected  ring 4.5s  talk 30s  pressed 1" in line
               for line in lines)
    one = runner.invoke(calls_command, ["--database-url", db_url, "--sid", SIDS[1]])
    assert "voicemail RE1 completed 31s https://r/RE1" in one.output
    missing = runner.invoke(calls_command, ["--database-url", db_url, "--sid", "CAnope"])
    assert missing.exit_code == 1 and "no call CAnope" in missing.output


def test_calls_command_without_a_schema(empty_db: str) -> None:
    result = CliRunner().invoke(calls_command, ["--database-url", empty_db])
    assert result.exit_code == 1 and "no call log" in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/hotline", "postgresql+psycopg://u:p@db:5432/hotline"),
        ("postgresql://u@db/hotline?sslmode=require",
         "postgresql+psycopg://u@db/hotline?sslmode=require"),
        ("postgresql+psycopg://u@db/hotline", "postgresql+psycopg://u@db/hotline"),
        ("sqlite:////srv/hotline.db", "sqlite:////srv/hotline.db"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert make_engine(url).url.render_as_string(hide_password=False) == expected


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'er' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()
    assert (tmp_path / "deep" / "er" / "x.db").exists()


def test_default_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "state"))
    assert default_database_url() == f"sqlite:///{tmp_path / 'state' / 'hotline.db'}"
    assert (tmp_path / "state").is_dir()
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/h")
    assert default_database_url() == "postgres://u@db/h"


def test_a_step_that_vanishes_from_the_summary_loses_its_row(engine: Engine) -> None:
    from app.calls.ledger import summarise

    sid = "CA" + "9" * 32
    started = ev.make_event(ev.CALL_STARTED, sid, "started", {"caller": "+4930123"}, T0)
    dialled = ev.make_event(ev.DIAL_STARTED, sid, "dial:0:started",
                            {"step": 0, "person": "p0", "number": "+49170"}, T0)
    store_events(engine, [started, dialled])
    assert summarise([started, dialled]).attempts  # ringing, as far as anyone knows
    ended = ev.make_event(ev.CALL_ENDED, sid, "ended", {"call_status": "completed"}, T0)
    store_events(engine, [ended])  # the caller left before that <Dial> ever ran
    with Session(engine) as session:
        assert session.scalars(select(Attempt).where(Attempt.call_sid == sid)).all() == []


def test_a_batch_costs_a_few_statements_however_many_calls_it_touches(engine: Engine) -> None:
    """A batch's calls are rebuilt together: the statements do not grow with the calls, and a
    batch larger than one chunk ends with the same rows as one call at a time."""
    scenarios = (DECLINED_THEN_CONNECTED, VOICEMAIL_BOX_THEN_NOBODY, BUSY_FAILED_CANCELED)
    many = [e for n in range(REBUILD_CHUNK + 5)
            for e in for_call(scenarios[n % 3], f"CA{n:032x}")]
    sids = sorted({e["call_sid"] for e in many})
    for call_sid in sids:
        store_events(engine, [e for e in many if e["call_sid"] == call_sid])
    one_at_a_time = snapshot(engine)
    wipe(engine)
    store_events(engine, many)
    assert snapshot(engine) == one_at_a_time

    wipe(engine, ("voicemails", "attempts", "calls"))
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        assert rebuild_calls(engine, sids) == len(sids)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert snapshot(engine) == one_at_a_time
    work = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA"))]
    # two chunks of at most nine statements (PostgreSQL): seven for the rows, two for the queue
    assert len(work) <= 2 * 9, work
