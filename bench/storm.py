"""Benchmark 2: a call storm, many whole escalations at once through the real stack over HTTP.

Every call is the simulator over HTTP (HttpTransport), one thread per call, in several
processes. Twilio does not send a call's webhooks back to back: the greeting is spoken, phones
ring for up to 20 s. So each request leaves when its call's virtual clock says so, at ``speed``
times real time; calls arrive spread over ``window`` seconds. Then the log must drain: every call
in the database with the outcome and the dial attempts the simulator saw.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from redis import Redis
from sqlalchemy import create_engine, func, select

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import load_config  # noqa: E402
from app.devtools.simulator import Answer, Busy, CallResult, HttpTransport, NoAnswer, PhoneScript, Simulator  # noqa: E402
from app.devtools.simulator.caller import CallerLeg  # noqa: E402
from app.devtools.simulator.clock import Clock  # noqa: E402
from app.devtools.simulator.context import CallContext  # noqa: E402
from app.devtools.simulator.events import CALLER  # noqa: E402
from app.devtools.simulator.outcomes import CallerScript  # noqa: E402
from app.devtools.simulator.transport import Response  # noqa: E402
from app.devtools.simulator.webhooks import Webhooks  # noqa: E402
from app.escalation import build_chain  # noqa: E402
from app.eventlog.queueing import event_queue  # noqa: E402
from app.settings import EVENT_QUEUE  # noqa: E402
from app.storage.models import Attempt, Call  # noqa: E402
from bench.loadgen import percentile  # noqa: E402
from bench.stack import ACME, AUTH_TOKEN, DEMO_CONFIG, HOTLINE, jobs_outstanding  # noqa: E402

TWILIO_TIMEOUT = 15.0  # Twilio gives up on a webhook after 15 s
TWIML_PATHS = ("/voice", "/voice/dial-result", "/voice/screen", "/voice/screen-result",
               "/voice/voicemail-done", "/voice/pin", "/voice/emergency")


class Pace:
    """Maps a call's virtual seconds to real time: ``start + at / speed``."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = time.monotonic()

    def wait(self, at: float) -> None:
        delay = self.start + at / self.speed - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class PacedWebhooks(Webhooks):
    """Sends each request when the call's virtual clock reaches it (legs may run late, never early)."""

    pace: Pace

    def fetch_twiml(self, url: str, params: dict[str, str], at: float = 0.0):  # type: ignore[no-untyped-def]
        self.pace.wait(at)
        return super().fetch_twiml(url, params, at)

    def callback(self, url: str, params: dict[str, str], at: float, twice: bool = False) -> None:
        self.pace.wait(at)
        super().callback(url, params, at, twice)


class PacedSimulator(Simulator):
    """The simulator in (scaled) real time: ``place_call`` as in Simulator, with PacedWebhooks."""

    def __init__(self, *args: object, speed: float, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.speed = speed

    def place_call(self, from_: str, to: str, caller: CallerScript | None = None,
                   phones: Mapping[str, PhoneScript] | None = None,
                   names: Mapping[str, str] | None = None) -> CallResult:
        script = caller or CallerScript()
        clock = Clock(self.clock_start, 0.0, self.settings.max_call_seconds)
        result = CallResult(self.ids.sid("CA"), clock.start, names=dict(names or {}))
        webhooks = PacedWebhooks(self.transport, self.auth_token, self.ids, result,
                                 self.document_checker)
        webhooks.pace = Pace(self.speed)
        call = CallContext(self.settings, webhooks, result, self.ids, script, dict(phones or {}))
        leg = CallerLeg(call, clock, CALLER, self._params(result.call_sid, from_, to),
                        list(script.digits))
        self._end(leg, self._run(leg))
        return result


class TimedTransport(HttpTransport):
    """HttpTransport that keeps each request's latency."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout)
        self.latencies: list[float] = []

    def post(self, url: str, params: dict[str, str], headers: dict[str, str]) -> Response:
        began = time.perf_counter()
        try:
            return super().post(url, params, headers)
        finally:
            self.latencies.append(time.perf_counter() - began)


@dataclass
class CallSummary:
    call_sid: str
    outcome: str | None
    dialed: int
    twiml: int
    requests: int
    errors: list[str]
    latencies: list[float]
    ended_at: float


def chain_scripts() -> list[dict[str, PhoneScript]]:
    """Who does what, by position in today's chain: accept at step 1, 2 or 3 (4 to 6 TwiML
    webhooks). Engineers already on a hotline call are skipped by the app, so in a storm many
    calls run through the whole chain to the voicemail."""
    config = load_config(DEMO_CONFIG)
    plan = build_chain(config.policy, config.rotations, datetime.now(UTC))
    phones = [config.people[p].phone for p in plan.people]
    accept = Answer(press="1", talk_seconds=20.0, after_seconds=4.0)
    steps: list[list[PhoneScript]] = [[accept], [NoAnswer(), accept], [Busy(), NoAnswer(), accept]]
    return [{phone: (row[i] if i < len(row) else NoAnswer()) for i, phone in enumerate(phones)}
            for row in steps]


def _place(base: str, speed: float, phones: dict[str, PhoneScript], arrive_at: float) -> CallSummary:
    transport = TimedTransport(TWILIO_TIMEOUT)
    sim = PacedSimulator(transport, AUTH_TOKEN, voice_url=f"{base}/voice",
                         status_callback_url=f"{base}/voice/status", speed=speed)
    time.sleep(max(0.0, arrive_at - time.time()))
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=8.0), phones)
    errors = list(result.errors) + [f"{r.status} {r.url}" for r in result.requests
                                    if not 200 <= r.status < 300]
    outcome = "connected" if result.connected_to else "voicemail" if result.recorded else None
    twiml = sum(urlsplit(r.url).path in TWIML_PATHS for r in result.requests)
    return CallSummary(result.call_sid, outcome, len(result.dialed), twiml, len(result.requests),
                       errors, transport.latencies, time.time())


def _process(args: tuple[str, float, list[tuple[dict[str, PhoneScript], float]]]) -> list[CallSummary]:
    base, speed, calls = args
    out: list[CallSummary] = []
    lock = threading.Lock()

    def one(phones: dict[str, PhoneScript], arrive_at: float) -> None:
        try:
            summary = _place(base, speed, phones, arrive_at)
        except Exception as error:  # a crash of the harness counts as a failed call
            summary = CallSummary("", None, 0, 0, 0, [f"harness: {error!r}"], [], time.time())
        with lock:
            out.append(summary)

    threads = [threading.Thread(target=one, args=call, daemon=True) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


@dataclass
class StormResult:
    calls: list[CallSummary]
    seconds: float
    drain_seconds: float | None
    stored: int
    mismatched: list[str] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return sorted(x for c in self.calls for x in c.latencies)

    @property
    def errors(self) -> list[str]:
        return [e for c in self.calls for e in c.errors] + self.mismatched


def run_storm(base: str, redis_url: str, database_url: str, calls: int, window: float,
              speed: float, processes: int = 4, drain_timeout: float = 180.0) -> StormResult:
    """``calls`` simulated calls arriving over ``window`` s; then wait for the log to drain."""
    scripts = chain_scripts()
    start = time.time() + 1.0
    plan = [(scripts[i % len(scripts)], start + window * i / calls) for i in range(calls)]
    shares = [(base, speed, plan[p::processes]) for p in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        summaries = [c for part in pool.map(_process, shares) for c in part]
    last_end = max(c.ended_at for c in summaries)
    drained, stored, mismatched = wait_for_log(redis_url, database_url, summaries, drain_timeout)
    return StormResult(summaries, last_end - start, drained - last_end if drained else None,
                       stored, mismatched)


def wait_for_log(redis_url: str, database_url: str, calls: list[CallSummary],
                 timeout: float) -> tuple[float | None, int, list[str]]:
    """Poll until the queue is empty and every call is stored as the simulator saw it."""
    engine = create_engine(database_url)
    redis = Redis.from_url(redis_url)
    queue = event_queue(redis, EVENT_QUEUE)
    wanted = {c.call_sid: c for c in calls if c.call_sid}
    deadline = time.time() + timeout
    problems: list[str] = []
    stored = 0
    try:
        while time.time() < deadline:
            busy = jobs_outstanding(queue)
            problems, stored = _compare(engine, wanted)
            if not busy and not problems:
                return time.time(), stored, []
            time.sleep(0.2)
        return None, stored, problems[:5] + ([f"... {len(problems) - 5} more"] if len(problems) > 5 else [])
    finally:
        engine.dispose()
        redis.close()


def _compare(engine, wanted: dict[str, CallSummary]) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        outcomes = dict(conn.execute(select(Call.call_sid, Call.outcome)).all())
        attempts = dict(conn.execute(select(Attempt.call_sid, func.count())
                                     .group_by(Attempt.call_sid)).all())
    problems = []
    for sid, call in wanted.items():
        if sid not in outcomes:
            problems.append(f"{sid}: not stored")
        elif call.outcome and outcomes[sid] != call.outcome:
            problems.append(f"{sid}: stored as {outcomes[sid]}, was {call.outcome}")
        elif attempts.get(sid, 0) != call.dialed:
            problems.append(f"{sid}: {attempts.get(sid, 0)} attempts stored, {call.dialed} dialled")
    return problems, len(outcomes)


def summary_figures(result: StormResult) -> dict[str, float]:
    latencies = result.latencies
    counts = [c.twiml for c in result.calls]
    return {
        "calls": len(result.calls),
        "requests": len(latencies),
        "twiml_min": min(counts, default=0), "twiml_max": max(counts, default=0),
        "connected": sum(c.outcome == "connected" for c in result.calls),
        "voicemail": sum(c.outcome == "voicemail" for c in result.calls),
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] if latencies else 0.0) * 1000,
        "errors": len(result.errors), "seconds": result.seconds,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.logpipe import fresh_database
    from bench.stack import start_gunicorn, start_workers, workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--window", type=float, default=30.0, help="seconds the calls arrive over")
    parser.add_argument("--speed", type=float, default=2.0, help="times Twilio's pace")
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args(argv)
    with workspace() as space:
        database = fresh_database(space, "storm")
        web = start_gunicorn(space, "storm-web", "app.wsgi:application", DATABASE_URL=database)
        start_workers(space, 2, DATABASE_URL=database)
        result = run_storm(web.base, space.redis.url, database, args.calls, args.window,
                           args.speed, args.processes)
    print(summary_figures(result), f"errors: {len(result.errors)}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
