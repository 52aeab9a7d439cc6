"""Folding a call's events batch by batch adds up to folding them all at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls import events as ev
from app.calls.fold import FoldedCall, fold
from app.calls.ledger import summarise
from tests.support import ledger_events as le

SCENARIOS = [
    le.CONNECTED_FIRST, le.DECLINED_THEN_CONNECTED, le.VOICEMAIL_BOX_THEN_NOBODY,
    le.BUSY_FAILED_CANCELED, le.REJECTED, le.IN_PROGRESS, le.ABANDONED_WHILE_RINGING,
    le.BRIDGED_BUT_NOT_CONNECTED, le.ACCEPTED_BUT_CALLER_LEFT, le.TALKING_NOW,
    le.LEG_EVENTS_WITHOUT_STEP,
]


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[ev.Event], list[list[ev.Event]]]:
    """A call's events, and the same events (some twice) split into batches in any order."""
    events = draw(st.sampled_from(SCENARIOS))
    repeats = draw(st.lists(st.sampled_from(events), max_size=4))
    shuffled = draw(st.permutations([*events, *repeats]))
    cuts = sorted(draw(st.lists(st.integers(0, len(shuffled)), max_size=6)))
    bounds = [0, *cuts, len(shuffled)]
    return events, [shuffled[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def fold_all(parts: list[list[ev.Event]]) -> FoldedCall | None:
    folded = None
    for part in parts:
        if part or folded is not None:
            folded = fold(folded, part)
    return folded


@settings(max_examples=300, deadline=None)
@given(batches())
def test_any_split_in_any_order_folds_to_the_full_rebuild(
        case: tuple[list[ev.Event], list[list[ev.Event]]]) -> None:
    events, parts = case
    folded = fold_all(parts)
    assert folded is not None
    assert folded.summary == summarise(events)
    assert folded.keys == {e["key"] for e in events}
    assert list(folded.log) == sorted(folded.log)


def test_a_late_event_is_folded_in_its_place() -> None:
    """An event earlier than the last one folded (a delayed callback) changes the summary as if
    it had come in order."""
    late = le.identified("pin")
    rest = [e for e in le.DECLINED_THEN_CONNECTED if e["key"] != late["key"]]
    before = fold(None, rest)
    assert before.summary.identified_by is None
    after = fold(before, [late])
    assert after.summary == summarise(le.DECLINED_THEN_CONNECTED)
    assert after.log[1].key == late["key"]


def test_a_folded_key_keeps_its_first_copy() -> None:
    first = fold(None, le.CONNECTED_FIRST)
    changed = {**le.CONNECTED_FIRST[0], "at": le.T0 + timedelta(hours=1)}
    assert fold(first, [changed]) is first


def test_one_call_per_fold() -> None:
    other = {**le.started(), "call_sid": "CA" + "b" * 32, "key": "other"}
    with pytest.raises(ValueError, match="exactly one call"):
        fold(fold(None, le.IN_PROGRESS), [other])
    with pytest.raises(ValueError, match="exactly one call"):
        fold(None, [])
