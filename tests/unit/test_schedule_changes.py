"""When an on-call answer can next change, and chain plans kept until then (SteadyChains)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.escalation import BackupRef, Policy, SteadyChains, build_chain
from app.schedule import (
    Override,
    OverrideIndex,
    Rotation,
    ShiftLength,
    handoff_instant,
    next_change,
    next_in_rotation,
    on_call_with_overrides,
)
from app.schedule.changes import HORIZON
from tests.support.schedule_strategies import TINY, instants, rotations

FAST = settings(max_examples=80, deadline=None, database=None)
BERLIN_MONDAY_0900 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # 09:00 CET, a weekly handoff


@st.composite
def moments_near_edges(draw: st.DrawFn, rotation: Rotation) -> datetime:
    """An instant close to one of the rotation's handoffs, or anywhere (near DST changes too)."""
    if draw(st.booleans()):
        return draw(instants(rotation.timezone))
    k = draw(st.integers(-2, 400))
    return handoff_instant(rotation, k) + timedelta(seconds=draw(st.integers(-5400, 5400)))


@st.composite
def short_overrides(draw: st.DrawFn, center: datetime, rotation_ids: tuple[str, ...]) -> list[Override]:
    """Swaps of a few minutes to two hours starting within 90 minutes of ``center``."""
    found = []
    for i in range(draw(st.integers(0, 4))):
        start = center + timedelta(seconds=draw(st.integers(-5400, 5400)))
        length = timedelta(seconds=draw(st.integers(1, 7200)))
        rotation_id = draw(st.sampled_from((*rotation_ids, None, "other")))
        found.append(Override(f"o{i}", rotation_id, f"sub{i}", start, start + length))
    return found


def answers(rotation: Rotation, index: OverrideIndex, at: datetime) -> tuple[str | None, str | None]:
    return on_call_with_overrides(rotation, index, at), next_in_rotation(rotation, at)


@FAST
@given(st.data())
def test_nothing_changes_before_the_next_change(data: st.DataObject) -> None:
    rotation = data.draw(rotations(windows=data.draw(st.booleans())))
    at = data.draw(moments_near_edges(rotation))
    overrides = data.draw(short_overrides(at, ("r",)))
    index = OverrideIndex(overrides)
    until = next_change(rotation, index, at)
    assert at < until <= at + HORIZON
    inside = [until - TINY, at + (until - at) / 2,
              *(t for o in overrides for t in (o.start, o.end, o.start - TINY, o.end - TINY)
                if at <= t < until),
              *(at + (until - at) * f for f in data.draw(st.lists(st.floats(0, 0.999), max_size=5)))]
    expected = answers(rotation, index, at)
    for moment in inside:
        assert answers(rotation, index, moment) == expected, moment


@FAST
@given(st.data())
def test_kept_plans_equal_fresh_ones_as_time_moves_on(data: st.DataObject) -> None:
    primary = data.draw(rotations(windows=data.draw(st.booleans())))
    backup = Rotation("b", ("x", "y", "p1"), "America/New_York", date(2026, 1, 1), time(8),
                      data.draw(st.sampled_from([ShiftLength(12, "hours"), ShiftLength(1, "days")])),
                      data.draw(st.sampled_from([None, (time(8), time(18)), (time(22), time(6))])))
    rotation_map = {"r": primary, "b": backup}
    policy = Policy("p", "r", (BackupRef("next"), BackupRef("rotation", "b"), BackupRef("person", "p2")),
                    cio="boss")
    start = data.draw(moments_near_edges(primary))
    index = OverrideIndex(data.draw(short_overrides(start, ("r", "b"))))
    chains = SteadyChains()
    moment = start
    for step in data.draw(st.lists(st.integers(-600, 3 * 3600), min_size=1, max_size=25)):
        moment += timedelta(seconds=step)
        fresh = build_chain(policy, rotation_map, moment,
                            lambda rotation, when: on_call_with_overrides(rotation, index, when))
        assert chains.plan(policy, rotation_map, index, moment) == fresh, moment


def weekly() -> tuple[Policy, dict[str, Rotation]]:
    rotation = Rotation("r", ("alice", "bob", "carol"), "Europe/Berlin", date(2026, 2, 23), time(9))
    return Policy("p", "r", (BackupRef("next"),), cio="dana"), {"r": rotation}


def test_a_plan_is_reused_until_the_handoff_and_replaced_at_it() -> None:
    policy, rotation_map = weekly()
    chains, index = SteadyChains(), OverrideIndex()
    early = chains.plan(policy, rotation_map, index, BERLIN_MONDAY_0900 - timedelta(hours=1))
    assert early.people == ("alice", "bob", "dana")
    assert chains.plan(policy, rotation_map, index, BERLIN_MONDAY_0900 - TINY) is early
    assert chains.plan(policy, rotation_map, index, BERLIN_MONDAY_0900).people == ("bob", "carol", "dana")


def test_new_overrides_or_a_new_configuration_are_never_answered_from_an_old_plan() -> None:
    policy, rotation_map = weekly()
    chains, at = SteadyChains(), BERLIN_MONDAY_0900 - timedelta(hours=3)
    assert chains.plan(policy, rotation_map, OverrideIndex(), at).people[0] == "alice"
    swap = OverrideIndex([Override("1", "r", "erin", at - timedelta(hours=1), at + timedelta(hours=1))])
    assert chains.plan(policy, rotation_map, swap, at).people[0] == "erin"
    reloaded = {"r": Rotation("r", ("frank", "bob"), "Europe/Berlin", date(2026, 2, 23), time(9))}
    assert chains.plan(policy, reloaded, swap, at + timedelta(hours=2)).people[0] == "frank"


def test_an_override_starting_soon_ends_the_kept_plan_on_the_dot() -> None:
    policy, rotation_map = weekly()
    starts = BERLIN_MONDAY_0900 - timedelta(minutes=17, seconds=3)
    index = OverrideIndex([Override("1", "r", "erin", starts, starts + timedelta(minutes=5))])
    chains = SteadyChains()
    assert chains.plan(policy, rotation_map, index, starts - timedelta(minutes=30)).people[0] == "alice"
    assert chains.plan(policy, rotation_map, index, starts - TINY).people[0] == "alice"
    assert chains.plan(policy, rotation_map, index, starts).people[0] == "erin"
    assert chains.plan(policy, rotation_map, index, starts + timedelta(minutes=5)).people[0] == "alice"


def test_a_clock_set_back_gets_the_plan_of_its_own_time() -> None:
    policy, rotation_map = weekly()
    chains, index = SteadyChains(), OverrideIndex()
    assert chains.plan(policy, rotation_map, index, BERLIN_MONDAY_0900).people[0] == "bob"
    assert chains.plan(policy, rotation_map, index, BERLIN_MONDAY_0900 - TINY).people[0] == "alice"


def test_coverage_window_edges_end_a_kept_plan() -> None:
    rotation_map = {"r": Rotation("r", ("alice", "bob"), "Europe/Berlin", date(2026, 2, 23), time(9),
                                  active=(time(8), time(18)))}
    policy, chains, index = Policy("p", "r", cio="dana"), SteadyChains(), OverrideIndex()
    closes = datetime(2026, 3, 3, 17, tzinfo=UTC)  # Tuesday 18:00 CET, bob's week
    kept = chains.plan(policy, rotation_map, index, closes - timedelta(minutes=40))
    assert kept.people == ("bob", "dana")
    assert chains.plan(policy, rotation_map, index, closes - TINY) is kept
    assert chains.plan(policy, rotation_map, index, closes).people == ("dana",)
