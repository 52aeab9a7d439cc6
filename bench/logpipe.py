"""Benchmark 3: the log pipeline, events persisted per second by RQ workers, against SQL alone.

The events are real: whole calls run in-process through the app (simulator, in-memory sink).
They are queued the way the web tier hands them off, as one job per webhook (a quiet hour) or
with many calls' webhooks per job (the event sink's batching under load), and then two RQ
workers drain the queue into a fresh SQLite database. The floor inserts the same rows, in the
same batches, straight into the same kind of database. The floor and ``store_events`` in one
process each run in a fresh interpreter, like a worker's.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis import Redis

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.calls.events import Event  # noqa: E402
from app.eventlog.queueing import enqueue_batch, event_queue  # noqa: E402
from app.settings import EVENT_QUEUE  # noqa: E402
from app.storage import dispose_engines, get_engine, store_events, upgrade  # noqa: E402
from app.storage.log_statements import statements_of  # noqa: E402
from app.storage.store import _valid_rows  # noqa: E402
from bench.stack import (  # noqa: E402
    ACME,
    AUTH_TOKEN,
    DEMO_CONFIG,
    HOTLINE,
    Workspace,
    jobs_outstanding,
    start_workers,
)


def call_webhooks(calls: int) -> list[list[list[Event]]]:
    """Per call, the events of each of its webhooks, from whole calls run in-process."""
    from app.config import load_config
    from app.devtools.simulator import FlaskClientTransport, NoAnswer, Simulator
    from app.eventlog.port import MemorySink
    from app.guard.port import LocalGuard
    from app.settings import Settings
    from app.storage.overrides import OverrideCache
    from app.web import create_app
    from bench.storm import chain_scripts

    settings = Settings(config_path=DEMO_CONFIG, redis_url=None, auth_tokens=(AUTH_TOKEN,),
                        account_sid=None, public_base_url=None, secret_key="bench",
                        trusted_proxies=0, spool_path=Path("/nonexistent/spool.jsonl"))

    class PerWebhook(MemorySink):
        def __init__(self) -> None:
            super().__init__()
            self.webhooks: list[list[Event]] = []

        def emit(self, events: list[Event]) -> None:
            self.webhooks.append(list(events))

    sink = PerWebhook()
    app = create_app(settings, load_config(DEMO_CONFIG), sink, overrides=OverrideCache(None))
    app.extensions["hotline"].guard = LocalGuard()
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN,
                    voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    clock_start=datetime.now(UTC).replace(microsecond=0), default_phone=NoAnswer())
    scripts = chain_scripts()
    out: list[list[list[Event]]] = []
    for i in range(calls):
        sink.webhooks = []
        sim.place_call(ACME, HOTLINE, phones=scripts[i % len(scripts)])
        out.append(sink.webhooks)
    return out


def jobs_per_webhook(calls: list[list[list[Event]]]) -> list[list[Event]]:
    """Calls overlapping in time, each webhook's events one job (what a quiet web tier sends)."""
    longest = max(len(c) for c in calls)
    return [c[i] for i in range(longest) for c in calls if i < len(c)]


def jobs_batched(calls: list[list[list[Event]]], webhooks_per_job: int) -> list[list[Event]]:
    """The same webhooks, ``webhooks_per_job`` of them in each job (the sink under load)."""
    single = jobs_per_webhook(calls)
    return [[e for hook in single[i:i + webhooks_per_job] for e in hook]
            for i in range(0, len(single), webhooks_per_job)]


@dataclass(frozen=True)
class PipeResult:
    name: str
    events: int
    jobs: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def floor(database_url: str, jobs: list[list[Event]], name: str) -> PipeResult:
    """The same rows inserted straight into the events table, one transaction per job."""
    engine = get_engine(database_url)
    statement = statements_of(engine.dialect.name)["events"]
    rows = [sorted(_valid_rows(job).values(), key=lambda r: r["key"]) for job in jobs]
    began = time.perf_counter()
    for batch in rows:
        with engine.begin() as conn:
            conn.execute(statement, batch).all()
    seconds = time.perf_counter() - began
    dispose_engines()
    return PipeResult(name, sum(len(r) for r in rows), len(rows), seconds)


def in_process(database_url: str, jobs: list[list[Event]], name: str) -> PipeResult:
    """``store_events`` for each job in this process: the SQL and the rebuilds, no RQ."""
    engine = get_engine(database_url)
    began = time.perf_counter()
    for job in jobs:
        store_events(engine, job)
    seconds = time.perf_counter() - began
    dispose_engines()
    return PipeResult(name, sum(len(j) for j in jobs), len(jobs), seconds)


def in_fresh_process(measure: Callable[[str, list[list[Event]], str], PipeResult], url: str,
                     jobs: list[list[Event]], name: str) -> PipeResult:
    """``measure`` in a new interpreter holding only the app and the jobs, as a log worker
    does: in this process, which simulated the calls, the garbage collector would scan their
    objects again and again and charge it to whichever side allocates more."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure, url, jobs, name).result()


def through_rq(space: Workspace, database_url: str, jobs: list[list[Event]], name: str,
               worker_class: str, workers: int = 2, timeout: float = 300.0) -> PipeResult:
    """Queue every job, then ``workers`` burst workers drain it; timed from the first take."""
    redis = Redis.from_url(space.redis.url)
    redis.flushdb()
    queue = event_queue(redis, EVENT_QUEUE)
    for job in jobs:
        enqueue_batch(queue, job)
    total = queue.count
    procs = start_workers(space, workers, worker_class, burst=True, DATABASE_URL=database_url)
    first = last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.monotonic()
        if first is None and queue.count < total:
            first = now
        if first is not None and not jobs_outstanding(queue):
            last = now
            break
        time.sleep(0.01)
    for process in procs:
        space.stop(process)
    failed = redis.zcard(f"rq:failed:{EVENT_QUEUE}")
    redis.close()
    if last is None or first is None or failed:
        raise RuntimeError(f"{name}: the queue did not drain ({failed} failed jobs)")
    return PipeResult(name, sum(len(j) for j in jobs), len(jobs), last - first)


def fresh_database(space: Workspace, label: str, postgres: str | None = None) -> str:
    """A new migrated database: SQLite in the workspace, or one on the ``postgres`` server."""
    if postgres:
        from bench.postgres import create_database

        url = create_database(postgres, f"log_{label}")
    else:
        url = f"sqlite:///{space.root / f'log-{label}.db'}"
    upgrade(url)
    dispose_engines()
    return url


def stored_events(database_url: str) -> int:
    from sqlalchemy import func, select

    from app.storage.models import EventRecord

    with get_engine(database_url).connect() as conn:
        count = conn.scalar(select(func.count()).select_from(EventRecord))
    dispose_engines()
    return int(count or 0)


def run_pipeline(space: Workspace, calls: int, fork_jobs: int, webhooks_per_job: int = 20,
                 postgres: str | None = None, webhooks: list[list[list[Event]]] | None = None,
                 ) -> dict[str, Any]:
    """Every row of the log-pipeline table, on SQLite or on the ``postgres`` server; also
    checks each run stored every event."""
    webhooks = webhooks or call_webhooks(calls)
    single = jobs_per_webhook(webhooks)
    batched = jobs_batched(webhooks, webhooks_per_job)
    results: list[PipeResult] = []
    plans = [
        ("floor", "SQL only: INSERT the rows, per webhook", single),
        ("floor", "SQL only: INSERT the rows, batched", batched),
        ("direct", "store_events in one process, batched", batched),
        ("fork", "RQ Worker (fork) x2, one job per webhook", single[:fork_jobs]),
        ("simple", "RQ SimpleWorker x2, one job per webhook", single),
        ("simple", "RQ SimpleWorker x2, batched", batched),
    ]
    for i, (kind, name, jobs) in enumerate(plans):
        url = fresh_database(space, str(i), postgres)
        if kind == "floor":
            result = in_fresh_process(floor, url, jobs, name)
        elif kind == "direct":
            result = in_fresh_process(in_process, url, jobs, name)
        else:
            result = through_rq(space, url, jobs, name, kind)
        if stored_events(url) != len({e["key"] for job in jobs for e in job}):
            raise RuntimeError(f"{name}: not every event was stored")
        results.append(result)
    return {"results": results, "events_per_call": sum(len(j) for j in single) / calls,
            "webhooks_per_job": webhooks_per_job}


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.postgres import postgres_server
    from bench.stack import workspace

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--fork-jobs", type=int, default=300, help="jobs for the forking workers")
    parser.add_argument("--postgresql", action="store_true",
                        help="on a throwaway PostgreSQL server instead of SQLite")
    args = parser.parse_args(argv)
    with workspace() as space, contextlib.ExitStack() as stack:
        server = stack.enter_context(postgres_server()) if args.postgresql else None
        out = run_pipeline(space, args.calls, args.fork_jobs, postgres=server)
    for r in out["results"]:
        print(f"{r.name} ({r.jobs} jobs): {r.per_second:.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
