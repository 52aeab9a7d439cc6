"""The production processes started one by one for fault tests, and simulated calls driven at them.

``Stack`` runs gunicorn (``app/gunicorn_conf.py``, ``app.wsgi:application``) and RQ workers
(``python -m app.cli worker``) as in the Procfile, each in its own process group, against a Redis
and a database the test controls. ``RedisProcess`` is the embedded Redis of ``hotline run`` (AOF,
like docker-compose's) that a test can crash and start again on the same port.
``PostgresProcess`` is a throwaway PostgreSQL that can be stopped and started again.
``CallDriver`` places simulated calls over HTTP from a thread pool and times every webhook;
``log_problems`` compares what the simulator did with what the call log holds.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import psycopg
from redis import Redis
from rq import SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.embedded_redis import EmbeddedRedis, free_port, start_embedded_redis
from app.eventlog.queueing import JOB_TIMEOUT, event_queue
from app.settings import EVENT_QUEUE
from app.simulator import (
    Answer,
    Busy,
    CallerScript,
    CallResult,
    DialResult,
    Failed,
    HttpTransport,
    NoAnswer,
    PhoneScript,
    RequestLog,
    Response,
    Simulator,
)
from app.storage.models import Attempt, Call, EventRecord
from tests.conftest import AUTH_TOKEN, HOTLINE, TEST_CONFIG
from tests.postgres_server import SERVER_USER, find_bin_dir, start_postgres

REPO = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO / "app" / "gunicorn_conf.py"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, what: str, every: float = 0.05) -> T:
    """The first truthy value of ``check()``; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Service:
    """One started process (and its children, in its own process group) with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def stopped(self) -> bool:
        return self._log.closed

    def kill(self) -> None:
        """SIGKILL to the whole group: the process and what it forked (RQ's scheduler)."""
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL to what is left of the group; the exit code."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.pid, signal.SIGKILL)
        code = self.process.wait(10)
        self._log.close()
        return code

    def log_tail(self, chars: int = 3000) -> str:
        return f"--- {self.name} ---\n" + self.log_path.read_text(errors="replace")[-chars:]


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


class Stack:
    """gunicorn and RQ workers for one database and one Redis, as the Procfile runs them."""

    def __init__(self, workdir: Path, database_url: str, redis_url: str,
                 config_path: Path = TEST_CONFIG, web_workers: int = 2) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.web_workers = web_workers
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HOTLINE_CONFIG": str(config_path),
            "HOTLINE_VAR_DIR": str(workdir / "var"), "SECRET_KEY": "stack-test",
            "PORT": str(self.port), "WEB_CONCURRENCY": str(web_workers), "PYTHONUNBUFFERED": "1",
        }
        self.web: Service | None = None
        self.workers: list[Service] = []
        self._count = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spool_dir(self) -> Path:
        return self.workdir / "var" / "spool"

    def start(self, workers: int = 1) -> Stack:
        """Start the web tier and ``workers`` log workers; wait until /healthz answers."""
        try:
            self.start_web()
            for _ in range(workers):
                self.start_worker()
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def start_web(self) -> Service:
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers),
                "app.wsgi:application"]
        self.web = self._spawn("web", argv)
        return self.web

    def start_worker(self, *options: str) -> Service:
        """A log worker: ``hotline worker`` with ``options`` (``--queue ...``)."""
        worker = self._spawn(f"worker-{len(self.workers) + 1}",
                             [sys.executable, "-m", "app.cli", "worker", *options])
        self.workers.append(worker)
        return worker

    def wait_healthy(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            services = [s for s in (self.web, *self.workers) if s is not None]
            dead = [s for s in services if not s.alive]
            assert not dead, "\n".join(s.log_tail() for s in dead)
            return healthy(self.base_url)

        wait_until(ready, timeout, "the web tier to answer /healthz", every=0.2)

    def stop(self) -> dict[str, int | None]:
        """Stop everything; the exit codes by service name."""
        codes = {w.name: w.stop() for w in self.workers if not w.stopped}
        if self.web is not None and not self.web.stopped:
            codes["web"] = self.web.stop()
        return codes

    def _spawn(self, name: str, argv: list[str]) -> Service:
        self._count += 1
        path = self.workdir / f"{self._count:02d}-{name}.log"
        log = path.open("wb")
        process = subprocess.Popen(argv, env=self.env, cwd=REPO, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return Service(name, process, path, log)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def healthy(base_url: str) -> bool:
    try:
        with NO_PROXY.open(f"{base_url}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class RedisProcess:
    """The embedded Redis (AOF, fsync every second) on a fixed port: crash it, start it again.

    Start it from a thread that outlives it: the server gets SIGTERM when the thread that
    started it ends (``app.embedded_redis.supervised_child`` sets PR_SET_PDEATHSIG).
    """

    data_dir: Path
    port: int = field(default_factory=free_port)
    server: EmbeddedRedis | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        self.server = start_embedded_redis(self.data_dir, preferred_port=self.port)
        assert self.server.port == self.port, "another process took the Redis port"
        return self.url

    def crash(self) -> None:
        """SIGKILL: connections drop at once; what was acknowledged is in the AOF already."""
        assert self.server is not None
        self.server.process.kill()
        self.server.process.wait()
        self.server.lock.close()
        self.server = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


class PostgresProcess:
    """A throwaway PostgreSQL cluster that a test can stop and start again on the same port.

    ``tests.postgres_server`` runs with ``synchronous_commit=off``, so a crash forgets the last
    commits; here commits wait for the WAL as in production, and a crash loses none of them.
    """

    def __init__(self, workdir: Path) -> None:
        self.url, self._remove = start_postgres(workdir)
        with psycopg.connect(self._dsn("hotline_test"), autocommit=True) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        self.data_dir = Path(row[0])
        bin_dir = find_bin_dir()
        assert bin_dir is not None
        self._pg_ctl = str(bin_dir / "pg_ctl")
        self._run_as = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1"
                   f" -c unix_socket_directories={self.data_dir.parent}"
                   " -c fsync=off -c full_page_writes=off -c synchronous_commit=on")
        self._ctl("restart", "-m", "fast", "-o", options)  # later restarts reuse these options

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def stop(self, mode: str = "immediate") -> None:
        """Shut the server down (``immediate``: no checkpoint, as after a crash)."""
        self._ctl("stop", "-m", mode)

    def start(self) -> None:
        """Start again with the options it last ran with (postmaster.opts), same port."""
        self._ctl("restart", "-m", "fast")

    def remove(self) -> None:
        self._remove()

    def _ctl(self, *args: str) -> None:
        log = self.data_dir.parent / "server.log"
        result = subprocess.run(
            [*self._run_as, self._pg_ctl, "-D", str(self.data_dir), "-l", str(log), "-w",
             "-t", "60", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, check=False, cwd=tempfile.gettempdir(),
        )
        assert result.returncode == 0, f"pg_ctl {args[0]} failed:\n{result.stdout}"

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"


# --- simulated calls over HTTP ----------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """One webhook request: when it started (monotonic), how long it took, what it answered."""

    at: float
    seconds: float
    path: str
    status: int


class TimedTransport:
    """Real HTTP (the simulator's transport) that times every request; ``delays`` holds
    requests to some paths back (a callback that comes late)."""

    def __init__(self, timings: list[Timing], timeout: float = 10.0,
                 delays: Mapping[str, float] | None = None) -> None:
        self._http = HttpTransport(timeout)
        self._timings = timings
        self._delays = dict(delays or {})

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        time.sleep(self._delays.get(urlsplit(url).path, 0.0))
        start = time.monotonic()
        status = 0
        try:
            response = self._http.post(url, params, headers)
            status = response.status
            return response
        finally:
            self._timings.append(Timing(start, time.monotonic() - start, urlsplit(url).path, status))


@dataclass(frozen=True)
class CallPlan:
    """Who calls and what everybody's phone does.

    ``identified``: a customer, by caller ID, or by PIN when ``script.digits`` enters one
    (``by_pin``); ``blocked``: the caller is on the configuration's blocklist.
    """

    caller: str
    script: CallerScript = CallerScript()
    phones: Mapping[str, PhoneScript] = field(default_factory=dict)
    identified: bool = True
    by_pin: bool = False
    blocked: bool = False


@dataclass
class PlacedCall:
    plan: CallPlan
    result: CallResult


class CallDriver:
    """Places calls against a running web tier, a fresh seeded simulator per call."""

    def __init__(self, base_url: str, seed: int = 0, delays: Mapping[str, float] | None = None,
                 **options: Any) -> None:
        self.base_url = base_url
        self.seed = seed
        self.delays = delays
        self.options = options
        self.timings: list[Timing] = []
        self.done = 0

    def place(self, index: int, plan: CallPlan) -> PlacedCall:
        transport = TimedTransport(self.timings, delays=self.delays)
        sim = Simulator(transport, AUTH_TOKEN, voice_url=f"{self.base_url}/voice",
                        status_callback_url=f"{self.base_url}/voice/status",
                        seed=self.seed * 1_000_000 + index, **self.options)
        return PlacedCall(plan, sim.place_call(plan.caller, HOTLINE, plan.script, plan.phones))

    def run(self, plans: Sequence[CallPlan], threads: int = 4) -> list[PlacedCall]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.place, range(len(plans)), plans))

    def stream(self, plan_for: Callable[[int], CallPlan], threads: int,
               stop: threading.Event) -> list[PlacedCall]:
        """Place call after call from ``threads`` threads until ``stop`` is set; ``done``
        counts the calls finished so far (for a test that acts in the middle of a burst)."""
        placed: list[PlacedCall] = []
        numbers = itertools.count()
        lock = threading.Lock()

        def caller() -> None:
            while not stop.is_set():
                with lock:
                    index = next(numbers)
                call = self.place(index, plan_for(index))
                with lock:
                    placed.append(call)
                    self.done += 1

        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(caller) for _ in range(threads)]:
                future.result()
        return placed

    def failed_requests(self) -> list[Timing]:
        return [t for t in self.timings if t.status != 200]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1); 0.0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def latency_ms(timings: Sequence[Timing]) -> tuple[float, float]:
    """(p50, p99) in milliseconds."""
    seconds = [t.seconds for t in timings]
    return percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000


# --- what the call log must hold --------------------------------------------------------------

FINISHED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def expected_events(placed: PlacedCall) -> Counter[str]:
    """How many events of each type the call's delivered requests must have left in the log.

    Counted from what the simulator sent (and, for voicemail and rejection, what it was told);
    a request delivered twice counts once, as its events have the same keys.
    """
    sent = [r for r in placed.result.requests if r.status == 200]

    def distinct(path: str, *names: str) -> int:
        return len({(r.url, *(r.params.get(n) for n in names)) for r in sent if _path(r) == path})

    voicemails = [r for r in sent if _path(r) == "/voice/voicemail-done"]
    plan = placed.plan
    identified = plan.identified and (not plan.by_pin or distinct("/voice/pin") > 0)
    counts = Counter({
        ev.CALL_STARTED: distinct("/voice"),
        ev.CALL_IDENTIFIED: int(identified),
        ev.CHAIN_CHOSEN: int(identified),
        ev.PIN_ATTEMPT: distinct("/voice/pin"),
        ev.DIAL_STARTED: len({r.url for r in sent if "<Dial" in r.body}),
        ev.LEG_STATUS: len({(r.params["CallSid"], r.params["CallStatus"])
                            for r in sent if _path(r) == "/voice/leg-status"}),
        ev.SCREEN_RESULT: distinct("/voice/screen-result", "CallSid"),
        ev.DIAL_RESULT: distinct("/voice/dial-result"),
        ev.VOICEMAIL_STARTED: int(any("<Record" in r.body for r in sent)),
        ev.VOICEMAIL_RECORDED: int(any(r.params.get("RecordingDuration", "0") != "0"
                                       for r in voicemails)),
        ev.RECORDING_STATUS: len({(r.params["RecordingSid"], r.params["RecordingStatus"])
                                  for r in sent if _path(r) == "/voice/recording-status"}),
        ev.CALL_REJECTED: int(plan.blocked),
        ev.CALL_ENDED: int(any(r.params.get("CallStatus") in FINISHED
                               for r in sent if _path(r) == "/voice/status")),
    })
    return counts


def expected_outcome(placed: PlacedCall) -> str:
    result = placed.result
    if placed.plan.blocked:
        return ev.OUTCOME_REJECTED
    if result.connected_to:
        return ev.OUTCOME_CONNECTED
    return ev.OUTCOME_VOICEMAIL if result.recorded else ev.OUTCOME_ABANDONED


def expected_attempts(placed: PlacedCall) -> list[tuple[str, str | None]]:
    """(number, status) per dialled leg, in order; status None where the caller's hang-up
    makes it a matter of timing (canceled, not accepted, ...)."""
    hung_up = placed.plan.script.hangup_after_seconds is not None
    return [(d.number, None if hung_up else _leg_status(d, placed.plan.phones.get(d.number)))
            for d in placed.result.dial_results]


def _leg_status(dial: DialResult, script: PhoneScript | None) -> str:
    if dial.bridged:
        return ev.CONNECTED
    if isinstance(script, Answer):
        press = script.presses()[0]
        return ev.NOT_ACCEPTED if not press else ev.DECLINED
    return dial.status


def _path(request: RequestLog) -> str:
    return urlsplit(request.url).path


@dataclass
class StoredCall:
    outcome: str | None = None
    attempts: list[tuple[str | None, str]] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)


def stored_calls(engine: Engine, call_sids: Sequence[str]) -> dict[str, StoredCall]:
    """The calls, attempts and event counts the log holds for ``call_sids``."""
    found: dict[str, StoredCall] = {}
    with Session(engine) as session:
        for start in range(0, len(call_sids), 400):
            chunk = list(call_sids[start:start + 400])
            for sid, outcome in session.execute(
                    select(Call.call_sid, Call.outcome).where(Call.call_sid.in_(chunk))):
                found.setdefault(sid, StoredCall()).outcome = outcome
            for sid, number, status in session.execute(
                    select(Attempt.call_sid, Attempt.number, Attempt.status)
                    .where(Attempt.call_sid.in_(chunk)).order_by(Attempt.call_sid, Attempt.step)):
                found.setdefault(sid, StoredCall()).attempts.append((number, status))
            for sid, type_, count in session.execute(
                    select(EventRecord.call_sid, EventRecord.type, func.count())
                    .where(EventRecord.call_sid.in_(chunk))
                    .group_by(EventRecord.call_sid, EventRecord.type)):
                found.setdefault(sid, StoredCall()).events[type_] = count
    return found


def log_problems(engine: Engine, calls: Sequence[PlacedCall]) -> list[str]:
    """What the call log gets wrong about ``calls``: [] when every call is there exactly once."""
    stored = stored_calls(engine, [c.result.call_sid for c in calls])
    problems = []
    for placed in calls:
        sid = placed.result.call_sid
        row = stored.get(sid, StoredCall())
        expected = expected_events(placed)
        if any(row.events[t] != n for t, n in expected.items()):
            counted = {t: row.events[t] for t in expected if row.events[t]}
            problems.append(f"{sid}: events {counted} != expected {dict(+expected)}")
        if row.outcome != expected_outcome(placed):
            problems.append(f"{sid}: outcome {row.outcome} != {expected_outcome(placed)}")
        want = expected_attempts(placed)
        got = [(number, status if wanted else None)
               for (number, status), (_, wanted) in zip(row.attempts, want, strict=False)]
        if len(row.attempts) != len(want) or got != want:
            problems.append(f"{sid}: attempts {row.attempts} != expected {want}")
    return problems


class LogIncomplete(AssertionError):
    """The log still differs from the calls; ``settled_after``: seconds until nothing was left
    on the way (None if something still was)."""

    def __init__(self, message: str, settled_after: float | None) -> None:
        super().__init__(message)
        self.settled_after = settled_after


def wait_for_log(engine: Engine, calls: Sequence[PlacedCall], timeout: float,
                 idle: Callable[[], bool] | None = None) -> float:
    """Seconds until the log holds every call exactly as simulated. Fails (LogIncomplete, listing
    the problems) after ``timeout`` s, or once ``idle()`` (nothing on the way) has held 3 s."""
    start = time.monotonic()
    problems: list[str] = []
    idle_since: list[float] = []

    def settled() -> bool:
        problems[:] = log_problems(engine, calls)
        if not problems:
            return True
        if idle is not None and idle():
            idle_since.append(time.monotonic())
            return idle_since[-1] - idle_since[0] >= 3.0
        idle_since.clear()
        return False

    try:
        wait_until(settled, timeout, "the call log", every=0.25)
    except AssertionError as error:
        raise LogIncomplete(f"{error}: {len(problems)} problems, the first: {problems[:5]}",
                            None) from None
    if problems:
        raise LogIncomplete(
            f"the log is incomplete and nothing is left on the way: {len(problems)} problems, "
            f"the first: {problems[:5]}", idle_since[0] - start)
    return time.monotonic() - start


def drain_log(engine: Engine, calls: Sequence[PlacedCall], timeout: float,
              idle: Callable[[], bool] | None = None) -> tuple[float, list[str]]:
    """Like ``wait_for_log``, but returns (seconds until settled, problems left)."""
    start = time.monotonic()
    try:
        return wait_for_log(engine, calls, timeout, idle), []
    except LogIncomplete as incomplete:
        settled = incomplete.settled_after
        return (time.monotonic() - start if settled is None else settled,
                log_problems(engine, calls))


def log_idle(redis_url: str, spool_dir: Path) -> Callable[[], bool]:
    """Whether no job is queued, running or scheduled for the log and nothing is spooled."""
    def idle() -> bool:
        backlog = log_backlog(redis_url, spool_dir)
        return not any(n for name, n in backlog.items() if name != "failed")
    return idle


def log_backlog(redis_url: str, spool_dir: Path) -> dict[str, int]:
    """What is still waiting or stuck on the way to the log: jobs by registry, spooled files.

    Read without RQ's registry cleanup, which would act on abandoned jobs as a side effect."""
    connection = Redis.from_url(redis_url)
    try:
        queue = event_queue(connection, EVENT_QUEUE)
        registries = {"started": StartedJobRegistry, "scheduled": ScheduledJobRegistry,
                      "failed": FailedJobRegistry}
        return {
            "queued": queue.count,
            **{name: int(connection.zcard(kind(queue=queue).key)) for name, kind in registries.items()},
            "spooled files": len(list(spool_dir.glob("*"))) if spool_dir.exists() else 0,
        }
    finally:
        connection.close()


def reclaim_abandoned_jobs(redis_url: str, older_than: float = 5.0) -> int:
    """Give back the jobs of workers that died, as RQ 3's maintenance will; how many.

    A worker's maintenance pass (when it starts, then every 10 minutes) takes back a job whose
    execution expired (job timeout 120 s + 60 s for a SimpleWorker) and, from a single-queue
    worker's intermediate list, a job taken off the queue but never started, once a minute has
    passed since a pass first saw it. Either is retried 2 s later by a scheduler. This runs
    those passes now, for jobs started over ``older_than`` s ago, and makes the retries due.
    """
    connection = Redis.from_url(redis_url)
    try:
        queue = event_queue(connection, EVENT_QUEUE)
        started, scheduled = StartedJobRegistry(queue=queue), ScheduledJobRegistry(queue=queue)
        cutoff = time.time() - older_than + JOB_TIMEOUT + 60
        abandoned = set(started.get_expired_job_ids(cutoff))
        started.cleanup(timestamp=cutoff)
        intermediate = queue.intermediate_queue
        stuck = set(intermediate.get_job_ids()) - set(started.get_job_ids(cleanup=False))
        for job_id in stuck:
            connection.set(intermediate.get_first_seen_key(job_id), time.time() - 61)
        intermediate.cleanup(SimpleWorker([queue], connection=connection), queue)
        for job_id in (abandoned | stuck) & set(scheduled.get_job_ids(cleanup=False)):
            scheduled.requeue(job_id)
        return len(abandoned | stuck)
    finally:
        connection.close()


def freeze_inside_a_job(worker: Service, redis_url: str, timeout: float = 30.0) -> None:
    """SIGSTOP the worker at a moment it is running a log job (not between two jobs)."""
    connection = Redis.from_url(redis_url)
    started = StartedJobRegistry(queue=event_queue(connection, EVENT_QUEUE))

    def frozen_inside() -> bool:
        os.kill(worker.pid, signal.SIGSTOP)
        time.sleep(0.005)  # commands already sent still land
        ids = started.get_job_ids(cleanup=False)
        jobs = [Job.fetch(i, connection=connection, serializer=JSONSerializer) for i in ids]
        if jobs and all(job.get_status(refresh=False) == JobStatus.STARTED for job in jobs):
            return True
        os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.002)
        return False

    try:
        wait_until(frozen_inside, timeout, "the worker to be inside a job", every=0)
    finally:
        connection.close()


# --- the soak: many calls with random outcomes ------------------------------------------------

ACME_NUMBERS = ("+49301234567", "+49307654321")
PEOPLE = tuple(f"+491515550000{n}" for n in (1, 2, 3, 4, 9))  # alice, bob, dana, erin, carol
BLOCKED_PREFIX = "+4915799"
PIN_CALLER = "+4940111222"
PHONES: tuple[tuple[PhoneScript, int], ...] = (
    (NoAnswer(), 30), (Busy(), 8), (Failed(), 4), (Answer(press="1"), 28),
    (Answer(press=None), 15), (Answer(press="2"), 15),
)


def write_soak_config(path: Path) -> Path:
    """The test configuration plus a blocklist (callers from ``BLOCKED_PREFIX`` are rejected)."""
    path.write_text(TEST_CONFIG.read_text() + f'\n[security]\nblocklist = ["{BLOCKED_PREFIX}"]\n')
    return path


def random_plan(rng: random.Random, hangups: bool = True) -> CallPlan:
    """A call with random outcomes: about 5 % blocklisted callers, 10 % identified by PIN,
    15 % hanging up at a random moment (unless not ``hangups``); every phone answers,
    declines, misses or is busy."""
    draw = rng.random()
    if draw < 0.05:
        return CallPlan(f"{BLOCKED_PREFIX}{rng.randrange(10**6):06d}", identified=False, blocked=True)
    scripts, weights = zip(*PHONES, strict=True)
    phones = {number: rng.choices(scripts, weights)[0] for number in PEOPLE}
    hangup = round(rng.uniform(3, 180), 1) if rng.random() < 0.15 and hangups else None
    record = rng.choice([0.0, 6.0, 25.0])
    digits = ["4711#"] if draw < 0.15 else []
    script = CallerScript(digits, hangup, record, rng.choice(["hangup", "#"]))
    caller = PIN_CALLER if digits else rng.choice(ACME_NUMBERS)
    return CallPlan(caller, script, phones, by_pin=bool(digits))
