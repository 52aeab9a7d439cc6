"""The real stack end to end: `hotline run` (gunicorn, RQ worker, Redis), a simulated call over
HTTP, then the rows in the database. On SQLite and, when running, on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.devtools.embedded_redis import free_port
from app.devtools.simulator import Answer, Busy, CallerScript, HttpTransport, NoAnswer, Simulator
from app.storage import call_with_attempts, dispose_engines, get_engine
from tests.support.constants import ACME, AUTH_TOKEN, HOTLINE, REPO, TEST_CONFIG
from tests.support.processes import healthy, stop_gracefully
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
ALICE, BOB, DANA, ERIN, CAROL = (f"+491515550000{n}" for n in (1, 2, 3, 4, 9))
PEOPLE = (ALICE, BOB, DANA, ERIN)


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HOTLINE_CONFIG": str(TEST_CONFIG), "HOTLINE_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port), "SECRET_KEY": "stack-test",
    }
    env.pop("REDIS_URL", None)
    log = (tmp_path / "stack.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "run", "--web-workers", "2"],
                               env=env, stdout=log, stderr=subprocess.STDOUT,
                               cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(base) or process.poll() is not None, 60, "the stack to start")
        assert process.poll() is None, (tmp_path / "stack.log").read_text()
        yield base
    finally:
        stop_gracefully(process)
        log.close()
        dispose_engines()
    assert process.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]


def test_calls_through_the_real_stack_land_in_the_database(stack: str, db_url: str) -> None:
    sim = Simulator(HttpTransport(timeout=5), AUTH_TOKEN, voice_url=f"{stack}/voice",
                    status_callback_url=f"{stack}/voice/status")
    # Whoever is on call today: everybody but the CIO misses, the CIO accepts.
    phones = {n: NoAnswer() for n in PEOPLE} | {ALICE: Busy(), CAROL: Answer(press="1")}
    connected = sim.place_call(ACME, HOTLINE, phones=phones)
    voicemail = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=20),
                               {n: NoAnswer() for n in (*PEOPLE, CAROL)})
    assert connected.errors == [] and voicemail.errors == []
    assert connected.connected_to == CAROL and voicemail.recorded

    engine = get_engine(db_url)

    def stored(sid: str) -> tuple[str | None, list[str]]:
        with Session(engine) as session:
            call = call_with_attempts(session, sid)
            if call is None:
                return None, []
            return call.outcome, [a.status for a in sorted(call.attempts, key=lambda a: a.step)]

    def settles(sid: str, expected: tuple[str, list[str]]) -> None:
        """Each web worker ships its events in its own batches, so the job with the recording
        may be stored before the job with the last missed dial: a row may show the outcome
        with an attempt still ringing or missing, and is right once every batch is stored."""
        seen: list[tuple[str | None, list[str]]] = []

        def matches() -> bool:
            seen.append(stored(sid))
            return seen[-1] == expected

        try:
            wait_until(matches, 30, f"{sid} to be stored as {expected}")
        except AssertionError as timeout:
            raise AssertionError(f"{timeout}; last stored: {seen[-1]}") from None

    status_of = {ALICE: "busy", CAROL: "connected"}
    settles(connected.call_sid,
            ("connected", [status_of.get(n, "no-answer") for n in connected.dialed]))
    assert connected.dialed[-1] == CAROL
    settles(voicemail.call_sid, ("voicemail", ["no-answer"] * len(voicemail.dialed)))
    assert voicemail.dialed[-1] == CAROL
