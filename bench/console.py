"""Benchmark: the admin console's pages over a generated call log (bench/calllog.py), on SQLite
and PostgreSQL: median and p95 of several requests per page, the CSV export's rows/s, and the
process's peak memory after the pages and after the CSV (flat: the same at 100k and at 1M).

``python bench/console.py --calls 100000 [--database sqlite|postgresql|both]``; with
``--database-url URL`` an already filled database of any size is measured (filled with
``--calls`` first when empty); its log must end at ``END``, as ``bench/calllog.py --end
2026-12-01T12:00`` makes it.
Requests go through the app in this process (Flask's test client): the figures are the app's
and the database's, without HTTP.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `app` and `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.config import load_config  # noqa: E402
from app.eventlog.port import MemorySink  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.storage import dispose_engines, get_engine, upgrade  # noqa: E402
from app.storage.accounts import User  # noqa: E402
from app.storage.models import Call  # noqa: E402
from app.storage.users import add_user  # noqa: E402
from app.web import create_app  # noqa: E402
from bench.calllog import DAYS, RARE_CALLER, fill  # noqa: E402
from bench.postgres import create_database, postgres_server  # noqa: E402
from bench.stack import AUTH_TOKEN, DEMO_CONFIG, SECRET_KEY  # noqa: E402

END = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the log's last day; the console's "now"
PASSWORD = "bench console password"
# Budgets at a million calls on the 2-core machine (issue 14), milliseconds at p95.
LIST_BUDGET, OVERVIEW_BUDGET, REPORT_BUDGET = 150.0, 500.0, 1000.0
# (calls, requests per page) for bench/run.py's sizes; a million: run this file with --calls.
CONSOLE_SIZES = {"full": (100_000, 9), "quick": (20_000, 3), "smoke": (2_000, 1)}


@dataclass(frozen=True)
class Timing:
    database: str
    page: str
    median_ms: float
    p95_ms: float
    budget_ms: float
    note: str = ""
    cpu_ms: float = 0.0  # this process's CPU (the app, and SQLite, which runs in it): the load
    #                      of others on the machine barely moves it

    @property
    def ok(self) -> bool:
        return self.p95_ms <= self.budget_ms


def pages(sid: str) -> list[tuple[str, str, float]]:
    """(name, URL, budget at 1M calls) of what an admin opens."""
    week = "from=2026-06-01&to=2026-06-07"
    return [
        ("calls list, first page", "/admin/calls", LIST_BUDGET),
        ("calls list, contract (largest)", "/admin/calls?contract=acme", LIST_BUDGET),
        ("calls list, contract (small)", "/admin/calls?contract=c040", LIST_BUDGET),
        ("calls list, outcome voicemail", "/admin/calls?outcome=voicemail", LIST_BUDGET),
        ("calls list, outcome missed", "/admin/calls?outcome=missed", LIST_BUDGET),
        ("calls list, engineer", "/admin/calls?engineer=erin", LIST_BUDGET),
        ("calls list, caller search", f"/admin/calls?caller={RARE_CALLER.replace('+', '%2B')}",
         LIST_BUDGET),
        ("calls list, a week", f"/admin/calls?{week}", LIST_BUDGET),
        ("calls list, page 1000", "/admin/calls?page=1000", LIST_BUDGET),
        ("a call's page", f"/admin/calls/{sid}", LIST_BUDGET),
        ("overview, 14 days", "/admin/?days=14", OVERVIEW_BUDGET),
        ("overview, 90 days", "/admin/?days=90", OVERVIEW_BUDGET),
        ("follow-ups", "/admin/follow-ups", LIST_BUDGET),
        ("SLA report, largest contract's quarter (half the log)",
         "/admin/reports/sla?contract=acme&period=2026-Q3", REPORT_BUDGET),
        ("SLA report, second contract's quarter (a sixth)",
         "/admin/reports/sla?contract=globex&period=2026-Q3", REPORT_BUDGET),
        ("allowance report, a month", "/admin/allowances?period=2026-11", REPORT_BUDGET),
    ]


def console(url: str) -> tuple[Flask, Any]:
    """The app on ``url`` at the log's end, and a client signed in as an admin."""
    settings = replace(Settings.from_env({"HOTLINE_CONFIG": str(DEMO_CONFIG),
                                          "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                                          "SECRET_KEY": SECRET_KEY}), database_url=url)
    _ensure_admin(url)
    app = create_app(settings, load_config(DEMO_CONFIG), MemorySink(), clock=lambda: END,
                     TESTING=True, ADMIN_COOKIE_SECURE=False, EXPORT_SECONDS=600.0)
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/admin/login", data={"username": "bench", "password": PASSWORD,
                                               "csrf_token": token})
    assert answer.status_code == 303, answer.status_code
    return app, client


def _ensure_admin(url: str) -> None:
    with Session(get_engine(url)) as session:
        if session.scalar(select(User.id).where(User.username == "bench")) is None:
            add_user(session, "bench", PASSWORD, "admin")
            session.commit()


def timed(client: Any, url: str, repeat: int) -> tuple[float, float, float]:
    """Median and p95 in ms of ``repeat`` requests (after one to warm the caches), and the
    median CPU time of this process per request."""
    samples, cpu = [], []
    for i in range(repeat + 1):
        began, cpu_began = time.perf_counter(), time.process_time()
        response = client.get(url)
        body = response.get_data()
        took = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (url, response.status_code, body[:300])
        if i:
            samples.append(took)
            cpu.append((time.process_time() - cpu_began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, statistics.median(cpu)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def csv_rate(client: Any) -> tuple[float, int, float, float]:
    """(rows/s, rows, wall seconds, CPU seconds) of the CSV of the log's last year."""
    began, cpu_began = time.perf_counter(), time.process_time()
    response = client.get("/admin/calls.csv?from=2025-12-01&to=2026-11-30", buffered=False)
    rows = sum(chunk.count(b"\n") for chunk in response.iter_encoded()) - 1  # not held whole
    response.close()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return rows / seconds, rows, seconds, cpu


def stored_calls(url: str) -> tuple[int, datetime | None]:
    """How many calls the log at ``url`` holds, and when its last one started."""
    with Session(get_engine(url)) as session:
        count, last = session.execute(select(func.count(), func.max(Call.started_at))).one()
    return count, last


def measure(url: str, calls: int, repeat: int, label: str) -> list[Timing]:
    """The pages over the log at ``url``, filled with ``calls`` calls first when it is empty."""
    upgrade(url)
    engine = get_engine(url)
    stored, last = stored_calls(url)
    if not stored:
        fill(engine, calls, END)
        stored, last = stored_calls(url)
    step = timedelta(days=DAYS) / stored  # bench/calllog.py's: a call per step, the last ending at END
    if last is None or not END - step <= last <= END:
        raise SystemExit(f"the log's last call started at {last}, the console's now is {END}: "
                         f"fill it with bench/calllog.py --end {END:%Y-%m-%dT%H:%M}")
    _app, client = console(url)
    with Session(engine) as session:  # a call from the middle of the log, whatever its size
        sid = session.scalar(select(Call.call_sid).order_by(Call.call_sid)
                             .offset(stored // 2).limit(1))
    out = []
    for name, page_url, budget in pages(sid or "CA0"):
        median, p95, cpu = timed(client, page_url, repeat)
        out.append(Timing(label, name, median, p95, budget, cpu_ms=cpu))
    out.append(Timing(label, "peak memory after every page", 0.0, 0.0, 0.0,
                      f"{peak_rss_mib():.0f} MiB"))
    rate, rows, seconds, cpu = csv_rate(client)
    out.append(Timing(label, "CSV of a year", seconds * 1000, seconds * 1000, 0.0,
                      f"{rows} rows, {rate:,.0f} rows/s ({rows / cpu:,.0f} per CPU second)"))
    out.append(Timing(label, "peak memory after the CSV too", 0.0, 0.0, 0.0,
                      f"{peak_rss_mib():.0f} MiB"))
    dispose_engines()
    return out


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'console.db'}"
        return
    with postgres_server() as server:
        try:
            yield create_database(server, "console")
        finally:
            dispose_engines()


def run(calls: int, kinds: tuple[str, ...], repeat: int, url: str | None = None) -> list[Timing]:
    if url:
        return measure(url, calls, repeat, url.split(":", 1)[0].split("+")[0])
    out: list[Timing] = []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="hotline-console-") as folder, \
                database(kind, Path(folder)) as db_url:
            out += measure(db_url, calls, repeat, kind)
    return out


def render(timings: list[Timing], calls: int) -> str:
    lines = [f"console at {calls:,} calls",
             "| database | page | median ms | p95 ms | CPU ms | budget (1M) |",
             "|---|---|---:|---:|---:|---|"]
    for t in timings:
        if t.note:
            lines.append(f"| {t.database} | {t.page} | {t.note} | | | |")
        else:
            lines.append(f"| {t.database} | {t.page} | {t.median_ms:.0f} | {t.p95_ms:.0f} | "
                         f"{t.cpu_ms:.0f} | ≤ {t.budget_ms:.0f} {'ok' if t.ok else 'OVER'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="calls in the log (100000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", default=None, help="measure this database instead")
    parser.add_argument("--repeat", type=int, default=9, help="requests per page (9)")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    timings = run(args.calls, kinds, args.repeat, args.database_url)
    calls = stored_calls(args.database_url)[0] if args.database_url else args.calls
    print(render(timings, calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
