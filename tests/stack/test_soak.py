"""The soak: hundreds of calls with random outcomes through the real stack (gunicorn, RQ workers,
Redis, SQLite), then the call log compared with what every simulated phone did.

The module shares one stack and its tests run in file order: one scripted call first (before
the soak could leave anybody marked busy), the soak, then what a call finds after it.
``python bench/soak.py --calls 3000`` runs the soak at a larger size and prints its figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.calls import events as ev
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.devtools.simulator.events import DIAL_RESULT
from app.storage import dispose_engines, get_engine, upgrade
from bench.soak import SoakReport, run_soak
from tests.support.backlog import log_idle
from tests.support.calls import CallDriver, CallPlan
from tests.support.processes import Stack
from tests.support.redis import RedisProcess
from tests.support.soak import ACME_NUMBERS, PEOPLE, write_soak_config
from tests.support.sql import drain_log, stored_calls

pytestmark = pytest.mark.stack
CALLS = 300
OUTCOMES = {ev.OUTCOME_CONNECTED, ev.OUTCOME_VOICEMAIL, ev.OUTCOME_ABANDONED, ev.OUTCOME_REJECTED}


@dataclass
class SoakStack:
    stack: Stack
    database: str
    redis_url: str


@pytest.fixture(scope="module")
def soak_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakStack]:
    """2 web workers, 2 log workers, Redis (AOF) and SQLite, with a blocklist configured."""
    workdir = tmp_path_factory.mktemp("soak")
    database = f"sqlite:///{workdir / 'log.db'}"
    upgrade(database)
    redis = RedisProcess(workdir / "redis")
    redis.start()
    stack = Stack(workdir, database, redis.url, write_soak_config(workdir / "hotline.toml"))
    try:
        with stack:
            stack.start(workers=2)
            yield SoakStack(stack, database, redis.url)
    finally:
        redis.stop()
        dispose_engines()


def test_a_caller_gone_before_the_next_dial_leaves_no_attempt_for_it(soak_stack: SoakStack) -> None:
    """The first engineer declines; the caller hangs up while hearing that the next one is
    being called. That <Dial> never runs and nobody else is rung: one attempt, not two. The
    call's status callback comes half a second later, so the log gets it in a later job."""
    phones = {number: NoAnswer() for number in PEOPLE} | {
        number: Answer(press="2") for number in PEOPLE[:4]}
    driver = CallDriver(soak_stack.stack.base_url, seed=12, delays={"/voice/status": 0.6})
    reference = driver.place(0, CallPlan(ACME_NUMBERS[0], CallerScript(), phones)).result
    declined_at = next(e.at for e in reference.events if e.kind == DIAL_RESULT)
    gone = driver.place(1, CallPlan(ACME_NUMBERS[0],
                                    CallerScript(hangup_after_seconds=declined_at + 1), phones))
    assert gone.result.errors == [] and len(gone.result.dialed) == 1, gone.result.transcript()
    engine = get_engine(soak_stack.database)
    idle = log_idle(soak_stack.redis_url, soak_stack.stack.spool_dir)
    drain_log(engine, [gone], 30, idle)
    stored = stored_calls(engine, [gone.result.call_sid])[gone.result.call_sid]
    assert stored.outcome == ev.OUTCOME_ABANDONED
    assert stored.attempts == [(gone.result.dialed[0], ev.DECLINED)]


@pytest.fixture(scope="module")
def soak(soak_stack: SoakStack) -> SoakReport:
    report = run_soak(soak_stack.stack, get_engine(soak_stack.database), soak_stack.redis_url,
                      CALLS, seed=11, threads=8)
    print(f"\n[figures] soak of {CALLS} calls\n{report.table()}")
    return report


def test_every_webhook_answers_and_nobody_is_rung_twice_in_a_pass(soak: SoakReport) -> None:
    assert soak.failed_requests == 0 and soak.simulator_errors == []
    assert soak.safe_answers == 0, "webhooks failed inside (the web log has their tracebacks)"
    assert soak.rung_twice == []
    assert soak.seconds + soak.drain_seconds < 120


def test_every_call_ends_in_exactly_one_outcome(soak: SoakReport) -> None:
    assert sum(soak.outcomes.values()) == CALLS
    assert set(soak.outcomes) == OUTCOMES  # blocklisted callers, hang-ups, voicemails, answers


def test_every_event_and_every_attempt_is_logged_exactly_once(soak: SoakReport) -> None:
    assert soak.problems == [], \
        f"{len(soak.problems)} problems: {soak.problems[:5]}; backlog {soak.backlog}"
    assert soak.backlog == {"journal files": 0, "queued": 0, "intermediate": 0, "started": 0,
                            "scheduled": 0, "failed": 0, "spooled files": 0}


def test_after_the_soak_a_call_rings_the_whole_chain_again(
    soak: SoakReport, soak_stack: SoakStack
) -> None:
    """Every soak call has ended, so nobody is on a hotline call: nobody may be skipped."""
    driver = CallDriver(soak_stack.stack.base_url, seed=13)
    plan = CallPlan(ACME_NUMBERS[0], CallerScript(record_seconds=0),
                    {number: NoAnswer() for number in PEOPLE})
    rung = [len(driver.place(i, plan).result.dialed) for i in range(4)]  # both web workers
    assert rung == [4] * 4, "engineers still marked busy after their calls ended"
