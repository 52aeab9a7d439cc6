"""One call's events, built by hand at known seconds, and the scenarios the ledger, storage and
console tests share: connected, declined, voicemail, busy and failed, rejected, and more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.calls import events as ev

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


def settled(sec: float = 600) -> ev.Event:
    """The end's follow-up taking the log as final: the call counts then."""
    return e(ev.CALL_SETTLED, "settled", sec)


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


def for_call(events: list[ev.Event], call_sid: str) -> list[ev.Event]:
    """The same scenario under another CallSid."""
    return [
        {**e, "call_sid": call_sid, "key": e["key"].replace(SID, call_sid)} for e in events
    ]


SIDS = ["CA" + c * 32 for c in "123"]
THREE_CALLS = [
    *for_call(DECLINED_THEN_CONNECTED, SIDS[0]),
    *for_call(VOICEMAIL_BOX_THEN_NOBODY, SIDS[1]),
    *for_call(BUSY_FAILED_CANCELED, SIDS[2]),
]
