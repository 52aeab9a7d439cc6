"""The SLA report counted in the database equals the reference computed from every call in
Python, on SQLite and PostgreSQL: lines with business hours of their own, a contract counting
in-hours calls, a quarter across the daylight-saving changes of two zones, holidays, times to
answer on the target and on the histogram's edges."""

from __future__ import annotations

import random
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tomli_w
from sqlalchemy import insert, text

from app.config import HotlineConfig, parse_config
from app.schedule.hours import open_intervals
from app.schedule.periods import parse_period
from app.storage import get_engine
from app.storage.accounts import FollowUp
from app.storage.models import Call
from app.storage.sla import contract_report, reference_report
from tests.support.sla import sla_config_text

QUARTER = parse_period("2026-Q4")
MAIN, PREMIUM, UNKNOWN = "+49305550100", "+49305550200", "+49305550999"
OUTCOMES = ("connected",) * 6 + ("voicemail", "abandoned", "callback", "called_back",
                                 "rejected", None)
EDGE_TIMES = (45.0, 44.95, 45.05, 12.3, 12.3, 0.0, 30.0, 29.999, 0.1)


def counts_config() -> HotlineConfig:
    """ACME (24/7, every call counts); its premium line open on New York hours, with a window
    past midnight; Initech (24/7) counting in-hours calls on the premium hours; Globex
    (business hours) by the stored flag."""
    data = tomllib.loads(sla_config_text())
    data["business_hours"]["late"] = {
        "timezone": "America/New_York", "closed_on": [datetime(2026, 11, 26).date()],
        "days": {"mon": "08:00-20:00", "tue": "08:00-20:00", "sat": "10:00-14:00",
                 "sun": "22:00-02:00"}}
    data["lines"]["premium"]["business_hours"] = "late"
    data["contracts"]["initech"] = {
        "name": "Initech", "pin": "9911", "numbers": ["+49 30 9999999"], "tier": "24/7",
        "business_hours": "late", "sla": {"answer_seconds": 30, "counts": "in-hours"}}
    return parse_config(tomli_w.dumps(data).encode(), source="counts.toml")


def probe_times(config: HotlineConfig) -> list[datetime]:
    """Instants on, just before and just after every opening and closing of both hours."""
    start, end = QUARTER.bounds(ZoneInfo("Europe/Berlin"))
    out = []
    for office in ("office", "late"):
        for span in open_intervals(config.business_hours[office].hours, start, end):
            for at in span:
                out += [at, at - timedelta(microseconds=1), at + timedelta(seconds=1)]
    return out


def call_rows(config: HotlineConfig, contract: str, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start, end = QUARTER.bounds(ZoneInfo("Europe/Berlin"))
    span = (end - start).total_seconds() + 2 * 86_400
    moments = probe_times(config) + [start - timedelta(days=1) + timedelta(seconds=rng.random()
                                                                           * span)
                                     for _ in range(300)]
    rows = []
    for i, started in enumerate(moments):
        outcome = rng.choice(OUTCOMES)
        tta = None
        if outcome == "connected" and rng.random() > 0.05:
            tta = rng.choice(EDGE_TIMES) if rng.random() < 0.3 else round(rng.uniform(0, 120), 3)
        rows.append({"call_sid": f"CA{contract}{i:06d}", "contract": contract,
                     "started_at": started.astimezone(UTC), "outcome": outcome,
                     "hotline_number": rng.choice((MAIN, PREMIUM, UNKNOWN, None)),
                     "time_to_answer_seconds": tta, "caller": f"+4930{i:07d}",
                     "waited_seconds": tta if tta is not None else round(rng.uniform(5, 90), 1),
                     "out_of_hours": rng.random() < 0.3,
                     "ended_at": None if outcome is None else started + timedelta(minutes=5)})
    return rows


@pytest.fixture
def stored(db_url: str) -> tuple[str, HotlineConfig]:
    config = counts_config()
    rows = [r for n, cid in enumerate(("acme", "globex", "initech"))
            for r in call_rows(config, cid, seed=n)]
    handled = [{"call_sid": r["call_sid"], "handled_at": r["ended_at"] + timedelta(hours=i % 7),
                "handled_by": "ann"}
               for i, r in enumerate(rows) if r["outcome"] in ("voicemail", "abandoned") and i % 3]
    with get_engine(db_url).begin() as conn:
        conn.execute(insert(Call), rows)
        conn.execute(insert(FollowUp), handled)
        conn.execute(text("ANALYZE"))
    return db_url, config


PERIODS = ("2026-Q4", "2026-10", "2026-10-25..2026-11-01", "2026-12-24..2026-12-26")


@pytest.mark.parametrize("contract", ["acme", "globex", "initech"])
def test_counted_report_equals_the_reference(stored: tuple[str, HotlineConfig],
                                             contract: str) -> None:
    url, config = stored
    engine, chosen = get_engine(url), config.contracts[contract]
    for period in map(parse_period, PERIODS):
        reference = reference_report(engine, config, chosen, period)
        assert contract_report(engine, config, chosen, period) == reference, period
        for listed in (0, 5):  # the page lists the first few, a CSV row none
            assert contract_report(engine, config, chosen, period, listed) == replace(
                reference, missed=reference.missed[:listed]), (period, listed)
    quarter = reference_report(engine, config, chosen, QUARTER)
    assert quarter.counted > 100 and quarter.missed_total > 5 and quarter.out_of_hours
    assert quarter.voicemails_handled
