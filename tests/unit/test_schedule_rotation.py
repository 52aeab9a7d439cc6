"""Rotations: who is on call one second before, at and after handoffs, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.schedule import (
    Rotation,
    ShiftLength,
    handoff_instant,
    next_in_rotation,
    on_call,
    resolve,
    shifts,
)
from app.schedule.wallclock import zone

SECOND = timedelta(seconds=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(tz: str, start: str, handoff: time, people: tuple[str, ...]) -> Rotation:
    return Rotation("r", people, tz, date.fromisoformat(start), handoff)


BERLIN = weekly("Europe/Berlin", "2027-03-14", time(9), ("ana", "ben", "cem"))
NEW_YORK = weekly("America/New_York", "2027-03-07", time(9), ("dan", "eve"))
BERLIN_0230_SPRING = weekly("Europe/Berlin", "2027-03-21", time(2, 30), ("ana", "ben"))
NEW_YORK_0230_SPRING = weekly("America/New_York", "2027-03-07", time(2, 30), ("dan", "eve"))
BERLIN_0230_FALL = weekly("Europe/Berlin", "2027-10-24", time(2, 30), ("ana", "ben"))
NEW_YORK_0130_FALL = weekly("America/New_York", "2027-10-31", time(1, 30), ("dan", "eve"))

# (rotation, handoff instant in UTC, outgoing, incoming)
HANDOFFS = [
    pytest.param(BERLIN, "2027-03-21T08:00:00", "ana", "ben", id="berlin-winter-0900"),
    pytest.param(BERLIN, "2027-03-28T07:00:00", "ben", "cem", id="berlin-spring-forward-day"),
    pytest.param(BERLIN, "2027-10-31T08:00:00", "cem", "ana", id="berlin-fall-back-day"),
    pytest.param(NEW_YORK, "2027-03-14T13:00:00", "dan", "eve", id="nyc-spring-forward-day"),
    pytest.param(NEW_YORK, "2027-11-07T14:00:00", "dan", "eve", id="nyc-fall-back-day"),
    # 02:30 does not exist on these days: the handoff happens when clocks jump to 03:00.
    pytest.param(BERLIN_0230_SPRING, "2027-03-28T01:00:00", "ana", "ben", id="berlin-0230-gap"),
    pytest.param(NEW_YORK_0230_SPRING, "2027-03-14T07:00:00", "dan", "eve", id="nyc-0230-gap"),
    # 02:30 / 01:30 happen twice on these days: the handoff is at the first occurrence.
    pytest.param(BERLIN_0230_FALL, "2027-10-31T00:30:00", "ana", "ben", id="berlin-0230-fold"),
    pytest.param(NEW_YORK_0130_FALL, "2027-11-07T05:30:00", "dan", "eve", id="nyc-0130-fold"),
]


@pytest.mark.parametrize(("rotation", "instant", "outgoing", "incoming"), HANDOFFS)
def test_on_call_around_handoff(rotation: Rotation, instant: str, outgoing: str,
                                incoming: str) -> None:
    at = utc(instant)
    assert on_call(rotation, at - SECOND) == outgoing
    assert on_call(rotation, at) == incoming
    assert on_call(rotation, at + SECOND) == incoming
    assert next_in_rotation(rotation, at - SECOND) == incoming


@pytest.mark.parametrize(("rotation", "instant", "outgoing", "incoming"), HANDOFFS)
def test_shifts_hand_off_at_the_same_instant(rotation: Rotation, instant: str, outgoing: str,
                                             incoming: str) -> None:
    at = utc(instant)
    before, after = shifts(rotation, at - SECOND, at + SECOND)
    assert (before.person, before.end) == (outgoing, at)
    assert (after.person, after.start) == (incoming, at)


def test_any_offset_of_the_query_instant_gives_the_same_answer() -> None:
    at = datetime(2027, 3, 28, 9, tzinfo=zone("Europe/Berlin"))  # 07:00 UTC, the handoff
    assert on_call(BERLIN, at) == on_call(BERLIN, at.astimezone(UTC)) == "cem"


def test_second_occurrence_of_a_repeated_handoff_time_is_already_the_new_shift() -> None:
    # 02:30 CET on 2027-10-31 (the second 02:30 in Berlin) is an hour after the handoff.
    second = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=zone("Europe/Berlin"))
    assert second.astimezone(UTC) == utc("2027-10-31T01:30:00")
    assert on_call(BERLIN_0230_FALL, second) == "ben"
    # 02:00 CET reads earlier than 02:30 on the clock, yet comes after the 02:30 CEST handoff.
    assert on_call(BERLIN_0230_FALL, utc("2027-10-31T01:00:00")) == "ben"
    assert on_call(BERLIN_0230_FALL, utc("2027-10-31T00:59:59")) == "ben"
    assert on_call(NEW_YORK_0130_FALL, utc("2027-11-07T06:30:00")) == "eve"


@pytest.mark.parametrize(("rotation", "first", "hours"), [
    pytest.param(BERLIN, "2027-03-21T08:00:00", [167, 168], id="spring-week-is-167h"),
    pytest.param(BERLIN, "2027-10-24T07:00:00", [169, 168], id="fall-week-is-169h"),
    pytest.param(BERLIN_0230_SPRING, "2027-03-21T01:30:00", [167.5, 167.5], id="gap-0230"),
    pytest.param(BERLIN_0230_FALL, "2027-10-24T00:30:00", [168, 169], id="fold-0230"),
])
def test_weekly_shift_lengths_follow_the_wall_clock(rotation: Rotation, first: str,
                                                    hours: list[float]) -> None:
    start = utc(first)
    found = shifts(rotation, start, start + timedelta(hours=sum(hours)))
    assert [(s.end - s.start) / timedelta(hours=1) for s in found] == hours


def test_nobody_before_the_first_handoff_and_empty_rotation() -> None:
    assert on_call(BERLIN, utc("2027-03-14T07:59:59")) is None
    assert on_call(BERLIN, utc("2027-03-14T08:00:00")) == "ana"
    assert next_in_rotation(BERLIN, utc("2020-01-01T00:00:00")) == "ana"
    empty = Rotation("e", (), "Europe/Berlin", date(2027, 1, 1), time(9))
    assert on_call(empty, utc("2027-06-01T00:00:00")) is None
    assert shifts(empty, utc("2027-06-01T00:00:00"), utc("2027-06-09T00:00:00")) == []
    solo = Rotation("s", ("ana",), "Europe/Berlin", date(2027, 1, 1), time(9))
    assert next_in_rotation(solo, utc("2027-06-01T00:00:00")) is None


def test_far_future_index_is_computed_not_walked() -> None:
    far = utc("2100-06-01T12:00:00")
    weeks = (date(2100, 5, 30) - date(2027, 3, 14)).days // 7  # 2100-05-30 is a Sunday
    assert on_call(BERLIN, far) == BERLIN.participants[weeks % 3]
    assert handoff_instant(BERLIN, weeks) == utc("2100-05-30T07:00:00")


NIGHTS = Rotation("night", ("ana", "ben", "cem"), "Europe/Berlin", date(2026, 12, 28), time(18),
                  ShiftLength(1, "days"), active=(time(18), time(8)))


@pytest.mark.parametrize(("instant", "expected"), [
    ("2026-12-31T16:59:59", None),    # 17:59:59 local, still daytime
    ("2026-12-31T17:00:00", "ana"),   # 18:00 New Year's Eve
    ("2026-12-31T22:59:59", "ana"),   # 23:59:59
    ("2026-12-31T23:00:00", "ana"),   # 00:00 on 2027-01-01: same night, same person
    ("2027-01-01T06:59:59", "ana"),   # 07:59:59
    ("2027-01-01T07:00:00", None),    # 08:00: window closed
    ("2027-01-01T16:59:59", None),
    ("2027-01-01T17:00:00", "ben"),   # next night, next person
])
def test_overnight_window_across_new_year(instant: str, expected: str | None) -> None:
    assert on_call(NIGHTS, utc(instant)) == expected


def test_overnight_window_shifts_cover_only_the_nights() -> None:
    found = shifts(NIGHTS, utc("2026-12-31T12:00:00"), utc("2027-01-02T12:00:00"))
    assert [(s.person, s.start, s.end) for s in found] == [
        ("ana", utc("2026-12-31T17:00:00"), utc("2027-01-01T07:00:00")),
        ("ben", utc("2027-01-01T17:00:00"), utc("2027-01-02T07:00:00")),
    ]


def test_twelve_hour_shifts_keep_their_local_times_across_spring_forward() -> None:
    rotation = Rotation("h", ("ana", "ben"), "Europe/Berlin", date(2027, 3, 27), time(9),
                        ShiftLength.parse("12h"))
    found = shifts(rotation, utc("2027-03-27T08:00:00"), utc("2027-03-28T19:00:00"))
    local = [s.start.astimezone(rotation.tz).strftime("%d %H:%M") for s in found]
    assert local == ["27 09:00", "27 21:00", "28 09:00"]
    assert [(s.end - s.start) / timedelta(hours=1) for s in found] == [12, 11, 12]


def test_one_hour_shift_inside_the_skipped_hour_is_empty() -> None:
    rotation = Rotation("h", ("a", "b", "c"), "Europe/Berlin", date(2027, 3, 28), time(0),
                        ShiftLength(1, "hours"))
    found = shifts(rotation, utc("2027-03-27T23:00:00"), utc("2027-03-28T02:00:00"))
    # 00:00 a, 01:00 b, 02:00 (skipped, empty) c, 03:00 CEST a
    assert [(s.person, s.start.hour) for s in found] == [("a", 23), ("b", 0), ("a", 1)]
    assert on_call(rotation, utc("2027-03-28T01:00:00")) == "a"


@pytest.mark.parametrize(("local", "tz", "expected"), [
    (datetime(2027, 3, 28, 2, 30), "Europe/Berlin", "2027-03-28T01:00:00"),
    (datetime(2027, 3, 28, 2, 0), "Europe/Berlin", "2027-03-28T01:00:00"),
    (datetime(2027, 3, 28, 3, 0), "Europe/Berlin", "2027-03-28T01:00:00"),
    (datetime(2027, 10, 31, 2, 30), "Europe/Berlin", "2027-10-31T00:30:00"),
    (datetime(2027, 11, 7, 1, 30), "America/New_York", "2027-11-07T05:30:00"),
    (datetime(2027, 10, 3, 2, 30), "Australia/Sydney", "2027-10-02T16:00:00"),
    (datetime(2011, 12, 30, 9, 0), "Pacific/Apia", "2011-12-30T10:00:00"),  # a skipped day
])
def test_resolve_rule(local: datetime, tz: str, expected: str) -> None:
    assert resolve(local, zone(tz)) == utc(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("1w", ShiftLength(1, "weeks")), ("2 weeks", ShiftLength(2, "weeks")),
    ("12h", ShiftLength(12, "hours")), ("1d", ShiftLength(1, "days")),
    ("7 days", ShiftLength(7, "days")), (" 1 Week ", ShiftLength(1, "weeks")),
    ("8 hours", ShiftLength(8, "hours")),
])
def test_shift_length_parse(text: str, expected: ShiftLength) -> None:
    assert ShiftLength.parse(text) == expected


@pytest.mark.parametrize("text", ["", "w", "0w", "-1d", "1.5d", "1 month", "1w2d", "1 fortnight"])
def test_shift_length_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid shift length .*e.g. '12h'"):
        ShiftLength.parse(text)


def test_invalid_rotations_are_rejected_with_a_reason() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Rotation("r", ("a",), "Mars/Olympus", date(2027, 1, 1), time(9))
    with pytest.raises(ValueError, match="shift unit must be one of"):
        ShiftLength(1, "months")
    with pytest.raises(ValueError, match="positive whole number"):
        ShiftLength(0, "days")
    with pytest.raises(ValueError, match="aware datetime required"):
        on_call(BERLIN, datetime(2027, 3, 28, 9))
    with pytest.raises(ValueError, match="local times without a time zone"):
        Rotation("r", ("a",), "Europe/Berlin", date(2027, 1, 1), time(9, tzinfo=UTC))
