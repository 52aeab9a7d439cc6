"""The benchmark harness in its smallest mode: every section runs and reports, nothing fails.

No timing is asserted: the figures of a run this small mean nothing. What counts is that
`python bench/run.py` still works end to end: servers start, the load, the storm, the log
workers and the scale measurements all produce their rows, and no request or call failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.postgres import bin_dir
from bench.run import SECTIONS, render, run_all

REPO = Path(__file__).resolve().parents[2]
BENCH_FILES = sorted(p.name for p in (REPO / "bench").glob("*.py") if p.name != "__init__.py")

pytestmark = pytest.mark.stack


def test_the_smallest_benchmark_run_reports_every_section_without_errors() -> None:
    report = run_all("smoke", SECTIONS, tool="python")

    sections = {row.section for row in report.rows}
    assert sections == {"webhook", "storm", "alerts", "memory", "log", "scale", "console"}
    assert report.errors == 0, [(r.name, r.errors) for r in report.rows if r.errors]

    names = [row.name for row in report.rows]
    assert sum("throughput" in n for n in names) == 2  # incoming call and dial result
    metered = next(r for r in report.rows if r.name.startswith("incoming call with metrics on / off"))
    assert metered.measured.endswith("ms") and metered.floor.endswith("ms"), metered
    assert all(float(x) > 0 for x in metered.ratio.removesuffix(" (p99)").split(" / ")), metered
    counted = next(r for r in report.rows if r.name.startswith("/metrics after the load"))
    assert counted.ok is True, counted.measured  # on for one hotline, off for the other
    assert any("log drained" in n for n in names)
    drained = next(r for r in report.rows if "log drained" in r.name)
    assert drained.ok is True, drained.measured  # every simulated call stored as it happened
    storm = next(r for r in report.rows if r.section == "storm" and "calls over" in r.name)
    assert storm.errors == 0 and storm.measured.startswith("p50")
    assert sum(r.section == "memory" for r in report.rows) == 4  # 2 web workers, 2 log workers
    log_rows = [r for r in report.rows if r.section == "log" and r.measured.endswith("events/s")]
    assert len(log_rows) == (8 if bin_dir() else 4)  # SQLite, and PostgreSQL where installed
    alert_rows = [r for r in report.rows if r.section == "alerts"]
    assert [r.ok for r in alert_rows] == [True, True, True], alert_rows  # no group called twice
    assert all(float(r.measured.split()[0]) > 0 for r in log_rows)
    assert len([r for r in report.rows if r.section == "scale"]) == 6
    console = [r for r in report.rows if r.section == "console"]
    assert len(console) == 19 * (2 if bin_dir() else 1)  # 16 pages, the CSV, 2 peaks; per database
    exports = [r for r in console if r.name.split(": ")[1].startswith("CSV of a year")]
    assert all(int(r.measured.split()[0]) > 1_500 for r in exports)  # 2,000 calls over 400 days

    table = render(report)
    assert table.count("\n| ") == len(report.rows) + 1  # a header and one line per row
    assert "nproc" in table and "load generator: python" in table


def test_a_job_taken_but_not_yet_started_still_counts_as_outstanding(redis_url: str) -> None:
    """RQ moves a job to the queue's intermediate list before it registers it as running: a
    drain check that missed it stopped the workers with a job in hand, and its events were lost."""
    from redis import Redis
    from rq import Queue

    from bench.stack import jobs_outstanding

    with Redis.from_url(redis_url) as redis:
        queue = Queue("events", connection=redis)
        job = queue.enqueue("builtins.print", "x")
        assert jobs_outstanding(queue) == 1
        assert Queue.lmove(redis, queue.key, timeout=None) is not None  # what a worker does first
        assert redis.llen(queue.key) == 0 and redis.zcard("rq:wip:events") == 0
        assert jobs_outstanding(queue) == 1
        redis.lrem(queue.intermediate_queue_key, 1, job.id)
        assert jobs_outstanding(queue) == 0


def test_the_floor_and_the_hotline_take_turns_going_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server measured second in a pair ran a few hundredths faster: the order alternates."""
    import bench.webhooks as webhooks
    from bench.loadgen import LoadResult
    from bench.stack import Server

    order: list[str] = []

    def load(base: str, requests: object, concurrency: int, seconds: float, tool: str) -> LoadResult:
        order.append(base)
        return LoadResult(requests=100, seconds=seconds, errors=0, p50_ms=1.0, p99_ms=2.0, max_ms=3.0)

    monkeypatch.setattr(webhooks, "run_load", load)
    monkeypatch.setattr(webhooks, "sign_all", lambda base, token, forms: [])
    app, floor = Server("app", 1, None), Server("floor", 2, None)  # type: ignore[arg-type]
    webhooks.compare(app, floor, 4, 0.1, 4, "python", distinct=2)
    firsts = [("app" if a.endswith(":1") else "floor") for a in order[::2]]
    assert firsts == ["floor", "floor", "app", "app", "floor", "floor", "app", "app"]


@pytest.mark.parametrize("name", BENCH_FILES)
def test_every_bench_file_runs_on_its_own(name: str) -> None:
    """``python bench/<file>.py --help`` from the repository root, as the README shows."""
    done = subprocess.run([sys.executable, f"bench/{name}", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: "), done.stdout
