"""Allowances against figures worked out by hand, for March 2027 in Berlin (Brandenburg).

March 2027, holidays of DE-BB plus the company's closing day on Friday 5 March:
  holidays  Fri 5 (closing day), Fri 26 (Good Friday), Sun 28 (Easter Sunday, on a weekend),
            Mon 29 (Easter Monday)                                              -> 4 days
  weekend   Sat/Sun 6, 7, 13, 14, 20, 21, 27 (28 is a holiday)                  -> 7 days
  weekday   the other 20 days
  Berlin springs forward on Sunday 28 March (02:00 -> 03:00): that day has 23 hours, so
  March has 31 * 24 - 1 = 743 hours. New York springs forward on Sunday 14 March.
Rates per hour: weekday 2.00, weekend 3.00, holiday 5.00 (a holiday on a weekend: 5.00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.allowances import (
    ALERT_CALL,
    HOLIDAY,
    HOTLINE_CALL,
    WEEKDAY,
    WEEKEND,
    AllowancePolicy,
    AnsweredCall,
    Rates,
    allowance_report,
)
from app.schedule import BusinessHours, HolidayCalendar, Override, OverrideIndex, Rotation, ShiftLength
from app.schedule.periods import parse_period

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
MARCH = parse_period("2027-03")
CALENDAR = HolidayCalendar("DE", "BB", frozenset({date(2027, 3, 5)}))
HOURLY = AllowancePolicy("EUR", Rates(Decimal(2), Decimal(3), Decimal(5)), CALENDAR)
DAILY = AllowancePolicy("EUR", Rates(Decimal(20), Decimal(30), Decimal(50), per="day"), CALENDAR)

# Weekly, Monday 09:00 Berlin; shift 8 (alice) begins on Monday 1 March.
PRIMARY = Rotation("primary", ("alice", "bob"), "Europe/Berlin", date(2027, 1, 4), time(9))
# 12-hour shifts handing off at 08:00 and 20:00, covering only 18:00-08:00: dana's day shifts
# count from 18:00 to 20:00, erin's night shifts from 20:00 to 08:00 (shift 112 is dana's).
NIGHT = Rotation("night", ("dana", "erin"), "Europe/Berlin", date(2027, 1, 4), time(8),
                 ShiftLength(12, "hours"), (time(18), time(8)))
# Weekly, Monday 09:00 New York time; days split at New York's midnight.
US = Rotation("us", ("frank", "grace"), "America/New_York", date(2027, 1, 4), time(9))
# Carol takes over the middle of bob's week: Wednesday 10 March 18:00 to Thursday 08:00.
SWAP = Override("7", "primary", "carol", datetime(2027, 3, 10, 18, tzinfo=BERLIN),
                datetime(2027, 3, 11, 8, tzinfo=BERLIN))
PEOPLE = ("alice", "bob", "carol", "dana", "erin", "frank", "grace")


def report(policy: AllowancePolicy, calls: tuple[AnsweredCall, ...] = ()):  # type: ignore[no-untyped-def]
    return allowance_report(policy, [PRIMARY, NIGHT, US], OverrideIndex([SWAP]), MARCH, calls,
                            BERLIN, PEOPLE)


def hours(line) -> tuple[Decimal, Decimal, Decimal]:  # type: ignore[no-untyped-def]
    return line.hours(WEEKDAY), line.hours(WEEKEND), line.hours(HOLIDAY)


def test_day_types_of_march() -> None:
    types = report(HOURLY).day_types()
    assert [d.day for d, t in types.items() if t == HOLIDAY] == [5, 26, 28, 29]
    assert [d.day for d, t in types.items() if t == WEEKEND] == [6, 7, 13, 14, 20, 21, 27]
    assert sum(1 for t in types.values() if t == WEEKDAY) == 20


def test_a_holiday_on_a_weekend_counts_once_at_the_higher_rate() -> None:
    weekend_richer = AllowancePolicy("EUR", Rates(Decimal(2), Decimal(6), Decimal(5)), CALENDAR)
    easter_sunday, good_friday = date(2027, 3, 28), date(2027, 3, 26)
    assert HOURLY.day_type(easter_sunday) == HOLIDAY  # 5.00 > 3.00
    assert weekend_richer.day_type(easter_sunday) == WEEKEND  # 6.00 > 5.00
    assert weekend_richer.day_type(good_friday) == HOLIDAY  # a weekday holiday stays one


def test_primary_weekly_rotation_with_an_override_in_the_middle_of_a_shift() -> None:
    # bob   Mon 1 00-09 (end of his week from 22 Feb)                            wd  9
    # alice Mon 1 09 - Mon 8 09: 1st 15, 2nd-4th 72, 8th 9 = wd 96; 5th hol 24; 6th-7th we 48
    # bob   Mon 8 09 - Mon 15 09 without carol's 14 h: 8th 15, 9th 24, 10th 18 (00-18),
    #       11th 16 (08-24), 12th 24, 15th 9 = wd 106; 13th-14th we 48
    # carol Wed 10 18-24 (6) + Thu 11 00-08 (8)                                  wd 14
    # alice Mon 15 09 - Mon 22 09: 15 + 4 * 24 + 9 = wd 120; 20th-21st we 48
    # bob   Mon 22 09 - Mon 29 09: 22nd 15, 23rd-25th 72 = wd 87; 26th hol 24, 27th we 24,
    #       28th hol 23 (clocks spring forward), 29th 00-09 hol 9 -> hol 56     (167 h)
    # alice Mon 29 09 - Thu 1 Apr 00: 29th hol 15; 30th-31st wd 48
    # alice: wd 96 + 120 + 48 = 264, we 96, hol 24 + 15 = 39 -> 264*2 + 96*3 + 39*5 = 1011.00
    # bob:   wd 9 + 106 + 87 = 202, we 72, hol 56           -> 202*2 + 72*3 + 56*5 = 900.00
    # carol: wd 14                                          -> 28.00
    lines = {x.person: x for x in report(HOURLY).of_rotation("primary")}
    assert list(lines) == ["alice", "bob", "carol"]
    assert hours(lines["alice"]) == (Decimal(264), Decimal(96), Decimal(39))
    assert hours(lines["bob"]) == (Decimal(202), Decimal(72), Decimal(56))
    assert hours(lines["carol"]) == (Decimal(14), Decimal(0), Decimal(0))
    assert [lines[p].on_call for p in ("alice", "bob", "carol")] == [
        Decimal("1011.00"), Decimal("900.00"), Decimal("28.00")]
    assert sum(x.total_hours for x in lines.values()) == 743


def test_twelve_hour_rotation_with_an_active_window() -> None:
    # Every day: dana 18-20 (2 h); erin 00-08 and 20-24 (12 h). On Sunday 28 March, 00-08 is
    # only 7 real hours. 20 weekdays, 7 weekend days, 4 holidays:
    # dana: wd 40, we 14, hol 8                   -> 80 + 42 + 40 = 162.00
    # erin: wd 240, we 84, hol 4 * 12 - 1 = 47    -> 480 + 252 + 235 = 967.00
    lines = {x.person: x for x in report(HOURLY).of_rotation("night")}
    assert hours(lines["dana"]) == (Decimal(40), Decimal(14), Decimal(8))
    assert hours(lines["erin"]) == (Decimal(240), Decimal(84), Decimal(47))
    assert (lines["dana"].on_call, lines["erin"].on_call) == (Decimal("162.00"), Decimal("967.00"))
    sunday = [s for s in report(HOURLY).segments
              if s.rotation_id == "night" and s.day == date(2027, 3, 28)]
    assert [(s.person, s.hours) for s in sunday] == [("erin", 7), ("dana", 2), ("erin", 4)]


def test_rotation_in_another_time_zone_splits_at_its_own_midnight() -> None:
    # New York: 14 March has 23 hours, 28 March 24. Handoffs Monday 09:00 New York time.
    # grace Mon 1 00-09                                                   wd 9
    # frank Mon 1 09 - Mon 8 09: wd 96, hol (5th) 24, we 48
    # grace Mon 8 09 - Mon 15 09: 8th 15, 9th-12th 96, 15th 9 = wd 120; we 24 + 23 = 47
    # frank Mon 15 09 - Mon 22 09: wd 120, we 48
    # grace Mon 22 09 - Mon 29 09: wd 15 + 72 = 87; hol 24 + 24 + 9 = 57; we 24
    # frank Mon 29 09 - Thu 1 Apr 00 (New York): hol 15, wd 48
    # frank: wd 264, we 96, hol 39 -> 1011.00; grace: wd 216, we 71, hol 57 -> 432 + 213 + 285 = 930.00
    found = report(HOURLY)
    lines = {x.person: x for x in found.of_rotation("us")}
    assert hours(lines["frank"]) == (Decimal(264), Decimal(96), Decimal(39))
    assert hours(lines["grace"]) == (Decimal(216), Decimal(71), Decimal(57))
    assert (lines["frank"].on_call, lines["grace"].on_call) == (Decimal("1011.00"), Decimal("930.00"))
    handoffs = [s.start for s in found.segments if s.rotation_id == "us" and s.start.hour in (13, 14)
                and s.start.minute == 0 and s.start.astimezone(NEW_YORK).hour == 9]
    # 09:00 New York is 14:00 UTC before 14 March and 13:00 UTC after it.
    assert handoffs == [datetime(2027, 3, 1, 14, tzinfo=UTC), datetime(2027, 3, 8, 14, tzinfo=UTC),
                        datetime(2027, 3, 15, 13, tzinfo=UTC), datetime(2027, 3, 22, 13, tzinfo=UTC),
                        datetime(2027, 3, 29, 13, tzinfo=UTC)]
    first, last = found.segments[0], [s for s in found.segments if s.rotation_id == "us"][-1]
    assert first.start == datetime(2027, 2, 28, 23, tzinfo=UTC)  # Berlin's 1 March
    assert last.end == datetime(2027, 4, 1, 4, tzinfo=UTC)  # New York's 1 April


def test_people_summed_over_rotations_and_lines_add_up() -> None:
    found = report(HOURLY)
    totals = {x.person: x.amount for x in found.totals}
    assert totals == {"alice": Decimal("1011.00"), "bob": Decimal("900.00"),
                      "carol": Decimal("28.00"), "dana": Decimal("162.00"),
                      "erin": Decimal("967.00"), "frank": Decimal("1011.00"),
                      "grace": Decimal("930.00")}
    assert found.amount == Decimal("5009.00")
    for line in found.lines:
        mine = [s.amount for s in found.segments
                if (s.rotation_id, s.person) == (line.rotation_id, line.person)]
        assert sum(mine, Decimal(0)) == line.on_call


def test_the_override_shows_as_its_own_segments() -> None:
    carol = [s for s in report(HOURLY).segments if s.person == "carol"]
    assert [(s.start, s.end, s.kind, s.override_id, s.amount) for s in carol] == [
        (datetime(2027, 3, 10, 17, tzinfo=UTC), datetime(2027, 3, 10, 23, tzinfo=UTC),
         "override", "7", Decimal("12.00")),
        (datetime(2027, 3, 10, 23, tzinfo=UTC), datetime(2027, 3, 11, 7, tzinfo=UTC),
         "override", "7", Decimal("16.00")),
    ]


def test_day_rates_pay_each_covered_day_once_shared_by_time() -> None:
    # Per day on call: weekday 20.00, weekend 30.00, holiday 50.00; a day's rate is shared among
    # the rotation's people by their part of its on-call time that day.
    # primary: alice wd 264 h / 24 = 11 days = 220.00; we 4 days = 120.00;
    #          hol 5th (1) + 29th 15/24 = 1.625 days = 81.25                  -> 421.25
    #          bob wd 202/24 days = 168.333..; we 3 days = 90.00;
    #          hol 26th (1) + 28th 23/23 (1) + 29th 9/24 = 2.375 days = 118.75 -> 377.08
    #          carol 14/24 of a weekday = 11.666..                              -> 11.67
    #          together 810.00 = 20 * 20 + 7 * 30 + 4 * 50: every day paid once
    # night: 14 h covered a day (13 h on the 28th): dana 2/14, erin 12/14 of each day
    #          dana 20/7 * 20 + 7/7 * 30 + (3/7 + 2/13) * 50 = 116.2637..      -> 116.26
    #          erin 120/7 * 20 + 6 * 30 + (18/7 + 11/13) * 50 = 693.7362..     -> 693.74
    found = report(DAILY)
    primary = {x.person: x.on_call for x in found.of_rotation("primary")}
    night = {x.person: x.on_call for x in found.of_rotation("night")}
    assert primary == {"alice": Decimal("421.25"), "bob": Decimal("377.08"), "carol": Decimal("11.67")}
    assert night == {"dana": Decimal("116.26"), "erin": Decimal("693.74")}
    alice = found.of_rotation("primary")[0]
    assert (alice.day_count(WEEKDAY), alice.day_count(WEEKEND), alice.day_count(HOLIDAY)) == (
        Decimal("11.00"), Decimal("4.00"), Decimal("1.62"))  # 1.625, half to even


def test_call_outs_outside_business_hours_each_once() -> None:
    office = BusinessHours("Europe/Berlin", {d: (time(9), time(18)) for d in range(5)}, CALENDAR)
    policy = AllowancePolicy("EUR", HOURLY.rates, CALENDAR, callout=Decimal("25.00"),
                             business_hours=office)

    def at(day: int, hour: int, month: int = 3) -> datetime:
        return datetime(2027, month, day, hour, tzinfo=BERLIN)

    calls = (
        AnsweredCall("alice", at(2, 10), HOTLINE_CALL, "CA1"),   # Tuesday 10:00: office open
        AnsweredCall("alice", at(2, 22), HOTLINE_CALL, "CA2"),   # Tuesday 22:00: a call-out
        AnsweredCall("alice", at(2, 22), HOTLINE_CALL, "CA2"),   # the same call again: once
        AnsweredCall("alice", at(6, 11), HOTLINE_CALL, "CA3"),   # Saturday
        AnsweredCall("bob", at(26, 10), ALERT_CALL, "alert 4"),  # Good Friday 10:00: closed
        AnsweredCall("erin", at(3, 3), ALERT_CALL, "alert 5"),   # 03:00
        AnsweredCall("erin", at(1, 0), ALERT_CALL, "alert 6"),   # 1 March 00:00, in March
        AnsweredCall("erin", at(1, 0, 4), ALERT_CALL, "alert 8"),  # 1 April: next period
    )
    found = report(policy, calls)
    assert [c.ref for c in found.callouts] == ["alert 6", "CA2", "alert 5", "CA3", "alert 4"]
    fees = {x.person: (x.callouts, x.callout_amount) for x in found.totals if x.callouts}
    assert fees == {"alice": (2, Decimal("50.00")), "bob": (1, Decimal("25.00")),
                    "erin": (2, Decimal("50.00"))}
    erin = next(x for x in found.totals if x.person == "erin")
    assert erin.amount == Decimal("1017.00")  # 967.00 on call + 2 * 25.00
    assert found.only("erin").callouts == tuple(c for c in found.callouts if c.person == "erin")


def test_only_the_paid_rotations_count() -> None:
    policy = AllowancePolicy("EUR", HOURLY.rates, CALENDAR, rotations=("night",))
    found = report(policy)
    assert {x.person for x in found.totals} == {"dana", "erin"}
    assert [r.id for r in found.rotations] == ["night"]


