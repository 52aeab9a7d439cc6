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

    def stored(sid: str, outcome: str):  # type: ignore[no-untyped-def]
        with Session(engine) as session:
            call = call_with_attempts(session, sid)
            if call is None or call.outcome != outcome:
                return None
            return [(a.person, a.status) for a in sorted(call.attempts, key=lambda a: a.step)]

    first = wait_until(lambda: stored(connected.call_sid, "connected"), 30, "the connected call")
    assert first[-1] == ("carol", "connected")
    assert len(first) == len(connected.dialed)
    second = wait_until(lambda: stored(voicemail.call_sid, "voicemail"), 30, "the voicemail call")
    assert all(status != "connected" for _, status in second)
    assert len(second) == len(voicemail.dialed)
