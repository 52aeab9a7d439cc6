"""Abuse limits: blocklist, PIN guessing (per caller and overall), call length, busy engineers."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from redis import Redis

from app.calls import events as ev
from app.calls.ledger import summarise
from app.devtools.simulator import Answer, CallerScript
from app.eventlog.port import MemorySink
from app.guard.redis_guard import PREFIX, RedisGuard
from tests.support.abuse import (
    RIGHT,
    WRONG,
    checked_wrong,
    concurrent_pins,
    configured,
    limited_config,
    make_sim,
    sliding_window_holds,
)
from tests.support.constants import (
    ACME,
    ALICE,
    DANA,
    HOTLINE,
    REPO,
)

WRONG_THREE_TIMES = CallerScript(digits=["1111#", "2222#", "3333#"])


def test_blocklisted_numbers_and_prefixes_are_rejected(settings) -> None:  # type: ignore[no-untyped-def]
    sink = MemorySink()
    sim, _ = make_sim(settings, configured(blocklist=["+1 900", "+4940111222"]), sink)
    for caller in ("+19005550100", "+4940111222"):
        result = sim.place_call(caller, HOTLINE, phones={DANA: Answer(press="1")})
        assert result.dialed == [] and result.caller_heard == []
        assert result.end_status == "busy"
    assert [e["data"]["reason"] for e in sink.of_type(ev.CALL_REJECTED)] == ["blocklist"] * 2
    assert summarise([e for e in sink.events if e["call_sid"] == result.call_sid]).outcome == "rejected"
    allowed = sim.place_call("+4940111223", HOTLINE, CallerScript(digits=["4711#"]),
                             {DANA: Answer(press="1")})
    assert allowed.connected_to == DANA


def test_a_whole_country_is_rejected(settings) -> None:  # type: ignore[no-untyped-def]
    sink = MemorySink()
    sim, _ = make_sim(settings, configured(blocklist=["+7", "+1"]), sink)
    for caller in ("+74951234567", "+12125550100"):
        result = sim.place_call(caller, HOTLINE, phones={DANA: Answer(press="1")})
        assert result.dialed == [] and result.end_status == "busy"
    assert [e["data"]["reason"] for e in sink.of_type(ev.CALL_REJECTED)] == ["blocklist"] * 2
    assert sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")}).connected_to == DANA


def test_pin_guessing_is_limited_per_caller(settings) -> None:  # type: ignore[no-untyped-def]
    sim, _ = make_sim(settings, configured(pin_failures_per_caller=4))
    first = sim.place_call("+4940111222", HOTLINE, WRONG_THREE_TIMES)
    assert len([t for t in first.caller_heard if "PIN" in t]) == 4  # prompt, 2 retries, failed
    second = sim.place_call("+4940111222", HOTLINE, WRONG_THREE_TIMES)
    assert not [t for t in second.caller_heard if "not recognised" in t], "4th failure: no retry"
    assert second.caller_heard[1].startswith("Sorry, we could not recognise your PIN.")
    third = sim.place_call("+4940111222", HOTLINE, CallerScript(digits=["4711#"]))
    assert not any("PIN" in t for t in third.caller_heard), "no more guesses: straight to voicemail"
    assert third.recorded and third.dialed == []
    other = sim.place_call("+4940999888", HOTLINE, CallerScript(digits=["4711#"]),
                           {DANA: Answer(press="1")})
    assert other.connected_to == DANA


def test_pin_guessing_is_limited_overall(settings) -> None:  # type: ignore[no-untyped-def]
    sim, _ = make_sim(settings, configured(pin_failures_global=5))
    for n in range(2):
        sim.place_call(f"+494011122{n}", HOTLINE, WRONG_THREE_TIMES)
    fresh = sim.place_call("+4940555666", HOTLINE, CallerScript(digits=["4711#"]))
    assert fresh.dialed == [] and fresh.recorded
    known = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert known.connected_to == DANA, "customers identified by caller ID are never limited"


def test_calls_have_a_maximum_length(settings) -> None:  # type: ignore[no-untyped-def]
    sim, _ = make_sim(settings, configured(max_call_minutes=45))
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert 'timeLimit="2700"' in result.requests[0].body


def test_an_engineer_on_a_hotline_call_is_not_rung_again(settings, config) -> None:  # type: ignore[no-untyped-def]
    sink = MemorySink()
    sim, app = make_sim(settings, config, sink)
    guard = app.extensions["hotline"].guard
    guard.engaged("dana", "CA" + "f" * 32)  # dana accepted another customer's call
    result = sim.place_call(ACME, HOTLINE, phones={ALICE: Answer(press="1")})
    assert result.dialed == [ALICE]
    skipped = sink.of_type(ev.STEP_SKIPPED)[0]["data"]
    assert (skipped["person"], skipped["reason"]) == ("dana", "dana is on another hotline call")
    guard.released("CA" + "f" * 32)
    again = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert again.dialed == [DANA]


def test_accepting_marks_the_engineer_busy_until_the_call_ends(settings, config) -> None:  # type: ignore[no-untyped-def]
    sim, app = make_sim(settings, config)
    guard = app.extensions["hotline"].guard
    seen_busy: list[bool] = []
    original = guard.released

    def released(call_sid: str) -> None:
        seen_busy.append(guard.busy("dana"))
        original(call_sid)

    guard.released = released
    sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert seen_busy[0] is True, "busy while talking"
    assert guard.busy("dana") is False, "free again once the call ended"


def test_limits_are_shared_through_redis_and_safe_without_it(settings, redis_server) -> None:  # type: ignore[no-untyped-def]
    config = configured(pin_failures_per_caller=3)
    guards = [RedisGuard(redis_server.url, 3, 60, 7200) for _ in range(2)]
    web_a, _ = make_sim(settings, config, guard=guards[0])
    web_b, _ = make_sim(settings, config, guard=guards[1])
    web_a.place_call("+4940111222", HOTLINE, WRONG_THREE_TIMES)
    blocked = web_b.place_call("+4940111222", HOTLINE, CallerScript(digits=["4711#"]))
    assert blocked.dialed == [] and not any("PIN" in t for t in blocked.caller_heard)
    guards[0].engaged("dana", "CA" + "e" * 32)
    deadline = time.monotonic() + 3
    while not guards[1].busy("dana"):  # the other process sees it at its next sync
        assert time.monotonic() < deadline, "the engagement never reached the other process"
        time.sleep(0.05)
    guards[0].released("CA" + "e" * 32)
    while guards[1].busy("dana"):
        assert time.monotonic() < deadline + 3, "the release never reached the other process"
        time.sleep(0.05)
    guards[0].engaged("dana", "CA" + "d" * 32)  # dana takes another call

    while not guards[1].busy("dana"):
        assert time.monotonic() < deadline + 6
        time.sleep(0.05)
    redis_server.stop()
    while guards[1].busy("dana"):  # the snapshot is dropped at the first failed sync
        assert time.monotonic() < deadline + 9, "a stale engagement outlived Redis"
        time.sleep(0.05)
    started = time.perf_counter()
    result = web_b.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    elapsed = time.perf_counter() - started
    assert result.connected_to == DANA, "without Redis nobody is known busy: ring rather than skip"
    assert elapsed < 1.0


def test_simultaneous_guesses_through_redis_never_exceed_the_limit(redis_server) -> None:  # type: ignore[no-untyped-def]
    config = limited_config(per_caller=6)
    for round_ in range(3):
        # One guard per web process, each with its own connection; a generous budget, so that
        # what is measured is the counting, not the fallback on a loaded machine.
        guards = [RedisGuard(redis_server.url, 6, 1000, 7200, timeout=2.0) for _ in range(10)]
        caller = f"+494011122{round_}"
        attempts = concurrent_pins(config, list(guards), [WRONG] * 9 + [RIGHT], caller)
        assert len(attempts) == 10, "every call was asked for its PIN"
        wrong = checked_wrong(attempts)
        assert wrong <= 6, f"{wrong} wrong PINs checked with a limit of 6"
        assert all(g._down_until == 0 for g in guards), "Redis answered every time"
        assert Redis.from_url(redis_server.url).zcard(PREFIX + caller) == wrong
    guards = [RedisGuard(redis_server.url, 6, 1000, 7200, timeout=2.0) for _ in range(10)]
    all_wrong = concurrent_pins(config, list(guards), [WRONG] * 10, "+4940111229")
    assert checked_wrong(all_wrong) == 6, "the limit is reached, not undercut"


def test_the_redis_window_slides(redis_server) -> None:  # type: ignore[no-untyped-def]
    sliding_window_holds(lambda clock: RedisGuard(redis_server.url, 2, 1000, 7200, clock=clock))


def test_without_redis_guesses_are_limited_per_process_within_the_budget(redis_server) -> None:  # type: ignore[no-untyped-def]
    guard = RedisGuard(redis_server.url, 2, 1000, 7200)
    assert guard.pin_reserve("+4940111222") is not None
    redis_server.stop()
    started = time.perf_counter()
    assert guard.pin_reserve("+4940111222") is not None, "this process's own count: one so far"
    assert time.perf_counter() - started < 0.5
    assert guard.pin_reserve("+4940111222") is None
    assert not guard.pin_allowed("+4940111222")


RESERVE_IN_A_PROCESS = """
import sys, time
from app.guard.redis_guard import RedisGuard
guard = RedisGuard(sys.argv[1], 6, 1000, 7200, timeout=2.0)
guard.redis.ping()
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print("reserved" if guard.pin_reserve("+4940111299") else "refused", guard._down_until == 0)
"""


def test_simultaneous_processes_share_one_count(redis_server) -> None:  # type: ignore[no-untyped-def]
    start = time.time() + 3.0
    processes = [subprocess.Popen([sys.executable, "-c", RESERVE_IN_A_PROCESS, redis_server.url,
                                   str(start)], stdout=subprocess.PIPE, text=True, cwd=REPO)
                 for _ in range(10)]
    answers = [p.communicate(timeout=30)[0].split() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert all(up == "True" for _, up in answers), "every process reached Redis"
    assert sorted(word for word, _ in answers) == ["refused"] * 4 + ["reserved"] * 6


def test_one_guard_serves_many_threads_at_once(redis_server) -> None:  # type: ignore[no-untyped-def]
    """A web worker's threads share its guard: each must get Redis's own answer, never a
    connection another thread is reading from (that failed a PIN webhook in a soak)."""
    guard = RedisGuard(redis_server.url, 1000, 100_000, 7200, timeout=2.0)
    failures: list[BaseException] = []

    def reserve_and_return(n: int) -> None:
        try:
            for _ in range(40):
                ticket = guard.pin_reserve(f"+49401110{n:03d}")
                assert ticket is not None and not ticket.startswith("local:")
                guard.pin_returned(f"+49401110{n:03d}", ticket)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=reserve_and_return, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert guard._down_until == 0, "Redis answered every time"
    assert Redis.from_url(redis_server.url).zcard(PREFIX + "*") == 0, "every ticket returned"
