"""Business hours and holiday calendars: open or closed at an instant, and the next opening."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.schedule import BusinessHours, HolidayCalendar, is_open, next_opening
from app.schedule.hours import open_intervals

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {weekday: (time(9), time(18)) for weekday in range(5)}
GERMANY = BusinessHours("Europe/Berlin", OFFICE, HolidayCalendar("DE", None, frozenset()))


def local(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0,
          fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN, fold=fold)


@pytest.mark.parametrize(("at", "expected"), [
    (local(2027, 3, 24, 8, 59, 59), False),  # Wednesday
    (local(2027, 3, 24, 9, 0), True),
    (local(2027, 3, 24, 17, 59), True),
    (local(2027, 3, 24, 17, 59, 59), True),
    (local(2027, 3, 24, 18, 0), False),
    (local(2027, 3, 24, 18, 1), False),
    (local(2027, 3, 27, 12, 0), False),      # Saturday
    (local(2027, 3, 26, 12, 0), False),      # Good Friday
    (local(2027, 3, 29, 10, 0), False),      # Easter Monday
    (local(2027, 3, 30, 10, 0), True),       # Tuesday after Easter, first day of CEST week
])
def test_is_open(at: datetime, expected: bool) -> None:
    assert is_open(GERMANY, at) is expected


@pytest.mark.parametrize(("at", "expected"), [
    # Thursday evening before Easter: Good Friday, the weekend and Easter Monday are skipped.
    (local(2027, 3, 25, 18, 1), local(2027, 3, 30, 9, 0)),
    (local(2027, 3, 29, 10, 0), local(2027, 3, 30, 9, 0)),   # on Easter Monday itself
    (local(2027, 3, 24, 7, 0), local(2027, 3, 24, 9, 0)),    # same morning
    (local(2027, 3, 24, 9, 0), local(2027, 3, 24, 9, 0)),    # exactly at opening
    (local(2027, 3, 24, 10, 0), local(2027, 3, 25, 9, 0)),   # while open: the next opening
    (local(2026, 12, 31, 18, 30), local(2027, 1, 4, 9, 0)),  # New Year's Day, then weekend
])
def test_next_opening_skips_weekends_and_holidays(at: datetime, expected: datetime) -> None:
    opening = next_opening(GERMANY, at)
    assert opening == expected
    assert opening is not None and opening.tzinfo == BERLIN
    assert opening.utcoffset() == expected.utcoffset()


def test_next_opening_after_easter_2027_is_in_summer_time() -> None:
    opening = next_opening(GERMANY, local(2027, 3, 25, 18, 1))
    assert opening is not None and opening.isoformat() == "2027-03-30T09:00:00+02:00"


def test_extra_dates_close_the_office() -> None:
    hours = BusinessHours("Europe/Berlin", OFFICE,
                          HolidayCalendar(None, None, frozenset({date(2027, 3, 31)})))
    assert not is_open(hours, local(2027, 3, 31, 10, 0))
    assert next_opening(hours, local(2027, 3, 30, 18, 30)) == local(2027, 4, 1, 9, 0)
    assert hours.holidays.name(date(2027, 3, 31)) == "extra"


def test_subdivision_holidays() -> None:
    bavaria = HolidayCalendar("DE", "BY")
    assert bavaria.name(date(2027, 1, 6)) == "Epiphany"
    assert date(2027, 1, 6) in bavaria
    assert date(2027, 1, 6) not in HolidayCalendar("DE")
    assert date(2027, 1, 7) not in bavaria


def test_overnight_hours_belong_to_the_day_they_open() -> None:
    # Friday 22:00 to Saturday 02:00; Good Friday 2027-03-26 cancels that night.
    late = BusinessHours("Europe/Berlin", {4: (time(22), time(2))}, HolidayCalendar("DE"))
    assert is_open(late, local(2027, 3, 20, 1, 0))       # Saturday after a normal Friday
    assert not is_open(late, local(2027, 3, 20, 2, 0))
    assert not is_open(late, local(2027, 3, 27, 1, 0))   # Saturday after Good Friday
    assert next_opening(late, local(2027, 3, 25, 12, 0)) == local(2027, 4, 2, 22, 0)


def test_all_day_and_never() -> None:
    always = BusinessHours("Europe/Berlin", {d: (time(0), time(0)) for d in range(7)})
    assert is_open(always, local(2027, 3, 28, 3, 0))     # spring-forward night included
    assert is_open(always, local(2027, 10, 31, 2, 30, fold=1))
    never = BusinessHours("Europe/Berlin", {})
    assert next_opening(never, local(2027, 3, 24, 10, 0)) is None


def test_invalid_hours_and_calendars() -> None:
    with pytest.raises(ValueError, match="weekday 7"):
        BusinessHours("Europe/Berlin", {7: (time(9), time(17))})
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessHours("Berlin", OFFICE)
    with pytest.raises(ValueError, match="unknown holiday calendar country='XX'"):
        HolidayCalendar("XX")
    with pytest.raises(ValueError, match="subdivision='ZZ'"):
        HolidayCalendar("DE", "ZZ")
    with pytest.raises(ValueError, match="needs a country"):
        HolidayCalendar(None, "BY")


NIGHTS = BusinessHours("America/New_York", {0: (time(8), time(20)), 6: (time(22), time(2))},
                       HolidayCalendar("US", None, frozenset()))


@pytest.mark.parametrize("hours", [GERMANY, NIGHTS])
def test_open_intervals_say_what_is_open_says_across_clock_changes_and_holidays(
        hours: BusinessHours) -> None:
    """Every 20 minutes of October and November 2026 (both zones change their clocks, All
    Saints' is no holiday in Berlin, Thanksgiving is in New York), and the bounds themselves."""
    start, end = local(2026, 10, 1, 0, 0), local(2026, 12, 1, 0, 0)
    spans = open_intervals(hours, start, end)
    assert all(a < b < c for (a, b), (c, _) in zip(spans, spans[1:], strict=False))
    probes = [start + timedelta(minutes=20 * i) for i in range(61 * 72)]
    probes += [at + shift for span in spans for at in span
               for shift in (timedelta(0), -timedelta(microseconds=1))]
    for at in probes:
        inside = any(a <= at < b for a, b in spans)
        assert inside is (start <= at < end and is_open(hours, at)), at
