"""Abuse limits in tests: an app and simulator with chosen security settings, calls typing their
PINs at the same moment, and the check that a guard's failure window slides."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from app.calls import events as ev
from app.calls.flow import CallFlow
from app.calls.state import CallState
from app.config import HotlineConfig, parse_config
from app.devtools.simulator import FlaskClientTransport, Simulator
from app.eventlog.port import MemorySink
from app.guard.port import Guard
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.config_changes import with_change
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, HOTLINE, NOW, TEST_CONFIG

STRANGER = "+4940111222"
RIGHT, WRONG = "4711#", "1111#"


def make_sim(settings, config, sink=None, guard=None):  # type: ignore[no-untyped-def]
    app = create_app(settings, config, sink or MemorySink(), clock=lambda: NOW,
                     overrides=OverrideCache(None), TESTING=True)
    if guard is not None:
        app.extensions["hotline"].guard = guard
    sim = Simulator(FlaskClientTransport(app.test_client()), AUTH_TOKEN, account_sid=ACCOUNT_SID,
                    voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status", clock_start=NOW)
    return sim, app


def configured(**security):  # type: ignore[no-untyped-def]
    return parse_config(with_change(TEST_CONFIG, lambda d: d.update(security=security)))


def limited_config(per_caller: int, overall: int = 1000) -> HotlineConfig:
    return parse_config(with_change(TEST_CONFIG, lambda d: d.update(security={
        "pin_failures_per_caller": per_caller, "pin_failures_global": overall})))


def webhook_url(endpoint: str, query: Mapping[str, str]) -> str:
    return f"http://hotline.test/{endpoint}"


def concurrent_pins(config: HotlineConfig, guards: list[Guard], pins: list[str],
                    caller: str = STRANGER) -> list[ev.Event]:
    """One call per PIN, all from ``caller``: each is asked for its PIN, then all type at once.

    Call ``i`` is served by ``guards[i % len(guards)]`` (one guard per web process). Returns the
    ``pin.attempt`` events, one per call.
    """
    barrier = threading.Barrier(len(pins))
    found: list[ev.Event] = []
    lock = threading.Lock()

    def call(i: int, pin: str) -> None:
        flow = CallFlow(config, webhook_url, NOW, guard=guards[i % len(guards)])
        params = {"CallSid": f"CA{i:032x}", "From": caller, "To": HOTLINE}
        asked = flow.incoming(params)
        barrier.wait(timeout=10)
        if asked.template != "pin":
            return
        reply = flow.pin_entered({**params, "Digits": pin}, 1, CallState(version=config.version))
        with lock:
            found.extend(e for e in reply.events if e["type"] == ev.PIN_ATTEMPT)

    threads = [threading.Thread(target=call, args=(i, pin)) for i, pin in enumerate(pins)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return found


def checked_wrong(attempts: list[ev.Event]) -> int:
    return sum(1 for e in attempts if e["data"]["ok"] is False)


def sliding_window_holds(make: Callable[[Callable[[], float]], Guard]) -> None:
    """Failures at t and t+59 min count together at t+59 min; the first is gone at t+60 min."""
    now = [1_000_000.0]
    guard = make(lambda: now[0])
    assert guard.pin_reserve(STRANGER) is not None  # t: a wrong PIN, kept
    now[0] += 59 * 60
    assert guard.pin_reserve(STRANGER) is not None  # t + 59 min: another
    assert not guard.pin_allowed(STRANGER) and guard.pin_reserve(STRANGER) is None
    now[0] += 59.0
    assert guard.pin_reserve(STRANGER) is None, "t + 59:59: both still count"
    now[0] += 1.0
    assert guard.pin_allowed(STRANGER), "t + 60 min: the first failure has expired"
    assert guard.pin_reserve(STRANGER) is not None
    assert guard.pin_reserve(STRANGER) is None
