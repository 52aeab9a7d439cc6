"""Tables of calls, as event lists, and the summaries the ledger must derive from them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calls import events as ev
from app.calls.ledger import AttemptSummary, VoicemailSummary, summarise

SID = "CA" + "a" * 32
T0 = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


def e(type_: str, key: str, sec: float, **data: Any) -> ev.Event:
    return ev.make_event(type_, SID, key, data, T0 + timedelta(seconds=sec))


def started(sec: float = 0, caller: str | None = "+493012345678") -> ev.Event:
    return e(ev.CALL_STARTED, "start", sec, caller=caller, to="+4989100200", **{"from": "+49301"})


def identified(method: str = "caller_id") -> ev.Event:
    return e(ev.CALL_IDENTIFIED, "ident", 1, contract="acme", contract_name="ACME GmbH",
             tier="24/7", method=method, chain=["alice", "bob"])


def dial(step: int, sec: float, person: str) -> ev.Event:
    return e(ev.DIAL_STARTED, f"dial:{step}", sec, step=step, person=person,
             number=f"+49170{step}", ring_seconds=20)


def leg(step: int, sec: float, status: str, seq: int, with_step: bool = True) -> ev.Event:
    data: dict[str, Any] = {"leg_sid": f"CL{step}", "status": status, "sequence": seq}
    if with_step:
        data["step"] = step
    return e(ev.LEG_STATUS, f"leg:{step}:{seq}", sec, **data)


def screen(step: int, sec: float, digits: str | None) -> ev.Event:
    return e(ev.SCREEN_RESULT, f"screen:{step}", sec, step=step, leg_sid=f"CL{step}",
             digits=digits, accepted=digits == "1")


def result(step: int, sec: float, dial_status: str, bridged: bool, talk: int = 0,
           outcome: str | None = None) -> ev.Event:
    outcome = outcome or (ev.CONNECTED if bridged else dial_status)
    return e(ev.DIAL_RESULT, f"result:{step}", sec, step=step, leg_sid=f"CL{step}",
             dial_status=dial_status, bridged=bridged, talk_seconds=talk, outcome=outcome)


def ended(sec: float) -> ev.Event:
    return e(ev.CALL_ENDED, "end", sec, call_status="completed", duration=int(sec))


def answered_leg(step: int, t: float, digits: str | None, bridged: bool, talk: int = 0,
                 dial_status: str = "completed") -> list[ev.Event]:
    """A leg dialled at t, answered at t+5, screened at t+8, over at t+9+talk."""
    return [
        dial(step, t, f"p{step}"), leg(step, t + 0.5, "initiated", 0),
        leg(step, t + 1, "ringing", 1),
        leg(step, t + 5, "in-progress", 2), screen(step, t + 8, digits),
        result(step, t + 9 + talk, dial_status, bridged, talk),
    ]


CONNECTED_FIRST = [started(), identified(), *answered_leg(0, 2, "1", True, 60), ended(72)]
DECLINED_THEN_CONNECTED = [
    started(), identified("pin"), *answered_leg(0, 2, "2", False, dial_status="no-answer"),
    *answered_leg(1, 20, "1", True, 30), ended(60),
]
VOICEMAIL_BOX_THEN_NOBODY = [
    started(), identified(), *answered_leg(0, 2, None, False, dial_status="no-answer"),
    dial(1, 20, "p1"), leg(1, 21, "ringing", 0), leg(1, 44, "no-answer", 1),
    result(1, 44, "no-answer", False),
    e(ev.VOICEMAIL_STARTED, "vm", 45, reason="chain-exhausted"),
    e(ev.VOICEMAIL_RECORDED, "vm-rec", 80, recording_sid="RE1", recording_url="https://r/RE1",
      duration="30", digits="hangup"),
    e(ev.RECORDING_STATUS, "vm-status", 85, recording_sid="RE1", recording_url="https://r/RE1",
      status="completed", duration="31"),
    ended(81),
]
BUSY_FAILED_CANCELED = [
    started(), dial(0, 2, "p0"), result(0, 3, "busy", False),
    dial(1, 4, "p1"), result(1, 5, "failed", False),
    dial(2, 6, "p2"), leg(2, 6.5, "ringing", 0), ended(10), leg(2, 10.5, "canceled", 1),
]
REJECTED = [started(caller=None), e(ev.CALL_REJECTED, "rej", 1, reason="blocked"), ended(2)]
IN_PROGRESS = [started(), identified(), dial(0, 2, "p0"), leg(0, 3, "ringing", 0)]
ABANDONED_WHILE_RINGING = [started(), dial(0, 2, "p0"), leg(0, 3, "ringing", 0), ended(9)]
BRIDGED_BUT_NOT_CONNECTED = [
    started(), dial(0, 2, "p0"), result(0, 30, "completed", True, 20, outcome=ev.NOT_ACCEPTED),
    ended(31),
]
ACCEPTED_BUT_CALLER_LEFT = [
    started(), *answered_leg(0, 2, "1", False, dial_status="canceled"), ended(12),
]
TALKING_NOW = [started(), dial(0, 2, "p0"), leg(0, 5, "answered", 0), screen(0, 7, "1")]
LEG_EVENTS_WITHOUT_STEP = [
    started(), dial(0, 2, "p0"), leg(0, 3, "ringing", 0, with_step=False),
    leg(0, 6, "in-progress", 1, with_step=False), screen(0, 9, "1"),
    result(0, 70, "completed", True, 60), ended(71),
]

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
