"""Overrides: a swap wins inside its window and nowhere else; the last created wins overlaps."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.schedule import (
    Override,
    OverrideIndex,
    Rotation,
    on_call,
    on_call_with_overrides,
    shifts,
    winning_override,
)

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
# Weekly in Berlin, Mondays 09:00; in June 2027 09:00 CEST is 07:00 UTC. ana has 2027-06-07.
WEEKLY = Rotation("primary", ("ana", "ben", "cem"), "Europe/Berlin", date(2027, 6, 7), time(9))
MON = datetime(2027, 6, 7, 7, tzinfo=UTC)


def override(oid: str, person: str, start: datetime, end: datetime,
             rotation_id: str | None = "primary") -> Override:
    return Override(oid, rotation_id, person, start, end)


SWAP = override("o1", "zoe", MON + 24 * HOUR, MON + 48 * HOUR)
LATER = override("o2", "yan", MON + 36 * HOUR, MON + 60 * HOUR)
ELSEWHERE = override("o3", "xia", MON, MON + 200 * HOUR, rotation_id="secondary")
EVERYWHERE = override("o4", "wes", MON + 100 * HOUR, MON + 101 * HOUR, rotation_id=None)
ALL = [SWAP, LATER, ELSEWHERE, EVERYWHERE]


@pytest.mark.parametrize("lookup", [ALL, OverrideIndex(ALL)], ids=["sequence", "index"])
@pytest.mark.parametrize(("at", "expected"), [
    (MON + 24 * HOUR - SECOND, "ana"),    # just before the swap
    (MON + 24 * HOUR, "zoe"),             # its start is included
    (MON + 36 * HOUR - SECOND, "zoe"),
    (MON + 36 * HOUR, "yan"),             # the later override wins the overlap
    (MON + 48 * HOUR, "yan"),             # zoe's end is excluded
    (MON + 60 * HOUR - SECOND, "yan"),
    (MON + 60 * HOUR, "ana"),             # back to the rotation
    (MON + 100 * HOUR, "wes"),            # rotation_id None applies to this rotation too
    (MON + 101 * HOUR, "ana"),
    (MON + 7 * 24 * HOUR, "ben"),         # "secondary" never touches "primary"
])
def test_override_wins_inside_its_window_only(lookup: list[Override] | OverrideIndex,
                                              at: datetime, expected: str) -> None:
    assert on_call_with_overrides(WEEKLY, lookup, at) == expected


def test_order_not_time_decides_overlaps() -> None:
    reverse = [LATER, SWAP]
    at = MON + 40 * HOUR
    assert on_call_with_overrides(WEEKLY, reverse, at) == "zoe"
    assert on_call_with_overrides(WEEKLY, OverrideIndex(reverse), at) == "zoe"


def test_override_does_not_create_coverage() -> None:
    nights = Rotation("primary", ("ana", "ben"), "Europe/Berlin", date(2027, 6, 7), time(18),
                      active=(time(18), time(8)))
    cover = [override("o1", "zoe", MON, MON + 24 * HOUR)]
    noon = datetime(2027, 6, 7, 10, tzinfo=UTC)      # 12:00 local: outside the night window
    night = datetime(2027, 6, 7, 20, tzinfo=UTC)     # 22:00 local
    assert on_call_with_overrides(nights, cover, noon) is None
    assert on_call_with_overrides(nights, cover, night) == "zoe"
    before_start = [override("o2", "zoe", MON - 48 * HOUR, MON - 24 * HOUR)]
    assert on_call_with_overrides(WEEKLY, before_start, MON - 36 * HOUR) is None


def test_shifts_are_split_by_overrides() -> None:
    found = shifts(WEEKLY, MON, MON + 7 * 24 * HOUR + 2 * HOUR, ALL)
    assert [(s.person, s.kind, s.override_id, s.start - MON, s.end - MON) for s in found] == [
        ("ana", "rotation", None, 0 * HOUR, 24 * HOUR),
        ("zoe", "override", "o1", 24 * HOUR, 36 * HOUR),
        ("yan", "override", "o2", 36 * HOUR, 60 * HOUR),
        ("ana", "rotation", None, 60 * HOUR, 100 * HOUR),
        ("wes", "override", "o4", 100 * HOUR, 101 * HOUR),
        ("ana", "rotation", None, 101 * HOUR, 168 * HOUR),
        ("ben", "rotation", None, 168 * HOUR, 170 * HOUR),
    ]


def test_override_across_a_handoff_stays_one_shift() -> None:
    swap = override("o9", "zoe", MON + 166 * HOUR, MON + 170 * HOUR)
    found = shifts(WEEKLY, MON, MON + 172 * HOUR, [swap])
    assert [(s.person, s.start - MON, s.end - MON) for s in found] == [
        ("ana", 0 * HOUR, 166 * HOUR),
        ("zoe", 166 * HOUR, 170 * HOUR),
        ("ben", 170 * HOUR, 172 * HOUR),
    ]


def test_overrides_keep_utc_and_reject_bad_windows() -> None:
    berlin = WEEKLY.tz
    local = override("o1", "zoe", datetime(2027, 6, 8, 9, tzinfo=berlin),
                     datetime(2027, 6, 8, 10, tzinfo=berlin))
    assert local.start == datetime(2027, 6, 8, 7, tzinfo=UTC) and local.start.tzinfo is UTC
    with pytest.raises(ValueError, match="must be after start"):
        override("o2", "zoe", MON, MON)
    with pytest.raises(ValueError, match="aware datetime required"):
        override("o3", "zoe", datetime(2027, 6, 8), datetime(2027, 6, 9))


def test_index_agrees_with_a_scan_over_five_years_of_overrides() -> None:
    rng = random.Random(2027)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    many = []
    for i in range(3000):
        start = base + timedelta(minutes=rng.randrange(5 * 365 * 24 * 60))
        rotation_id = rng.choice(["primary", "primary", "secondary", None])
        many.append(override(f"o{i}", f"p{i}", start, start + timedelta(hours=rng.randint(1, 72)),
                             rotation_id))
    index = OverrideIndex(many)
    assert len(index) == 3000
    randoms = [base + timedelta(seconds=rng.randrange(5 * 365 * 24 * 3600)) for _ in range(200)]
    edges = [o.start for o in many[::30]] + [o.end - SECOND / 10**6 for o in many[::30]]
    for at in randoms + edges:
        for rotation_id in ("primary", "secondary", "tertiary"):
            assert index.winner(rotation_id, at) == winning_override(many, rotation_id, at)


def test_index_pieces_cover_the_window_exactly() -> None:
    index = OverrideIndex(ALL)
    pieces = index.pieces("primary", MON, MON + 200 * HOUR)
    assert pieces[0][0] == MON and pieces[-1][1] == MON + 200 * HOUR
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
    assert [p[2].id if p[2] else None for p in pieces] == [None, "o1", "o2", None, "o4", None]
    assert on_call(WEEKLY, MON) == "ana"
