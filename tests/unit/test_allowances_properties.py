"""Properties of the allowance calculator: time adds up, and splitting a period changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.allowances import AllowancePolicy, Rates, on_call_segments
from app.allowances.segments import seconds
from app.schedule import HolidayCalendar, Override, OverrideIndex, Rotation, ShiftLength
from app.schedule.periods import Period, month

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC")
FAST = settings(max_examples=50, deadline=None, database=None)
LENGTHS = st.one_of(
    st.builds(ShiftLength, st.integers(1, 30), st.just("hours")),
    st.builds(ShiftLength, st.integers(1, 10), st.just("days")),
    st.builds(ShiftLength, st.integers(1, 3), st.just("weeks")),
)
CLOCK = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
CALENDAR = HolidayCalendar("DE", "BY", frozenset({date(2027, 3, 5), date(2026, 10, 30)}))
RATES = st.builds(Rates, *(st.decimals(0, 100, places=2) for _ in range(3)),
                  per=st.sampled_from(["hour", "day"]))
# Months with clock changes in the zones above, and two without.
MONTHS = st.sampled_from([(2026, 3), (2026, 4), (2026, 10), (2026, 11), (2027, 3), (2027, 10),
                          (2026, 12), (2027, 6)])


@st.composite
def rotations(draw: st.DrawFn, period: Period, windows: bool) -> Rotation:
    length = draw(LENGTHS)
    start = period.first - timedelta(days=draw(st.integers(0 if windows else 1, 60)))
    people = tuple(f"p{i}" for i in range(draw(st.integers(1, 4))))
    active = draw(st.none() | st.tuples(CLOCK, CLOCK)) if windows else None
    return Rotation("r", people, draw(st.sampled_from(ZONES)), start, draw(CLOCK), length, active)


@st.composite
def overrides(draw: st.DrawFn, period: Period) -> OverrideIndex:
    center = datetime.combine(period.first, time(), tzinfo=UTC)
    found = []
    for i in range(draw(st.integers(0, 5))):
        begin = center + timedelta(minutes=draw(st.integers(-2 * 1440, 32 * 1440)))
        length = timedelta(minutes=draw(st.integers(1, 4 * 1440)))
        found.append(Override(str(i), draw(st.sampled_from(["r", None, "other"])),
                              draw(st.sampled_from(["p0", "p1", "x"])), begin, begin + length))
    return OverrideIndex(found)




def totals(segments):  # type: ignore[no-untyped-def]
    """Seconds, exact amounts and day shares per (person, day type)."""
    out: defaultdict[tuple[str, str], list[Fraction]] = defaultdict(lambda: [Fraction(0)] * 3)
    for s in segments:
        entry = out[(s.person, s.day_type)]
        entry[0] += s.seconds
        entry[1] += s.exact
        entry[2] += s.share
    return dict(out)


@FAST
@given(st.data())
def test_a_rotation_that_always_has_someone_covers_the_whole_period(data: st.DataObject) -> None:
    period = month(*data.draw(MONTHS))
    rotation = data.draw(rotations(period, windows=False))
    policy = AllowancePolicy("EUR", data.draw(RATES), CALENDAR)
    found = on_call_segments(rotation, data.draw(overrides(period)), period, policy)
    start, end = period.bounds(rotation.tz)
    assert sum(s.seconds for s in found) == seconds(end - start)  # 743 h in a spring month ...
    assert found[0].start == start and found[-1].end == end
    assert all(a.end == b.start for a, b in zip(found, found[1:], strict=False))
    # ... and every day is paid once, whoever held it: the shares of each day add up to one.
    shares: defaultdict[date, Fraction] = defaultdict(Fraction)
    for s in found:
        shares[s.day] += s.share
    assert set(shares.values()) == {Fraction(1)} and len(shares) == len(period.days())
    if policy.rates.per == "day":
        expected = sum(Fraction(policy.rates.of(policy.day_type(d))) for d in period.days())
        assert sum(s.exact for s in found) == expected


@FAST
@given(st.data())
def test_two_half_periods_add_up_to_the_whole(data: st.DataObject) -> None:
    period = month(*data.draw(MONTHS))
    rotation = data.draw(rotations(period, windows=data.draw(st.booleans())))
    policy = AllowancePolicy("EUR", data.draw(RATES), CALENDAR)
    index = data.draw(overrides(period))
    middle = period.first + timedelta(days=data.draw(st.integers(1, len(period.days()) - 1)))
    first, second = period.split(middle)
    whole = totals(on_call_segments(rotation, index, period, policy))
    halves = totals([*on_call_segments(rotation, index, first, policy),
                     *on_call_segments(rotation, index, second, policy)])
    assert halves == whole
    assert all(amount >= 0 for _, amount, _ in whole.values())
