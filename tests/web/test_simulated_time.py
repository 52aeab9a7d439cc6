"""A simulated call reads on the call pages as a real one: the log's times are the simulator's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.calls.ledger import CallSummary, summarise
from app.cli.simulate import for_app, simulate_command
from app.config import load_config
from app.devtools.simulator import Answer, NoAnswer
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.admin import served
from tests.support.config_changes import with_change
from tests.support.constants import ACCOUNT_SID, ACME, ALICE, AUTH_TOKEN, DANA, HOTLINE, TEST_CONFIG

PRESSES_1 = re.compile(r"^(\d\d):(\d\d) \+\d+ \(Alice\) presses 1$", re.M)


def summary_of(sink: MemorySink) -> CallSummary:
    sids = {e["call_sid"] for e in sink.events}
    assert len(sids) == 1, sids
    return summarise(sink.events)


def test_a_call_simulated_against_a_running_server_logs_the_times_it_took(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hotline simulate` against a server on the wall clock: 6 s unanswered, then Alice picks
    up after 5 s and presses 1. The log must say so, not "answered after 0 s"."""
    path = tmp_path / "hotline.toml"
    path.write_bytes(with_change(TEST_CONFIG, lambda d: d["hotline"].update(ring_seconds=6)))
    sink = MemorySink()
    app = create_app(settings, load_config(path), sink, overrides=OverrideCache(None))
    for name, value in (("TWILIO_AUTH_TOKEN", AUTH_TOKEN), ("TWILIO_ACCOUNT_SID", ACCOUNT_SID),
                        ("HOTLINE_VAR_DIR", str(tmp_path))):
        monkeypatch.setenv(name, value)
    for base in served(app):
        run = CliRunner().invoke(simulate_command, [
            "--url", base, "--config", str(path), "--from", ACME, "--to", HOTLINE,
            "--phone", "dana=no-answer", "--phone", "alice=accept", "--hangup-after", "26"])
    assert run.exit_code == 0, run.output
    minutes, seconds = PRESSES_1.search(run.output).groups()  # type: ignore[union-attr]
    pressed_at = int(minutes) * 60 + int(seconds)
    call = summary_of(sink)
    assert call.answered_by == "alice", run.output
    assert call.time_to_answer_seconds is not None
    assert abs(call.time_to_answer_seconds - pressed_at) <= 1.5, (call, run.output)
    rings = [a.ring_seconds for a in call.attempts]
    assert rings[0] is not None and abs(rings[0] - 6) <= 1.5, rings
    assert rings[1] is not None and abs(rings[1] - 5) <= 1.5, rings
    assert call.ended_at is not None and call.started_at is not None
    assert abs((call.ended_at - call.started_at).total_seconds() - 26) <= 1.5


def test_a_call_simulated_in_process_runs_on_the_simulated_clock(settings: Settings, config) -> None:  # type: ignore[no-untyped-def]
    """20 s unanswered, then accepted after 5 s: answered 25 s and more after the call began."""
    sink = MemorySink()
    sim = for_app(settings, config, sink)
    result = sim.place_call(ACME, HOTLINE, phones={
        DANA: NoAnswer(), ALICE: Answer(press="1", after_seconds=5, talk_seconds=30)})
    assert result.connected_to == ALICE and not result.errors
    pressed = next(e.at for e in result.events if e.who == ALICE and e.kind == "presses")
    call = summary_of(sink)
    assert call.time_to_answer_seconds is not None and call.time_to_answer_seconds >= 25
    assert abs(call.time_to_answer_seconds - pressed) <= 1.0
    assert [a.ring_seconds for a in call.attempts] == [20.0, 5.0]
    assert [a.talk_seconds for a in call.attempts] == [0, 30]
    assert call.started_at == result.started_at


def test_talk_seconds_sets_how_long_an_engineer_who_accepts_talks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    run = CliRunner().invoke(simulate_command, [
        "--in-process", "--config", str(TEST_CONFIG), "--from", ACME, "--to", HOTLINE,
        "--phone", "dana=accept", "--talk-seconds", "7"])
    assert run.exit_code == 0, run.output
    assert re.search(r"; talk 7 s$", run.output, re.M), run.output
