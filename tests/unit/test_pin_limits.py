"""PIN guessing limits: an attempt is counted before its PIN is checked, over sliding windows."""

from __future__ import annotations

import threading

from app.calls import events as ev
from app.calls.flow import CallFlow
from app.calls.state import CallState
from app.guard.port import LocalGuard
from tests.support.abuse import (
    RIGHT,
    STRANGER,
    WRONG,
    checked_wrong,
    concurrent_pins,
    limited_config,
    sliding_window_holds,
    webhook_url,
)
from tests.support.constants import HOTLINE, NOW


def test_simultaneous_guesses_never_exceed_the_limit() -> None:
    config = limited_config(per_caller=6)
    for _round in range(5):
        guard = LocalGuard(6, 1000)
        attempts = concurrent_pins(config, [guard], [WRONG] * 9 + [RIGHT])
        assert len(attempts) == 10, "every call was asked for its PIN"
        wrong = checked_wrong(attempts)
        right = sum(1 for e in attempts if e["data"]["ok"] is True)
        assert wrong <= 6, f"{wrong} wrong PINs checked with a limit of 6"
        limited = [e for e in attempts if e["data"]["ok"] is None]
        assert len(limited) == 10 - wrong - right and all(e["data"]["limited"] for e in limited)
    all_wrong = concurrent_pins(config, [LocalGuard(6, 1000)], [WRONG] * 10)
    assert checked_wrong(all_wrong) == 6, "the limit is reached, not undercut"


def test_the_global_limit_holds_for_simultaneous_callers() -> None:
    guard = LocalGuard(1000, 4)
    barrier = threading.Barrier(12)
    tickets: list[object] = []

    def guess(i: int) -> None:
        barrier.wait(timeout=10)
        ticket = guard.pin_reserve(f"+49401112{i:02d}")
        if ticket is not None:
            tickets.append(ticket)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(tickets) == 4


def test_a_right_pin_gives_its_reservation_back() -> None:
    config = limited_config(per_caller=2)
    guard = LocalGuard(2, 1000)
    flow = CallFlow(config, webhook_url, NOW, guard=guard)
    params = {"CallSid": "CA" + "1" * 32, "From": STRANGER, "To": HOTLINE}
    for _ in range(5):
        reply = flow.pin_entered({**params, "Digits": RIGHT}, 1, CallState(version=config.version))
        assert reply.events[0]["data"]["ok"] is True
    assert guard.pin_allowed(STRANGER), "right PINs are not failures"
    for expected in (False, False, None):
        reply = flow.pin_entered({**params, "Digits": WRONG}, 1, CallState(version=config.version))
        assert reply.events[0]["data"]["ok"] is expected
    assert reply.template == "voicemail" and not guard.pin_allowed(STRANGER)
    unidentified = [e for e in reply.events if e["type"] == ev.CALL_UNIDENTIFIED]
    assert unidentified[0]["data"] == {"reason": "too many wrong PINs", "action": "voicemail"}
    reply = flow.pin_entered({**params, "Digits": RIGHT}, 1, CallState(version=config.version))
    assert reply.events[0]["data"]["ok"] is None, "over the limit, even the right PIN is not checked"


def test_the_caller_window_slides() -> None:
    sliding_window_holds(lambda clock: LocalGuard(2, 1000, clock=clock))


def test_the_global_window_slides() -> None:
    now = [5_000.0]
    guard = LocalGuard(1000, 2, clock=lambda: now[0])
    assert guard.pin_reserve("+4940111201") is not None
    now[0] += 9 * 60
    assert guard.pin_reserve(None) is not None
    assert guard.pin_reserve("+4940111203") is None
    now[0] += 60
    assert guard.pin_reserve("+4940111204") is not None
