"""The calls CSV reads the driver's rows and formats UTC text itself (decision 0021); its
file is byte for byte the one the export wrote before (tests/support/csv_reference.py), on
both databases, for every kind of call, awkward values, summer time changes and zones whose
offsets are not whole hours."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text

from app.config import HotlineConfig
from app.storage import get_engine
from app.storage.models import Attempt, Call
from app.web.admin.export import write_csv
from app.web.admin.filters import parse_filter
from bench.calllog import fill
from tests.support.constants import HOTLINE, NOW
from tests.support.csv_reference import reference_csv

BERLIN_SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
BERLIN_AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST becomes 02:00 CET
FILTERS = ({}, {"outcome": "missed"}, {"outcome": "in-progress"}, {"engineer": "dana"},
           {"caller": "0000"}, {"contract": "acme", "from": "2026-03-01", "to": "2026-10-31"})


def awkward_calls() -> list[tuple[dict[str, object], list[dict[str, object]]]]:
    """(call, its attempts): formula starts in every text cell, commas, quotes, line breaks,
    no attempts, unknown people, odd numbers, instants on the hour and around the changes."""
    def at(moment: datetime) -> dict[str, object]:
        return {"started_at": moment, "ended_at": moment + timedelta(minutes=3, microseconds=7)}

    return [
        ({"call_sid": "=CA1", "caller": "=HYPERLINK(\"x\")", "hotline_number": HOTLINE,
          "contract": "acme", "contract_name": '+Smith, "Jones"', "outcome": "connected",
          "answered_by": "@evil", "time_to_answer_seconds": -2.5, "identified_by": "\tpin",
          **at(BERLIN_SPRING - timedelta(microseconds=1))},
         [{"step": 2, "person": "=cmd", "pass_number": 0}, {"step": 1, "person": None},
          {"step": 3, "person": "a,b", "pass_number": 3}]),
        ({"call_sid": "CA2", "caller": "+4930\n", "hotline_number": "-1+1", "contract": "-x",
          "outcome": None, "time_to_answer_seconds": 0.0, **at(BERLIN_SPRING)}, []),
        ({"call_sid": "CA3", "caller": "+49 30 123", "hotline_number": "",
          "outcome": "voicemail", "identified_by": "\rx", "started_at": BERLIN_AUTUMN,
          "ended_at": None}, [{"step": 1, "person": "dana", "pass_number": 2}]),
        ({"call_sid": "CA4", "caller": "-", "hotline_number": "+49 89 7654321",
          "contract_name": 'The "Q" team',
          "outcome": "rejected", "answered_by": "dana", "time_to_answer_seconds": 12.0,
          **at(BERLIN_AUTUMN - timedelta(minutes=30, microseconds=1))},
         [{"step": 1, "person": "dana"}, {"step": 2, "person": "dana", "pass_number": 2}]),
        ({"call_sid": "CA5", "caller": None, "hotline_number": None, "outcome": "abandoned",
          "contract_name": "line\nbreak", "started_at": None, "ended_at": None}, []),
    ]


def store_awkward(url: str) -> None:
    with get_engine(url).begin() as conn:
        for call, attempts in awkward_calls():
            conn.execute(insert(Call), [call])
            for attempt in attempts:
                conn.execute(insert(Attempt), [{"call_sid": call["call_sid"], "status": "x",
                                                "pass_number": 1, **attempt}])
        if conn.dialect.name == "sqlite":  # text as other writers may have stored it
            conn.execute(text("UPDATE calls SET started_at = '2026-05-01 10:00:00', "
                              "ended_at = '2026-05-01T10:05:00.5' WHERE call_sid = 'CA2'"))


def exported(url: str, args: dict[str, str], config: HotlineConfig, tz: ZoneInfo,
             reference: bool) -> bytes:
    f, errors = parse_filter(args, tz, "DE")
    assert not errors
    out = io.BytesIO()
    if reference:
        reference_csv(out, get_engine(url), f, config, tz)
    else:
        assert write_csv(out, get_engine(url), f, config, tz, float("inf"))
    return out.getvalue()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_the_export_writes_the_file_it_wrote_before(db_url: str, config: HotlineConfig,
                                                    zone: str) -> None:
    fill(get_engine(db_url), 300, NOW - timedelta(hours=1))
    store_awkward(db_url)
    tz = ZoneInfo(zone)
    for args in FILTERS:
        before = exported(db_url, args, config, tz, reference=True)
        after = exported(db_url, args, config, tz, reference=False)
        assert after.splitlines() == before.splitlines() and after == before, args
    lines = list(csv.reader(io.StringIO(exported(db_url, {}, config, tz, False).decode())))
    assert len(lines) == 1 + 300 + len(awkward_calls())
    assert ["'=CA1", "'=HYPERLINK(\"x\")"] in [line[2:4] for line in lines]


def test_an_export_stopped_at_its_deadline_leaves_the_database_usable(
        db_url: str, config: HotlineConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped with batches still being read (PostgreSQL: by a thread of their own)."""
    fill(get_engine(db_url), 300, NOW - timedelta(hours=1))
    monkeypatch.setattr("app.web.admin.export.CHECK_EVERY", 50)
    monkeypatch.setattr("app.storage.call_export.BATCH", 20)
    tz = ZoneInfo("Europe/Berlin")
    f, _errors = parse_filter({}, tz, "DE")
    for _ in range(3):
        assert not write_csv(io.BytesIO(), get_engine(db_url), f, config, tz, 0.0)
    assert exported(db_url, {}, config, tz, False) == exported(db_url, {}, config, tz, True)
