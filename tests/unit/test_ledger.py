"""Tables of calls, as event lists, and the summaries the ledger must derive from them."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls import events as ev
from app.calls.ledger import AttemptSummary, VoicemailSummary, summarise
from tests.support.ledger_events import (
    ABANDONED_WHILE_RINGING,
    ACCEPTED_BUT_CALLER_LEFT,
    BRIDGED_BUT_NOT_CONNECTED,
    BUSY_FAILED_CANCELED,
    CONNECTED_FIRST,
    DECLINED_THEN_CONNECTED,
    IN_PROGRESS,
    LEG_EVENTS_WITHOUT_STEP,
    REJECTED,
    SID,
    T0,
    TALKING_NOW,
    VOICEMAIL_BOX_THEN_NOBODY,
    dial,
    e,
    ended,
    identified,
    leg,
    result,
    started,
)

CASES: list[tuple[str, list[ev.Event], dict[str, Any], list[str]]] = [
    ("connected at the first step", CONNECTED_FIRST,
     {"outcome": "connected", "answered_by": "p0", "time_to_answer_seconds": 10.0,
      "identified_by": "caller_id", "contract": "acme", "contract_name": "ACME GmbH",
      "caller": "+493012345678", "hotline_number": "+4989100200",
      "ended_at": T0 + timedelta(seconds=72)},
     ["connected"]),
    ("declined, then the backup accepts", DECLINED_THEN_CONNECTED,
     {"outcome": "connected", "answered_by": "p1", "time_to_answer_seconds": 28.0,
      "identified_by": "pin"},
     ["declined", "connected"]),
    ("a voicemail box picks up, nobody else answers, a message is left",
     VOICEMAIL_BOX_THEN_NOBODY,
     {"outcome": "voicemail", "answered_by": None, "time_to_answer_seconds": None},
     ["not-accepted", "no-answer"]),
    ("busy, failed, and the caller hangs up while the third rings", BUSY_FAILED_CANCELED,
     {"outcome": "abandoned", "contract": None, "identified_by": None},
     ["busy", "failed", "canceled"]),
    ("rejected", REJECTED, {"outcome": "rejected", "caller": "+49301"}, []),
    ("still ringing", IN_PROGRESS, {"outcome": None, "ended_at": None}, ["ringing"]),
    ("abandoned before any answer", ABANDONED_WHILE_RINGING, {"outcome": "abandoned"},
     ["canceled"]),
    ("bridged flag without a connected outcome", BRIDGED_BUT_NOT_CONNECTED,
     {"outcome": "abandoned", "answered_by": None}, ["not-accepted"]),
    ("accepted, but the caller left before the bridge", ACCEPTED_BUT_CALLER_LEFT,
     {"outcome": "abandoned"}, ["canceled"]),
    ("accepted and talking: no dial result yet", TALKING_NOW, {"outcome": None}, ["ringing"]),
    ("leg callbacks without a step borrow it from the leg", LEG_EVENTS_WITHOUT_STEP,
     {"outcome": "connected", "time_to_answer_seconds": 9.0}, ["connected"]),
]


@pytest.mark.parametrize(("events", "call", "statuses"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_summary_table(events: list[ev.Event], call: dict[str, Any], statuses: list[str]) -> None:
    forward = summarise(events)
    assert {name: getattr(forward, name) for name in call} == call
    assert [a.status for a in forward.attempts] == statuses
    assert forward.call_sid == SID
    assert forward.started_at == T0
    shuffled = events * 2
    random.Random(7).shuffle(shuffled)
    assert summarise(list(reversed(events))) == forward
    assert summarise(shuffled) == forward


def test_connected_attempt_details() -> None:
    (attempt,) = summarise(CONNECTED_FIRST).attempts
    assert attempt == AttemptSummary(
        step=0, person="p0", number="+491700", leg_sid="CL0", status="connected", accept_key="1",
        ring_seconds=4.5, talk_seconds=60, started_at=T0 + timedelta(seconds=2.5),
        ended_at=T0 + timedelta(seconds=71),
    )


@pytest.mark.parametrize(
    ("events", "ring_seconds", "accept_key", "talk_seconds"),
    [
        # Rung from the leg's first callback (Twilio's clock), not from our dial.started.
        (DECLINED_THEN_CONNECTED, [4.5, 4.5], ["2", "1"], [0, 30]),
        (VOICEMAIL_BOX_THEN_NOBODY, [4.5, 23.0], [None, None], [0, 0]),
        (BUSY_FAILED_CANCELED, [1.0, 1.0, 4.0], [None, None, None], [0, 0, None]),
        (IN_PROGRESS, [None], [None], [None]),
        (TALKING_NOW, [3.0], ["1"], [None]),
    ],
)
def test_attempt_timings(events: list[ev.Event], ring_seconds: list[float | None],
                         accept_key: list[str | None], talk_seconds: list[int | None]) -> None:
    attempts = summarise(events).attempts
    assert [a.ring_seconds for a in attempts] == ring_seconds
    assert [a.accept_key for a in attempts] == accept_key
    assert [a.talk_seconds for a in attempts] == talk_seconds


def test_voicemail_summary_merges_record_and_status() -> None:
    assert summarise(VOICEMAIL_BOX_THEN_NOBODY).voicemails == [
        VoicemailSummary(recording_sid="RE1", url="https://r/RE1", duration=31, status="completed")
    ]


def test_voicemail_without_status_callback_yet() -> None:
    events = [e for e in VOICEMAIL_BOX_THEN_NOBODY if e["type"] != ev.RECORDING_STATUS]
    expected = VoicemailSummary("RE1", "https://r/RE1", 30, "recorded")
    assert summarise(events).voicemails == [expected]


def test_first_copy_of_a_key_wins() -> None:
    late_copy = dict(CONNECTED_FIRST[0], at=(T0 + timedelta(seconds=5)).isoformat())
    assert summarise([*CONNECTED_FIRST, late_copy]).started_at == T0


def test_events_of_two_calls_are_refused() -> None:
    other = ev.make_event(ev.CALL_ENDED, "CA" + "b" * 32, "end", {})
    with pytest.raises(ValueError, match="exactly one call"):
        summarise([*IN_PROGRESS, other])
    with pytest.raises(ValueError):
        summarise([])


def test_naive_and_offset_timestamps_are_utc() -> None:
    naive = dict(started(), at="2027-03-28T00:30:00")
    offset = dict(ended(0), at="2027-03-28T02:31:00+02:00")
    call = summarise([naive, offset])
    assert call.started_at == T0
    assert call.ended_at == T0 + timedelta(minutes=1)


@settings(max_examples=60, deadline=None)
@given(st.permutations(VOICEMAIL_BOX_THEN_NOBODY),
       st.lists(st.integers(0, 20), max_size=10))
def test_any_order_and_duplicates_give_one_summary(
    events: list[ev.Event], dupes: list[int]
) -> None:
    expected = summarise(VOICEMAIL_BOX_THEN_NOBODY)
    assert summarise(events + [events[i % len(events)] for i in dupes]) == expected


def test_a_dial_the_caller_never_heard_is_no_attempt() -> None:
    started = e(ev.DIAL_STARTED, "dial:9:started", 50, step=9, person="px", number="+4917099")
    ended = e(ev.CALL_ENDED, "ended", 51, call_status="completed", duration=51)
    summary = summarise([*VOICEMAIL_BOX_THEN_NOBODY[:3], started, ended])
    assert 9 not in [a.step for a in summary.attempts]
    in_progress = summarise([*VOICEMAIL_BOX_THEN_NOBODY[:3], started])
    assert [a.status for a in in_progress.attempts if a.step == 9] == ["ringing"]


CLOSED_VOICEMAIL = [
    started(), identified(), e(ev.ROUTE_CLOSED, "closed", 1, opens_at=None, emergency_option=True),
    e(ev.VOICEMAIL_STARTED, "vm", 1, reason="closed"),
    e(ev.VOICEMAIL_RECORDED, "vm-rec", 40, recording_sid="RE2", recording_url="https://r/RE2",
      duration="25", digits="hangup"),
    ended(41),
]
# "Closed; press 1 if production is down": the voicemail was offered at 1 s, then the chain rang
# from 6 s until 29 s, then the caller recorded a message.
CLOSED_EMERGENCY_NOBODY = [
    *CLOSED_VOICEMAIL[:4], e(ev.ROUTE_EMERGENCY, "emergency", 5, digits="1"),
    dial(0, 6, "p0"), leg(0, 7, "ringing", 0), leg(0, 29, "no-answer", 1),
    result(0, 29, "no-answer", False), *CLOSED_VOICEMAIL[4:],
]


@pytest.mark.parametrize(("events", "waited", "out_of_hours"), [
    (CONNECTED_FIRST, 10.0, False),               # until the accept key
    (DECLINED_THEN_CONNECTED, 28.0, False),
    (VOICEMAIL_BOX_THEN_NOBODY, 45.0, False),     # until the voicemail began
    (ABANDONED_WHILE_RINGING, 9.0, False),        # until the caller hung up
    (ACCEPTED_BUT_CALLER_LEFT, 12.0, False),
    (REJECTED, None, False),                      # nobody was meant to answer
    (IN_PROGRESS, None, False),
    (CLOSED_VOICEMAIL, 1.0, True),
    (CLOSED_EMERGENCY_NOBODY, 29.0, True),        # until the last phone stopped ringing
], ids=["connected", "declined-then-connected", "voicemail", "abandoned", "accepted-left",
        "rejected", "in-progress", "closed-voicemail", "closed-emergency"])
def test_how_long_the_caller_waited(events: list[ev.Event], waited: float | None,
                                    out_of_hours: bool) -> None:
    summary = summarise(events)
    assert (summary.waited_seconds, summary.out_of_hours) == (waited, out_of_hours)
