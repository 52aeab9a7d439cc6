"""The console's queries on both databases over a generated log: the overview's figures as SQL
aggregates equal the figures computed from every row, and the list's filters read indexes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.schedule.periods import day_start
from app.sla.histogram import histogram_of, histogram_quantile
from app.storage import get_engine
from app.storage.daily import aggregate_days, summed_days
from app.storage.models import Attempt, Call
from app.web.admin.filters import CallFilter, calls_query, page_of_calls
from app.web.admin.stats import quantile
from bench.calllog import fill
from tests.support.plugins.databases import sqlite_job_database

TZ = ZoneInfo("Europe/Berlin")
END = datetime(2026, 11, 2, 12, tzinfo=UTC)  # 90 days back cross the end of summer time


@pytest.fixture
def log(db_url: str) -> Engine:
    engine = get_engine(db_url)
    fill(engine, 2_000, END)
    return engine


def days_to(last: date, n: int) -> list[date]:
    return [last - timedelta(days=n - 1 - i) for i in range(n)]


def test_daily_aggregates_equal_the_figures_of_every_row(log: Engine) -> None:
    days = days_to(END.astimezone(TZ).date(), 90)
    bounds = [day_start(d, TZ) for d in days] + [day_start(days[-1] + timedelta(days=1), TZ)]
    with Session(log) as session:
        rows = session.execute(select(Call.started_at, Call.outcome, Call.time_to_answer_seconds)
                               .where(Call.started_at >= bounds[0], Call.started_at < bounds[-1])).all()
        per_day = aggregate_days(session.connection(), bounds)
        attempts = session.execute(select(Call.started_at, Attempt.person, Attempt.status).join(Call)
                                   .where(Call.started_at >= bounds[0], Call.started_at < bounds[-1])).all()
    index = {d: i for i, d in enumerate(days)}
    outcomes = Counter((index[at.astimezone(TZ).date()], outcome) for at, outcome, _ in rows)
    assert {(i, o): n for i, d in enumerate(per_day) for o, n in d.outcomes.items()} == outcomes
    assert sum(outcomes.values()) == len(rows) > 300
    times: dict[int, list[float]] = defaultdict(list)
    for at, outcome, tta in rows:
        if outcome == "connected" and tta is not None:
            times[index[at.astimezone(TZ).date()]].append(tta)
    assert {i: d.answer_tenths for i, d in enumerate(per_day) if d.answer_tenths} == {
        i: histogram_of(values) for i, values in times.items()}
    period = summed_days(per_day)
    every = [v for values in times.values() for v in values]
    for q in (0.5, 0.9):  # within the twentieth of a second the tenths round away
        assert histogram_quantile(period.answer_tenths, q) == pytest.approx(quantile(every, q), abs=0.0501)
    assert Counter(period.attempts) == Counter((p, s) for _, p, s in attempts)
    assert Counter((index[at.astimezone(TZ).date()], p, s) for at, p, s in attempts) == Counter(
        {(i, p, s): n for i, d in enumerate(per_day) for (p, s), n in d.attempts.items()})


def test_a_page_counts_no_further_than_twenty_pages_past_it(log: Engine) -> None:
    with Session(log) as session:
        first = page_of_calls(session, CallFilter(per_page=10))
        assert (first.total, first.more, len(first.calls)) == (200, True, 10)
        late = page_of_calls(session, CallFilter(per_page=10, page=190))
        assert (late.total, late.more, late.pages) == (2_000, False, 200)
        everything = session.scalars(calls_query(CallFilter())).all()
        assert [c.call_sid for c in late.calls] == [c.call_sid for c in everything[1890:1900]]


def test_an_engineers_calls_are_those_they_were_rung_for(log: Engine) -> None:
    with Session(log) as session:
        listed = [c.call_sid for c in session.scalars(calls_query(CallFilter(engineer="erin")))]
        rung = set(session.scalars(select(Attempt.call_sid).where(Attempt.person == "erin")))
    assert len(listed) == len(rung) > 100 and set(listed) == rung


@pytest.fixture
def sqlite_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """SQLite's plans only: PostgreSQL's depend on its statistics (decision 0021)."""
    for url in sqlite_job_database(tmp_path, monkeypatch, "plans.db"):
        engine = get_engine(url)
        fill(engine, 2_000, END)
        yield engine


@pytest.mark.parametrize("f", [CallFilter(), CallFilter(engineer="erin"),
                               CallFilter(caller="+493099999999"), CallFilter(outcome="voicemail"),
                               CallFilter(contract="globex")])
def test_first_pages_read_an_index_not_the_whole_table(sqlite_log: Engine, f: CallFilter) -> None:
    log = sqlite_log
    stmt = calls_query(f).limit(50)
    sql = str(stmt.compile(log, compile_kwargs={"literal_binds": True}))
    with log.connect() as conn:
        plan = " | ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "SCAN calls" not in plan.replace("SCAN calls USING INDEX", ""), plan
