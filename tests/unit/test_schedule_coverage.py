"""Gaps in on-call coverage: the first instant with nobody on call, in local time, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.schedule import Override, OverrideIndex, Rotation, ShiftLength, on_call_with_overrides
from app.schedule.coverage import first_gap, seconds_to_gap

DAY = timedelta(days=1)
WEEKLY = Rotation("primary", ("ana", "ben"), "Europe/Berlin", date(2027, 3, 1), time(9))
# Overnight in Berlin, 18:00 to 08:00; on 2027-03-28 the clocks go from 02:00 to 03:00.
NIGHT = Rotation("night", ("ana",), "Europe/Berlin", date(2027, 3, 1), time(18), ShiftLength(1, "days"),
                 active=(time(18), time(8)))
NO_ONE = OverrideIndex()


@pytest.mark.parametrize(("rotation", "start", "horizon", "expected"), [
    # covered every minute: no gap within two weeks
    (WEEKLY, datetime(2027, 3, 10, 12, tzinfo=UTC), 14 * DAY, None),
    # before the first handoff (2027-03-01 09:00 CET = 08:00 UTC) nobody is on call: a gap now
    (WEEKLY, datetime(2027, 2, 28, 12, tzinfo=UTC), DAY, datetime(2027, 2, 28, 12, tzinfo=UTC)),
    # the night rotation ends at 08:00 local: 07:00 UTC in winter ...
    (NIGHT, datetime(2027, 3, 26, 20, tzinfo=UTC), DAY, datetime(2027, 3, 27, 7, tzinfo=UTC)),
    # ... and 06:00 UTC the morning after the spring-forward night
    (NIGHT, datetime(2027, 3, 27, 20, tzinfo=UTC), DAY, datetime(2027, 3, 28, 6, tzinfo=UTC)),
    # a gap beyond the horizon is no gap
    (NIGHT, datetime(2027, 3, 26, 20, tzinfo=UTC), timedelta(hours=5), None),
])
def test_the_first_gap(rotation: Rotation, start: datetime, horizon: timedelta,
                       expected: datetime | None) -> None:
    gap = first_gap(rotation, NO_ONE, start, horizon)
    assert gap == expected
    if gap is not None:  # the calculator agrees with "who is on call" at that instant
        assert on_call_with_overrides(rotation, NO_ONE, gap) is None
        assert on_call_with_overrides(rotation, NO_ONE, gap - timedelta(seconds=1)) is not None \
            or gap == start


def test_a_swap_is_coverage_inside_the_rotation_window_and_nowhere_else() -> None:
    start = datetime(2027, 3, 26, 20, tzinfo=UTC)
    swap = OverrideIndex([Override("o1", "night", "ben", start, start + 2 * DAY)])
    assert first_gap(NIGHT, swap, start, DAY) == datetime(2027, 3, 27, 7, tzinfo=UTC)


def test_seconds_to_the_gap_or_the_whole_horizon() -> None:
    start = datetime(2027, 2, 28, 20, tzinfo=UTC)
    assert seconds_to_gap(WEEKLY, NO_ONE, start, DAY) == 0.0
    assert seconds_to_gap(NIGHT, NO_ONE, datetime(2027, 3, 26, 20, tzinfo=UTC), DAY) == 11 * 3600
    assert seconds_to_gap(WEEKLY, NO_ONE, datetime(2027, 3, 10, tzinfo=UTC), 7 * DAY) == 7 * 86400
