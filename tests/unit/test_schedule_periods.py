"""Periods of local days: the names they are written with, their days, their instants across
clock changes, their neighbours and halves, and the mistakes they name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.schedule.periods import (
    EXAMPLES,
    Period,
    between,
    month,
    neighbour,
    parse_period,
    period_of,
)

BERLIN, NEW_YORK, UTC_ZONE = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("UTC")


@pytest.mark.parametrize(("text", "label", "kind", "first", "last"), [
    ("2026-12", "2026-12", "month", date(2026, 12, 1), date(2026, 12, 31)),
    ("2027-02", "2027-02", "month", date(2027, 2, 1), date(2027, 2, 28)),
    ("2028-02", "2028-02", "month", date(2028, 2, 1), date(2028, 2, 29)),
    ("2026-Q4", "2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("2027-q1", "2027-Q1", "quarter", date(2027, 1, 1), date(2027, 3, 31)),
    ("2026-W49", "2026-W49", "week", date(2026, 11, 30), date(2026, 12, 6)),
    ("2026-W53", "2026-W53", "week", date(2026, 12, 28), date(2027, 1, 3)),
    ("2026-12-01..2026-12-15", "2026-12-01..2026-12-15", "dates", date(2026, 12, 1),
     date(2026, 12, 15)),
    (" 2026-10-05..2026-10-05 ", "2026-10-05..2026-10-05", "dates", date(2026, 10, 5),
     date(2026, 10, 5)),
])
def test_periods(text: str, label: str, kind: str, first: date, last: date) -> None:
    period = parse_period(text)
    assert (period.label, period.kind, period.first, period.last) == (label, kind, first, last)
    assert period.end == last + timedelta(days=1)
    assert period.days() == [first + timedelta(days=i) for i in range(period.length)]
    assert period.days()[-1] == last


@pytest.mark.parametrize(("text", "message"), [
    ("2026-13", "month must be in 1..12"), ("2026-Q5", "write a month"),
    ("2026-Q7", "write a month"), ("2026-W54", "Invalid week"), ("2026", "is not a period"),
    ("december", "write"), ("last year", "write"), ("2026-1", "is not a period"),
    ("2026-12-15..2026-12-01", "ends"), ("2026-11-01..2026-10-01", "ends"),
    ("2020-01-01..2026-01-01", "at most 5 years"), ("1900-01", "years from 1970"),
    ("3000-Q1", "years from 1970"), ("9999-12", "is not a period"),
    ("2026-02-30..2026-03-01", "day is out of range"), ("x" * 500, "is not a period"),
])
def test_bad_periods_say_what_is_wrong_and_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        parse_period(text)
    assert str(raised.value).endswith(f"write {EXAMPLES}") and len(str(raised.value)) < 300


@pytest.mark.parametrize(("text", "years", "accepted"), [
    ("2026-01-01..2026-12-31", 1, True), ("2026-01-01..2027-06-01", 1, False),
    ("2026-01-01..2027-06-01", 5, True), ("2026-01-01..2030-12-31", 5, True),
    ("2026-Q4", 1, True), ("2026-12", 1, True),
])
def test_two_dates_span_at_most_the_years_allowed(text: str, years: int, accepted: bool) -> None:
    if accepted:
        assert parse_period(text, years).first.year == 2026
    else:
        with pytest.raises(ValueError, match="at most a year"):
            parse_period(text, years)


@pytest.mark.parametrize(("text", "tz", "start", "hours"), [
    # October 2026: Berlin falls back from CEST (UTC+2) to CET (UTC+1) on the 25th.
    ("2026-10", BERLIN, datetime(2026, 9, 30, 22, 0, tzinfo=UTC), 31 * 24 + 1),
    # March 2027: Berlin springs forward on the 28th, New York on the 14th.
    ("2027-03", BERLIN, datetime(2027, 2, 28, 23, 0, tzinfo=UTC), 31 * 24 - 1),
    ("2027-03", NEW_YORK, datetime(2027, 3, 1, 5, 0, tzinfo=UTC), 31 * 24 - 1),
    ("2026-10-25..2026-10-25", BERLIN, datetime(2026, 10, 24, 22, 0, tzinfo=UTC), 25),
    ("2027-W12", BERLIN, datetime(2027, 3, 21, 23, 0, tzinfo=UTC), 7 * 24 - 1),
    ("2026-Q4", UTC_ZONE, datetime(2026, 10, 1, tzinfo=UTC), 92 * 24),
])
def test_bounds_are_local_midnights_across_clock_changes(text: str, tz: ZoneInfo, start: datetime,
                                                         hours: int) -> None:
    first, end = parse_period(text).bounds(tz)
    assert first == start and end - first == timedelta(hours=hours)


def test_a_midnight_skipped_by_the_clock_starts_its_day_when_the_clock_jumps() -> None:
    # Santiago springs forward at midnight: 2026-09-06 00:00 does not exist there.
    santiago = ZoneInfo("America/Santiago")
    first, end = parse_period("2026-09-06..2026-09-06").bounds(santiago)
    assert first == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert first.astimezone(santiago).hour == 1 and end - first == timedelta(hours=23)


@pytest.mark.parametrize(("day", "kind", "label"), [
    (date(2026, 12, 31), "month", "2026-12"), (date(2026, 11, 15), "quarter", "2026-Q4"),
    (date(2027, 1, 1), "week", "2026-W53"), (date(2027, 1, 4), "week", "2027-W01"),
])
def test_the_period_of_a_day(day: date, kind: str, label: str) -> None:
    period = period_of(day, kind)
    assert period.label == label and period.first <= day <= period.last


@pytest.mark.parametrize(("label", "before", "after"), [
    ("2026-12", "2026-11", "2027-01"), ("2026-01", "2025-12", "2026-02"),
    ("2026-Q1", "2025-Q4", "2026-Q2"), ("2026-W53", "2026-W52", "2027-W01"),
    ("2027-W01", "2026-W53", "2027-W02"),
])
def test_neighbours(label: str, before: str, after: str) -> None:
    period = parse_period(label)
    assert (neighbour(period, -1).label, neighbour(period, 1).label) == (before, after)


def test_two_dates_and_unknown_kinds_have_no_neighbours() -> None:
    with pytest.raises(ValueError, match="no neighbours"):
        neighbour(parse_period("2026-12-01..2026-12-15"), 1)
    with pytest.raises(ValueError, match="no calendar period"):
        period_of(date(2026, 12, 1), "fortnight")


def test_a_split_gives_two_halves_of_the_same_days() -> None:
    whole = month(2026, 12)
    first, second = whole.split(date(2026, 12, 10))
    assert (first.label, second.label) == ("2026-12-01..2026-12-09", "2026-12-10..2026-12-31")
    assert first.days() + second.days() == whole.days() and first.end == second.first
    with pytest.raises(ValueError, match="ends"):
        whole.split(whole.first)


def test_a_period_is_never_empty_or_outside_the_years() -> None:
    with pytest.raises(ValueError, match="ends"):
        Period("x", date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(ValueError, match="years from 1970"):
        between(date(1969, 12, 31), date(1970, 1, 1))
