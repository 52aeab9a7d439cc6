"""Properties of the schedule over 2026-2030 in four zones, with instants near DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.schedule import (
    Override,
    OverrideIndex,
    Rotation,
    Shift,
    ShiftLength,
    handoff_instant,
    on_call,
    on_call_with_overrides,
    shift_index,
    shifts,
)
from tests.support.schedule_strategies import TINY, instants, rotations

FAST = settings(max_examples=60, deadline=None, database=None)


def containing(found: list[Shift], at: datetime) -> list[Shift]:
    return [s for s in found if s.start <= at < s.end]


@FAST
@given(st.data())
def test_exactly_one_person_on_call_after_the_first_handoff(data: st.DataObject) -> None:
    rotation = data.draw(rotations())
    at = data.draw(instants(rotation.timezone))
    person = on_call(rotation, at)
    k = shift_index(rotation, at)
    assert handoff_instant(rotation, k) <= at < handoff_instant(rotation, k + 1)
    assert (person is None) == (at < handoff_instant(rotation, 0))
    # The first handoffs are where the strategy puts DST changes; probe around them too.
    for handoff in [handoff_instant(rotation, j) for j in (*range(8), k, k + 1)]:
        for step in (-TINY, timedelta(0), timedelta(minutes=30), timedelta(minutes=90)):
            j = shift_index(rotation, handoff + step)
            assert handoff_instant(rotation, j) <= handoff + step < handoff_instant(rotation, j + 1)
    around = shifts(rotation, at - timedelta(days=1), at + timedelta(days=1))
    assert [s.person for s in containing(around, at)] == ([person] if person else [])


@FAST
@given(st.data())
def test_shifts_tile_time_and_agree_with_on_call(data: st.DataObject) -> None:
    rotation = data.draw(rotations(windows=data.draw(st.booleans())))
    start = data.draw(instants(rotation.timezone))
    end = start + timedelta(minutes=data.draw(st.integers(1, 30 * 24 * 60)))
    found = shifts(rotation, start, end)
    for shift in found:
        assert start <= shift.start < shift.end <= end and shift.kind == "rotation"
        assert on_call(rotation, shift.start) == shift.person
        assert on_call(rotation, shift.end - TINY) == shift.person
    for before, after in zip(found, found[1:], strict=False):
        assert before.end <= after.start
        if before.end < after.start:  # a gap means nobody is on call in it
            assert on_call(rotation, before.end) is None
            assert on_call(rotation, after.start - TINY) is None
    if rotation.active is None and start >= handoff_instant(rotation, 0):
        assert found[0].start == start and found[-1].end == end
        assert all(a.end == b.start for a, b in zip(found, found[1:], strict=False))
    for at in data.draw(st.lists(st.integers(0, int((end - start).total_seconds()) - 1),
                                 max_size=5)):
        instant = start + timedelta(seconds=at)
        assert [s.person for s in containing(found, instant)] == (
            [p] if (p := on_call(rotation, instant)) else [])


@st.composite
def overrides_near(draw: st.DrawFn, center: datetime) -> list[Override]:
    result = []
    for i in range(draw(st.integers(1, 4))):
        start = center + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
        rotation_id = draw(st.sampled_from(["r", "r", None, "other"]))
        result.append(Override(f"o{i}", rotation_id, f"sub{i}", start, start + length))
    return result


def expected_with(rotation: Rotation, overrides: list[Override], at: datetime) -> str | None:
    person = on_call(rotation, at)
    for override in reversed(overrides):
        if person and override.rotation_id in (None, "r") and override.start <= at < override.end:
            return override.person
    return person


@FAST
@given(st.data())
def test_override_wins_inside_its_window_and_nowhere_else(data: st.DataObject) -> None:
    rotation = data.draw(rotations(windows=data.draw(st.booleans())))
    center = data.draw(instants(rotation.timezone))
    overrides = data.draw(overrides_near(center))
    index = OverrideIndex(overrides)
    edges = [t for o in overrides for t in (o.start - TINY, o.start, o.end - TINY, o.end)]
    samples = [center + timedelta(minutes=m)
               for m in data.draw(st.lists(st.integers(-4 * 1440, 4 * 1440), max_size=6))]
    found = shifts(rotation, center - timedelta(days=7), center + timedelta(days=7), index)
    for at in edges + samples:
        expected = expected_with(rotation, overrides, at)
        assert on_call_with_overrides(rotation, overrides, at) == expected
        assert on_call_with_overrides(rotation, index, at) == expected
        assert [s.person for s in containing(found, at)] == ([expected] if expected else [])
    for shift in found:
        assert shift.start < shift.end
        winner = index.winner("r", shift.start)
        assert (shift.kind == "override") == (winner is not None)


@FAST
@given(st.data())
def test_remembered_handoffs_and_windows_equal_fresh_resolutions(data: st.DataObject) -> None:
    """Handoff instants and daily windows are kept once worked out; kept equals recomputed."""
    from app.schedule.wallclock import daily_window, resolve

    rotation = data.draw(rotations(windows=True))
    ks = data.draw(st.lists(st.integers(-50, 600), min_size=1, max_size=20))
    first = [handoff_instant(rotation, k) for k in ks]
    again = [handoff_instant(rotation, k) for k in reversed(ks)][::-1]
    fresh = [resolve(rotation.first_handoff + k * rotation.shift.step, rotation.tz) for k in ks]
    assert first == again == fresh
    if rotation.active:
        day = data.draw(st.dates(date(2026, 1, 1), date(2030, 12, 31)))
        kept = daily_window(day, *rotation.active, rotation.tz)
        assert kept == daily_window(day, *rotation.active, rotation.tz)
        assert kept == daily_window.__wrapped__(day, *rotation.active, rotation.tz)


def test_handoff_memory_stays_bounded_and_right_past_its_limit() -> None:
    rotation = Rotation("r", ("a", "b"), "Europe/Berlin", date(2026, 1, 5), time(9), ShiftLength(1, "hours"))
    for k in range(0, 10_000, 2):
        handoff_instant(rotation, k)
    assert len(rotation.handoff_memo) <= 4096
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)  # 09:00 CET
    assert handoff_instant(rotation, 9_998) == start + timedelta(hours=9_998)  # CET again
    assert handoff_instant(rotation, 4_000) == start + timedelta(hours=3_999)  # in CEST
