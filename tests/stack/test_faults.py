"""Faults injected into the real stack: Redis crashes, the database goes away, a worker is killed
mid-job, Twilio repeats and reorders its callbacks. Every event must reach the log exactly once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis import Redis
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.config import load_config
from app.devtools.simulator import (
    Answer,
    Busy,
    CallerScript,
    Failed,
    FlaskClientTransport,
    NoAnswer,
    Simulator,
)
from app.eventlog import enqueue_batch
from app.eventlog.port import MemorySink
from app.eventlog.queueing import connect, event_queue
from app.settings import EVENT_QUEUE, Settings
from app.storage import dispose_engines, get_engine, normalize_url, store_events, upgrade
from app.storage.models import Call, EventRecord
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.backlog import (
    freeze_inside_a_job,
    log_backlog,
    log_idle,
    reclaim_abandoned_jobs,
    settled_backlog,
)
from tests.support.calls import CallDriver, CallPlan, Timing, latency_ms
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, DATA, HOTLINE, NOW
from tests.support.postgres import PostgresProcess, postgres_url
from tests.support.processes import Service, Stack
from tests.support.redis import RedisProcess, running
from tests.support.soak import ACME_NUMBERS, PEOPLE, PIN_CALLER, random_plan, write_soak_config
from tests.support.sql import log_problems, snapshot, stored_calls, wait_for_log
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
ALICE, BOB, DANA, ERIN, CAROL = PEOPLE


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    with running(RedisProcess(tmp_path / "redis")) as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    upgrade(url)
    yield url
    dispose_engines()


@pytest.fixture
def postgres_or_sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A fresh schema on the session's PostgreSQL where it runs (CI), else a SQLite file."""
    base = postgres_url()
    if not base:
        url = f"sqlite:///{tmp_path / 'log.db'}"
        upgrade(url)
        yield url
        dispose_engines()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    dispose_engines()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def plan_for(seed: int) -> Callable[[int], CallPlan]:
    """Random calls (see ``random_plan``), the same for the same index on every run. Nobody
    hangs up early: the soak covers that; these tests look at the hand-off alone."""
    return lambda index: random_plan(random.Random(f"{seed}-{index}"), hangups=False)


def between(timings: list[Timing], start: float, end: float) -> list[Timing]:
    return [t for t in timings if start <= t.at < end]


def exit_reason(service: Service) -> str:
    """The exit code and the log lines that say why a worker ended."""
    lines = service.log_path.read_text(errors="replace").splitlines()
    said = [line for line in lines if "quitting" in line or line.startswith("redis.exceptions")]
    return f"exit code {service.process.returncode}; {' / '.join(said[:3])} (log: {service.log_path})"


def figures(name: str, **values: object) -> None:
    """The numbers the README quotes; shown with ``pytest -s`` or ``-rP``."""
    print(f"[figures] {name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


# --- 1. Redis crashes in the middle of a burst ------------------------------------------------

def test_a_redis_crash_mid_burst_loses_and_doubles_no_event(
    tmp_path: Path, redis: RedisProcess, sqlite_url: str
) -> None:
    stack = Stack(tmp_path, sqlite_url, redis.url, write_soak_config(tmp_path / "hotline.toml"))
    with stack:
        stack.start(workers=1)
        driver = CallDriver(stack.base_url, seed=1)
        stop, marks = threading.Event(), {}
        worker = stack.workers[0]
        # The calls run in the background; Redis is restarted from this thread, as its server
        # gets SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG).
        with ThreadPoolExecutor(1) as background:
            burst = background.submit(driver.stream, plan_for(1), 4, stop)
            try:
                wait_until(lambda: driver.done >= 15, 60, "15 calls before the outage")
                # Crash while the worker is inside a job: the hardest moment for it.
                freeze_inside_a_job(worker, redis.url)
                marks["down"] = time.monotonic()
                redis.crash()
                os.kill(worker.pid, signal.SIGCONT)
                at_crash = driver.done
                wait_until(lambda: driver.done >= at_crash + 25
                           and time.monotonic() - marks["down"] > 3, 60, "calls during the outage")
                spooled = list(stack.spool_dir.glob("*"))
                redis.start()
                marks["up"] = time.monotonic()
                wait_until(lambda: driver.done >= at_crash + 40, 60, "calls after the outage")
            finally:
                stop.set()
            placed = burst.result()

        # Every webhook answered, and answered fast, while Redis was away.
        assert driver.failed_requests() == []
        assert [c.result.errors for c in placed if c.result.errors] == []
        before = between(driver.timings, 0, marks["down"])
        during = between(driver.timings, marks["down"], marks["up"])
        p50_before, p99_before = latency_ms(before)
        p50_during, p99_during = latency_ms(during)
        # A webhook that waited for Redis would take a timeout (50 ms to 1 s) or an error.
        assert len(during) > 100 and max(t.seconds for t in during) < 1.0
        assert p50_during < max(2 * p50_before, 50) and p99_during < 750
        assert spooled, "the outage should have sent events to the spool"

        # A worker that died with Redis is started again, as the Procfile's platform would.
        died = [w for w in stack.workers if not w.alive]
        for _ in died:
            stack.start_worker()
        # A job the crash caught inside the worker waits up to two minutes for RQ to take it back.
        reclaimed = reclaim_abandoned_jobs(redis.url, older_than=time.monotonic() - marks["up"])
        idle = log_idle(redis.url, stack.spool_dir)
        drained = wait_for_log(get_engine(sqlite_url), placed, 90, idle)
        # The log is complete before the spool is empty: the web tier stored the outage's events
        # in the database itself and kept only those a worker must still act on (notifications)
        # for Redis; its thread replays them at its next probe.
        wait_until(idle, 60, "the spool replayed and the queue drained", every=0.25)
        backlog = log_backlog(redis.url, stack.spool_dir)
        assert (backlog["queued"], backlog["failed"], backlog["spooled files"]) == (0, 0, 0)
        assert not log_problems(get_engine(sqlite_url), placed)  # the replay doubled nothing
        figures("redis crash", calls=len(placed), outage_s=round(marks["up"] - marks["down"], 1),
                requests_during=len(during), p50_before_ms=round(p50_before, 1),
                p99_before_ms=round(p99_before, 1), p50_during_ms=round(p50_during, 1),
                p99_during_ms=round(p99_during, 1), log_complete_s=round(drained, 1),
                workers_died=len(died), jobs_reclaimed=reclaimed)
    # The log worker must outlive a Redis outage: `hotline run` stops the whole hotline, web
    # tier included, when one of its workers exits.
    assert not died, f"the log worker exited on the Redis outage: {exit_reason(died[0])}"


# --- 2. The database goes away ----------------------------------------------------------------

def scheduled_retries(redis_url: str) -> dict[str, tuple[int, float]]:
    """Jobs waiting for a retry: id -> (retries left, seconds until due)."""
    connection = Redis.from_url(redis_url)
    try:
        registry = ScheduledJobRegistry(queue=event_queue(connection, EVENT_QUEUE))
        now = time.time()
        found = {}
        for job_id in registry.get_job_ids(cleanup=False):
            job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
            score = connection.zscore(registry.key, job_id) or now
            found[job_id] = (job.retries_left or 0, round(score - now, 1))
        return found
    finally:
        connection.close()


def move_retries_due(redis_url: str) -> int:
    """Queue every job waiting for a retry now, as the scheduler does once it is due."""
    connection = Redis.from_url(redis_url)
    try:
        registry = ScheduledJobRegistry(queue=event_queue(connection, EVENT_QUEUE))
        ids = registry.get_job_ids(cleanup=False)
        for job_id in ids:
            registry.requeue(job_id)
        return len(ids)
    finally:
        connection.close()


if postgres_url():  # PostgreSQL runs for this session (tests/conftest.py); CI requires it

    def test_a_database_outage_keeps_calls_working_and_the_log_catches_up_once(
        tmp_path: Path, redis: RedisProcess
    ) -> None:
        database = PostgresProcess(tmp_path)
        try:
            upgrade(database.url)
            stack = Stack(tmp_path, database.url, redis.url,
                          write_soak_config(tmp_path / "hotline.toml"))
            with stack:
                stack.start(workers=1)
                _database_outage(stack, database, redis)
        finally:
            dispose_engines()
            database.remove()


def _database_outage(stack: Stack, database: PostgresProcess, redis: RedisProcess) -> None:
    engine = get_engine(database.url)
    idle = log_idle(redis.url, stack.spool_dir)
    driver = CallDriver(stack.base_url, seed=2)
    make = plan_for(2)
    first = driver.run([make(i) for i in range(10)])
    wait_for_log(engine, first, 60, idle)

    database.stop()
    down = time.monotonic()
    during = [driver.place(10 + i, make(10 + i)) for i in range(30)]
    # Jobs fail, are scheduled again and fail again until a job is on its longer intervals.
    seen: dict[str, list[tuple[int, float]]] = {}

    def backing_off() -> bool:
        for job_id, retry in scheduled_retries(redis.url).items():
            if retry not in seen.setdefault(job_id, []):
                seen[job_id].append(retry)
        return any(left <= 4 for history in seen.values() for left, _ in history)

    wait_until(backing_off, 60, "a job to fail a sixth time", every=0.2)
    outage = time.monotonic() - down
    database.start()

    calls = first + during
    assert driver.failed_requests() == []
    assert [c.result.errors for c in calls if c.result.errors] == []
    p50, p99 = latency_ms(between(driver.timings, down, down + outage))
    assert p99 < 500
    # RQ's Retry: the first five retries come 2 s apart, then the intervals grow.
    delays = sorted({(left, round(due)) for history in seen.values() for left, due in history})
    assert any(left >= 5 and due <= 2 for left, due in delays), delays
    assert any(left <= 4 and due >= 5 for left, due in delays), delays
    # The retries on long intervals would come 10 s to minutes later: make them due now.
    moved = move_retries_due(redis.url)
    drained = wait_for_log(engine, calls, 60, idle)
    assert settled_backlog(redis.url, stack.spool_dir) == {
        "journal files": 0, "queued": 0, "intermediate": 0, "started": 0, "scheduled": 0,
        "failed": 0, "spooled files": 0}
    figures("database outage", calls=len(calls), outage_s=round(outage, 1),
            p50_during_ms=round(p50, 1), p99_during_ms=round(p99, 1), jobs_retried=len(seen),
            retries_moved_due=moved, log_complete_s=round(drained, 1))


def test_a_log_job_outlasts_half_an_hour_of_database_downtime(redis: RedisProcess) -> None:
    """The retry policy promises about half an hour before a job gives up (app.eventlog)."""
    queue = event_queue(connect(redis.url), EVENT_QUEUE)
    job = enqueue_batch(queue, [ev.make_event(ev.CALL_STARTED, "CA" + "7" * 32, "started", {})])
    assert job is not None
    waits = []
    while job.retries_left:  # RQ's own schedule: the interval for a retry, then one fewer left
        waits.append(job.get_retry_interval())
        job.retries_left -= 1
    assert sum(waits) >= 25 * 60, f"retries {waits}: {sum(waits)} s in all"


# --- 3. A worker killed with SIGKILL in the middle of a job -----------------------------------

@pytest.fixture(scope="module")
def recorded_calls() -> list[ev.Event]:
    """The events of 120 random calls, through the web app in this process."""
    settings = Settings(
        config_path=DATA / "hotline.toml", redis_url=None,
        auth_tokens=(AUTH_TOKEN,), account_sid=ACCOUNT_SID, public_base_url=None,
        secret_key="test-secret", trusted_proxies=0, spool_path=Path("unused"),
    )
    sink = MemorySink()
    app = create_app(settings, load_config(settings.config_path), sink, clock=lambda: NOW,
                     overrides=OverrideCache(None), TESTING=True)
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN,
                    voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    account_sid=ACCOUNT_SID, clock_start=NOW, seed=3)
    rng = random.Random(3)
    for _ in range(120):
        plan = random_plan(rng)
        sim.place_call(plan.caller, HOTLINE, plan.script, plan.phones)
    return sink.events


def count_rows(engine, model) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_worker_killed_mid_job_has_the_job_run_again_without_duplicates(
    tmp_path: Path, redis: RedisProcess, db_url: str, recorded_calls: list[ev.Event]
) -> None:
    events = recorded_calls
    calls = len({e["call_sid"] for e in events})
    queue = event_queue(connect(redis.url), EVENT_QUEUE)
    job = enqueue_batch(queue, events)  # one large batch, as the sink sends after an outage
    assert job is not None
    engine = get_engine(db_url)
    with Stack(tmp_path, db_url, redis.url) as stack:
        first = stack.start_worker()
        started = StartedJobRegistry(queue=queue)
        wait_until(lambda: job.id in started.get_job_ids(cleanup=False), 60, "the job to start")
        # Each chunk of calls is one transaction, its events and their rebuild: kill in the
        # middle of the chunks.
        wait_until(lambda: count_rows(engine, Call) >= calls // 4, 60, "the rebuild", every=0.005)
        first.kill()
        killed = time.monotonic()
        stored_at_kill, rebuilt_at_kill = count_rows(engine, EventRecord), count_rows(engine, Call)
        assert rebuilt_at_kill < calls, "the kill came too late to land inside the job"
        assert stored_at_kill < len({e["key"] for e in events})
        with Session(engine) as session:  # no event is stored without its call's rebuild
            assert session.scalar(select(func.count(func.distinct(EventRecord.call_sid)))) == \
                rebuilt_at_kill
        assert job.get_status(refresh=True) == JobStatus.STARTED

        second = stack.start_worker()
        # The dead worker's claim on the job lapses 75 s after its last heartbeat; a live
        # worker's maintenance (every 25 s) then hands it to RQ's retry, due 2 s later, which a
        # scheduler queues (the dead worker's scheduler lock lapses within 61 s). That wait is
        # RQ's alone: on PostgreSQL this test sits it out, on SQLite it runs the same passes now.
        if engine.dialect.name == "sqlite":
            assert reclaim_abandoned_jobs(redis.url, older_than=time.monotonic() - killed) == 1
        wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 180,
                   "the job to run again", every=0.5)
        retried_after = time.monotonic() - killed
        assert retried_after < 125, f"the job ran again {retried_after:.0f} s after the kill"
        job.refresh()
        assert job.retries_left == 9  # it ran again as RQ's retry of an abandoned job
        assert second.alive
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(reference_url)
    store_events(get_engine(reference_url), events)
    assert snapshot(engine) == snapshot(get_engine(reference_url))
    figures("worker killed", events=len(events), calls=calls, rebuilt_at_kill=rebuilt_at_kill,
            backend=engine.dialect.name, retried_after_s=round(retried_after))


def whereabouts(job: Job) -> str:
    """Where RQ keeps ``job``: its status and the lists and registries that hold it."""
    queue = event_queue(job.connection, EVENT_QUEUE)
    holders = {
        "queue": job.id in queue.job_ids,
        "intermediate list": job.id in queue.intermediate_queue.get_job_ids(),
        "started": job.id in StartedJobRegistry(queue=queue).get_job_ids(cleanup=False),
        "scheduled": job.id in ScheduledJobRegistry(queue=queue).get_job_ids(cleanup=False),
        "failed": job.id in FailedJobRegistry(queue=queue).get_job_ids(cleanup=False),
    }
    held = [name for name, there in holders.items() if there] or ["nothing"]
    return f"job {job.id} is {job.get_status(refresh=True)}, held by {', '.join(held)}"


@pytest.mark.parametrize("options", [(), ("--queue", EVENT_QUEUE)],
                         ids=["default-queues", "event-queue-alone"])
def test_a_worker_killed_as_it_takes_a_job_loses_no_event(
    tmp_path: Path, redis: RedisProcess, sqlite_url: str, recorded_calls: list[ev.Event],
    options: tuple[str, ...],
) -> None:
    events = recorded_calls[:300]
    queue = event_queue(connect(redis.url), EVENT_QUEUE)
    with Stack(tmp_path, sqlite_url, redis.url) as stack:
        first = stack.start_worker(*options)

        def waiting_for_jobs() -> bool:
            return any(c.get("cmd") in ("blpop", "blmove") for c in queue.connection.client_list())

        wait_until(waiting_for_jobs, 60, "the worker to wait for a job")
        # Frozen while it waits, the worker is handed the job by Redis and dies before it
        # can act on it (a host or OOM kill at that moment).
        os.kill(first.pid, signal.SIGSTOP)
        job = enqueue_batch(queue, events)
        assert job is not None
        wait_until(lambda: queue.count == 0, 10, "Redis to hand the job over")
        first.kill()
        second = stack.start_worker(*options)
        wait_until(lambda: "Listening on" in second.log_path.read_text(), 60, "the new worker")
        reclaim_abandoned_jobs(redis.url, older_than=0)
        try:
            wait_until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 15,
                       "the job to run")
        except AssertionError:
            raise AssertionError(f"the batch of {len(events)} events is lost: "
                                 f"{whereabouts(job)}") from None
    with Session(get_engine(sqlite_url)) as session:
        stored = set(session.scalars(select(EventRecord.key)))
    assert stored == {e["key"] for e in events}


# --- 4. Twilio repeats and reorders its callbacks ---------------------------------------------

DUPLICATE_SCENARIOS = [
    CallPlan(ACME_NUMBERS[0], phones={n: Answer(press="1") for n in PEOPLE}),
    CallPlan(ACME_NUMBERS[1], phones={ALICE: Busy(), BOB: NoAnswer(), DANA: Answer(press=None),
                                      ERIN: Failed(), CAROL: Answer(press="1")}),
    CallPlan(ACME_NUMBERS[0], CallerScript(record_seconds=20),
             {n: NoAnswer() for n in PEOPLE}),
    CallPlan(ACME_NUMBERS[0], phones={n: Answer(press="2") for n in PEOPLE[:4]}
             | {CAROL: Answer(press="1")}),
    CallPlan(ACME_NUMBERS[1], CallerScript(hangup_after_seconds=12), {n: NoAnswer() for n in PEOPLE}),
    CallPlan(ACME_NUMBERS[0], CallerScript(hangup_after_seconds=40),
             {n: Answer(press="1", talk_seconds=300) for n in PEOPLE}),
    CallPlan(PIN_CALLER, CallerScript(digits=["4711#"]), {n: Answer(press="1") for n in PEOPLE},
             by_pin=True),
    CallPlan("+4915799000001", identified=False, blocked=True),
]


def test_duplicate_and_late_callbacks_leave_one_record_each_in_the_right_state(
    tmp_path: Path, redis: RedisProcess, postgres_or_sqlite_url: str
) -> None:
    url = postgres_or_sqlite_url
    stack = Stack(tmp_path, url, redis.url, write_soak_config(tmp_path / "hotline.toml"))
    with stack:
        stack.start(workers=2)  # two workers: the copies of one callback race each other
        driver = CallDriver(stack.base_url, seed=4, duplicate_callbacks=True,
                            late_leg_callbacks=True, dial_action_after_caller_hangup=True)
        placed = driver.run(DUPLICATE_SCENARIOS * 3, threads=4)
        assert driver.failed_requests() == []
        assert [c.result.errors for c in placed if c.result.errors] == []
        wait_for_log(get_engine(url), placed, 60, log_idle(redis.url, stack.spool_dir))
    legs = [r for c in placed for r in c.result.requests if r.url.split("?")[0].endswith("leg-status")]
    assert len(legs) == 2 * len({(r.params["CallSid"], r.params["CallStatus"]) for r in legs})
    late = [c for c in placed if _leg_callbacks_after_dial_result(c)]
    assert len(late) >= len(placed) // 2
    engine = get_engine(url)
    with Session(engine) as session:
        outcomes = dict(session.execute(select(Call.call_sid, Call.outcome)).all())
        # Four calls at a time: on a slow machine one may find an engineer still on another
        # call, who is skipped. Such a call ends as the simulator saw it (wait_for_log checked
        # that), not necessarily as its plan would alone.
        skipped = set(session.scalars(select(EventRecord.call_sid)
                                      .where(EventRecord.type == ev.STEP_SKIPPED)))
    planned = [ev.OUTCOME_CONNECTED, ev.OUTCOME_CONNECTED, ev.OUTCOME_VOICEMAIL,
               ev.OUTCOME_CONNECTED, ev.OUTCOME_ABANDONED, ev.OUTCOME_CONNECTED,
               ev.OUTCOME_CONNECTED, ev.OUTCOME_REJECTED]
    first = placed[:len(DUPLICATE_SCENARIOS)]
    assert [outcomes[c.result.call_sid] for c in first if c.result.call_sid not in skipped] == [
        want for c, want in zip(first, planned, strict=True) if c.result.call_sid not in skipped]
    assert len(skipped & {c.result.call_sid for c in first}) <= 2
    assert len(outcomes) == len(placed)
    # The callers who hung up: while the first engineer's phone rang, and while talking to them.
    rang, talked = (stored_calls(engine, [placed[i].result.call_sid])[placed[i].result.call_sid]
                    for i in (4, 5))
    assert [status for _, status in rang.attempts] == [ev.CANCELED]
    assert [status for _, status in talked.attempts] == [ev.CONNECTED]


def _leg_callbacks_after_dial_result(call) -> bool:  # type: ignore[no-untyped-def]
    paths = [r.url.split("?")[0].rsplit("/", 1)[-1] for r in call.result.requests]
    return "dial-result" in paths and "leg-status" in paths[paths.index("dial-result"):]
