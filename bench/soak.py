"""``python bench/soak.py --calls 3000``: the soak of tests/stack/test_soak.py at a larger size.

Starts the stack as the Procfile runs it (gunicorn, RQ workers, the embedded Redis with AOF, and
SQLite or a throwaway PostgreSQL), places the calls with random outcomes from a thread pool, waits
for the call log to drain, compares it with what every simulated phone did and prints a summary.
Exits 1 when a webhook failed or was answered with the safe document (our code failed inside
it), somebody was rung twice in a pass, or the log is wrong.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine  # noqa: E402

from app.storage import dispose_engines, get_engine, upgrade  # noqa: E402
from tests.support.public import (  # noqa: E402
    CallDriver,
    PostgresProcess,
    RedisProcess,
    Stack,
    drain_log,
    latency_ms,
    log_idle,
    random_plan,
    settled_backlog,
    stored_calls,
    write_soak_config,
)

# What the web tier logs when a voice webhook fails inside and it answers the safe document
# (app/web/voice/views.py, safe_answer): the caller still reaches a person, the soak sees 200.
SAFE_ANSWER_LINE = b"voice webhook failed; answering with the safe document"


@dataclass
class SoakReport:
    """What a soak run did and found; ``problems`` lists every way the log is wrong."""

    calls: int
    seconds: float
    requests: int
    failed_requests: int
    safe_answers: int
    p50_ms: float
    p99_ms: float
    outcomes: Counter[str]
    legs_dialed: int
    attempts: int
    drain_seconds: float
    problems: list[str]
    simulator_errors: list[str]
    rung_twice: list[str]
    backlog: dict[str, int]

    def table(self) -> str:
        rows = [
            ("calls", f"{self.calls}"),
            ("calls/s", f"{self.calls / self.seconds:.1f}"),
            ("webhooks", f"{self.requests} ({self.requests / self.seconds:.0f}/s), "
                         f"{self.failed_requests} failed, {self.safe_answers} safe answers"),
            ("webhook latency", f"p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"),
            ("outcomes", ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))),
            ("legs dialed", f"{self.legs_dialed}"),
            ("attempts logged", f"{self.attempts}"),
            ("log drained", f"{self.drain_seconds:.1f} s after the last call"),
            ("log problems", f"{len(self.problems)}"),
            ("rung twice", f"{len(self.rung_twice)}"),
            ("backlog", ", ".join(f"{k} {v}" for k, v in self.backlog.items())),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def run_soak(stack: Stack, engine: Engine, redis_url: str, calls: int, seed: int,
             threads: int = 8, drain_timeout: float = 120.0) -> SoakReport:
    """Place ``calls`` random calls against ``stack`` and compare the call log with them."""
    rng = random.Random(seed)
    plans = [random_plan(rng) for _ in range(calls)]
    driver = CallDriver(stack.base_url, seed=seed)
    web_log = web_log_size(stack)
    start = time.monotonic()
    placed = driver.run(plans, threads)
    seconds = time.monotonic() - start
    drained, problems = drain_log(engine, placed, drain_timeout,
                                  log_idle(redis_url, stack.spool_dir))
    p50, p99 = latency_ms(driver.timings)
    stored = stored_calls(engine, [c.result.call_sid for c in placed])
    return SoakReport(
        calls=calls, seconds=seconds, requests=len(driver.timings),
        failed_requests=len(driver.failed_requests()),
        safe_answers=safe_answers(stack, since=web_log), p50_ms=p50, p99_ms=p99,
        outcomes=Counter(str(s.outcome) for s in stored.values()),
        legs_dialed=sum(len(c.result.dialed) for c in placed),
        attempts=sum(len(s.attempts) for s in stored.values()),
        drain_seconds=drained, problems=problems,
        simulator_errors=[f"{c.result.call_sid}: {e}" for c in placed for e in c.result.errors],
        rung_twice=[c.result.call_sid for c in placed
                    if len(set(c.result.dialed)) != len(c.result.dialed)],
        backlog=settled_backlog(redis_url, stack.spool_dir),
    )


def web_log_size(stack: Stack) -> int:
    return stack.web.log_path.stat().st_size if stack.web else 0


def safe_answers(stack: Stack, since: int = 0) -> int:
    """Webhooks answered with the safe document after ``since`` bytes of the web tier's log."""
    if stack.web is None:
        return 0
    with stack.web.log_path.open("rb") as log:
        log.seek(since)
        return log.read().count(SAFE_ANSWER_LINE)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls to place (3000)")
    parser.add_argument("--threads", type=int, default=8, help="calls in flight at once (8)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--log-workers", type=int, default=2, help="RQ log workers (2)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite",
                        help="SQLite file, or a throwaway PostgreSQL server (sqlite)")
    parser.add_argument("--seed", type=int, default=11, help="random outcomes from this seed")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the database")
    return parser.parse_args(argv)


def soak(args: argparse.Namespace, workdir: Path) -> SoakReport:
    postgres = PostgresProcess(workdir) if args.database == "postgres" else None
    database = postgres.url if postgres else f"sqlite:///{workdir / 'log.db'}"
    redis = RedisProcess(workdir / "redis")
    try:
        upgrade(database)
        redis.start()
        config = write_soak_config(workdir / "hotline.toml")
        with Stack(workdir, database, redis.url, config, web_workers=args.web_workers) as stack:
            stack.start(workers=args.log_workers)
            drain_timeout = 120 + args.calls / 10
            return run_soak(stack, get_engine(database), redis.url, args.calls, args.seed,
                            args.threads, drain_timeout)
    finally:
        redis.stop()
        dispose_engines()
        if postgres:
            postgres.remove()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="hotline-soak-"))
    started = time.monotonic()
    try:
        report = soak(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"soak: {args.calls} calls, {args.threads} in flight, {args.web_workers} web and "
          f"{args.log_workers} log workers, {args.database}, seed {args.seed} "
          f"({time.monotonic() - started:.0f} s in all)")
    print(report.table())
    for problem in (report.problems + report.simulator_errors)[:20]:
        print(f"  {problem}")
    if args.keep:
        print(f"logs and database kept in {workdir}")
    failed = (report.failed_requests or report.safe_answers or report.simulator_errors
              or report.rung_twice)
    return 1 if failed or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
