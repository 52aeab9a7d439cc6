"""SLA figures from calls placed through the simulator and stored in SQLite and PostgreSQL; the
report's query reads one contract's calls of the period through its index."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, text

from app.config import HotlineConfig
from app.schedule.periods import parse_period
from app.settings import Settings
from app.sla.report import SlaReport
from app.storage import get_engine, upgrade
from app.storage.models import Call, EventRecord
from app.storage.sla import contract_report, grouped, period_calls, reference_report, sla_statement
from app.storage.sla_hours import late_class
from tests.support.sla import answer_times, explain, place, pressed_at, sla_config, store_with_follow_ups


@pytest.fixture
def config() -> HotlineConfig:
    return sla_config()


@pytest.fixture
def placed(settings: Settings, config: HotlineConfig, db_url: str) -> dict[str, Any]:
    """The December calls, stored, with two voicemails marked handled; their simulator results."""
    events, results = place(settings, config)
    store_with_follow_ups(get_engine(db_url), events, results)
    return results


def report(db_url: str, config: HotlineConfig, contract: str, period: str) -> SlaReport:
    return contract_report(get_engine(db_url), config, config.contracts[contract],
                           parse_period(period))


def test_acme_answered_calls_counted_against_its_own_target(
        db_url: str, config: HotlineConfig, placed: dict[str, Any]) -> None:
    """ACME (24/7, 50 % within 45 s, every call counts): the figures are what the simulator
    did, from the call reaching the hotline to the engineer's key press."""
    december = report(db_url, config, "acme", "2026-12")
    answered = ["dec-first", "quick", "second-step", "third-step", "saturday-night"]
    pressed = sorted(pressed_at(placed[name]) for name in answered)
    assert (december.calls, december.counted, december.answered) == (7, 7, 5)
    assert answer_times(december) == pytest.approx(pressed, abs=0.5)
    assert december.answered_within == sum(1 for p in pressed if p <= 45) == 4
    assert december.median == pytest.approx(statistics.median(pressed), abs=0.5)
    assert december.longest == pytest.approx(max(pressed), abs=0.5)
    assert december.within_rate == pytest.approx(4 / 7) and december.met is True
    # 00:10 on 1 December in Berlin is still 30 November in UTC; Saturday 23:00 is out of hours.
    assert december.out_of_hours == december.out_of_hours_answered == 2
    assert december.rejected == december.in_progress == 0  # the blocklisted call is nobody's


def test_acme_missed_calls_say_how_long_the_caller_waited(
        db_url: str, config: HotlineConfig, placed: dict[str, Any]) -> None:
    december = report(db_url, config, "acme", "2026-12")
    hung_up, voicemail = december.missed
    assert (hung_up.call_sid, hung_up.outcome, hung_up.counted) == (
        placed["hung-up"].call_sid, "abandoned", True)
    assert hung_up.waited == pytest.approx(12.0)
    assert hung_up.handled_after is None
    # Four phones rang out before the voicemail began: the wait ended with the last of them.
    last_ring = max(e.at for e in placed["voicemail"].events if e.kind == "dial_result")
    assert voicemail.outcome == "voicemail" and voicemail.waited == pytest.approx(last_ring, abs=0.5)
    assert voicemail.handled_after == 30 * 60
    assert (december.voicemails, december.voicemails_handled) == (1, 1)
    assert december.handled_median == december.handled_longest == 30 * 60


def test_globex_counts_in_hours_calls_only(
        db_url: str, config: HotlineConfig, placed: dict[str, Any]) -> None:
    """Globex (business hours, default 80 % within 120 s): the calls that heard "closed" are out
    of hours and not counted, the emergency one answered after "press 1" included."""
    december = report(db_url, config, "globex", "2026-12")
    assert (december.calls, december.counted, december.answered, december.answered_within) == (
        5, 3, 1, 1)
    assert answer_times(december) == pytest.approx([pressed_at(placed["g-in-hours"])], abs=0.5)
    assert (december.out_of_hours, december.out_of_hours_answered) == (2, 1)
    assert december.met is False and (december.target.seconds, december.target.percent) == (120, 80)
    missed = {m.call_sid: m for m in december.missed}
    closed = missed[placed["g-closed-voicemail"].call_sid]
    assert (closed.counted, closed.outcome, closed.handled_after) == (False, "voicemail", 7200)
    assert missed[placed["g-hung-up"].call_sid].waited == pytest.approx(30.0)
    assert [m.counted for m in december.missed] == [False, True, True]  # oldest first
    assert (december.voicemails, december.voicemails_handled, december.missed_counted) == (2, 1, 2)


def test_periods_are_local_days(db_url: str, config: HotlineConfig, placed: dict[str, Any]) -> None:
    november = report(db_url, config, "acme", "2026-11")
    quarter = report(db_url, config, "acme", "2026-Q4")
    first_day = report(db_url, config, "acme", "2026-12-01..2026-12-01")
    assert [m.calls for m in (november, quarter, first_day)] == [1, 8, 1]
    assert answer_times(november) == pytest.approx([pressed_at(placed["nov-late"])], abs=0.5)
    assert answer_times(first_day) == pytest.approx([pressed_at(placed["dec-first"])], abs=0.5)
    empty = report(db_url, config, "acme", "2027-01")
    assert (empty.calls, empty.met, empty.median, empty.answer_rate) == (0, None, None, None)


@pytest.mark.parametrize("contract", ["acme", "globex"])
def test_the_counted_report_equals_the_reference_on_the_placed_calls(
        db_url: str, config: HotlineConfig, placed: dict[str, Any], contract: str) -> None:
    for period in ("2026-12", "2026-Q4"):
        assert report(db_url, config, contract, period) == reference_report(
            get_engine(db_url), config, config.contracts[contract], parse_period(period))


# --- the query ------------------------------------------------------------------------------

CONTRACTS, PER_CONTRACT = 40, 500  # 20,000 calls over a year, 500 per contract


@pytest.fixture
def crowded(db_url: str) -> Iterator[str]:
    """A year of calls of forty contracts, the planner's statistics up to date."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [{"call_sid": f"CA{c:04d}{i:06d}", "contract": f"c{c}", "outcome": "connected",
             "started_at": start + timedelta(hours=(i * 17 + c) % (365 * 24))}
            for c in range(CONTRACTS) for i in range(PER_CONTRACT)]
    engine = get_engine(db_url)
    with engine.begin() as conn:
        conn.execute(insert(Call), rows)
        conn.execute(text("ANALYZE"))
    yield db_url


def test_the_report_reads_the_contract_of_the_period_through_its_index(crowded: str) -> None:
    quarter = parse_period("2026-Q4").bounds(ZoneInfo("UTC"))
    stmt = sla_statement("c7", *quarter)
    with get_engine(crowded).connect() as conn:
        plan = explain(conn, stmt)
        rows = conn.execute(stmt).all()
    assert "ix_calls_contract_started_at" in plan, plan
    assert "SCAN calls" not in plan and "Seq Scan on calls" not in plan, plan
    assert 0 < len(rows) < PER_CONTRACT / 3
    assert {r.call_sid[:6] for r in rows} == {"CA0007"}


def test_the_counting_query_reads_the_contract_of_the_period_through_its_index(
        crowded: str, config: HotlineConfig) -> None:
    """The query that counts the calls (its out-of-hours class from business hours) too."""
    start, end = parse_period("2026-Q4").bounds(ZoneInfo("UTC"))
    late = late_class(config, config.contracts["acme"], start, end)
    with get_engine(crowded).connect() as conn:
        plan = explain(conn, grouped(period_calls("c7", start, end, late, conn.dialect.name)))
    assert "ix_calls_contract_started_at" in plan, plan
    assert "SCAN calls" not in plan and "Seq Scan on calls" not in plan, plan


def test_migration_fills_the_waits_of_calls_stored_before_it(
        empty_db: str, settings: Settings, config: HotlineConfig) -> None:
    """Calls logged before revision 0007 get their wait and out-of-hours flag from their events."""
    events, results = place(settings, config)
    upgrade(empty_db, "0006")
    rows = [{**e, "at": datetime.fromisoformat(e["at"])} for e in events]
    engine = get_engine(empty_db)
    with engine.begin() as conn:
        conn.execute(insert(EventRecord.__table__), rows)
        conn.execute(text("INSERT INTO calls (call_sid) SELECT DISTINCT call_sid FROM events"))
    upgrade(empty_db)
    with engine.connect() as conn:
        stored = {r.call_sid: r for r in conn.execute(
            select(Call.call_sid, Call.waited_seconds, Call.out_of_hours))}
    assert stored[results["hung-up"].call_sid].waited_seconds == pytest.approx(12.0)
    assert stored[results["quick"].call_sid].waited_seconds == pytest.approx(
        pressed_at(results["quick"]), abs=0.5)
    assert stored[results["g-closed-voicemail"].call_sid].out_of_hours is True
    assert stored[results["quick"].call_sid].out_of_hours is False
    assert stored[results["blocked"].call_sid].waited_seconds is None
