"""Callbacks through the simulator: every engineer busy, "press 2", the number, the limits."""

from __future__ import annotations

from typing import Any

import pytest

from app.calls import events as ev
from app.calls.ledger import summarise
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.devtools.simulator import events as sim_events
from app.eventlog.port import MemorySink
from app.guard.port import LocalGuard
from tests.support.abuse import configured, make_sim
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, HOTLINE

CHAIN = ("dana", "alice", "erin", "carol")
ALL_BUSY = ("All our engineers are on other calls right now. Press 2 to be called back, "
            "or stay on the line and we will try again in a moment.")
BOOKED_ACME = ("Thank you. An engineer will call you back on 4 9 3 0 1 2 3 4 5 6 7. Goodbye.")
WITHHELD = "anonymous"


class BusyFor(LocalGuard):
    """Everyone is on another call for the first ``checks`` presence checks, then free (a
    dial step checks each person twice: to skip them, and whether all were busy)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def busy(self, person: str) -> bool:
        self.checks -= 1
        return self.checks >= 0


@pytest.fixture
def busy(app: Any) -> LocalGuard:
    """Every engineer of the chain on another hotline call."""
    guard = app.extensions["hotline"].guard
    for n, person in enumerate(CHAIN):
        guard.engaged(person, f"CA{n:032d}")
    return guard


def of_type(sink: MemorySink, type_: str) -> list[dict[str, Any]]:
    return [e["data"] for e in sink.of_type(type_)]


def test_everyone_busy_the_caller_asks_for_a_callback_on_their_number(sim, sink, busy) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=["2", "1#"]))

    assert result.errors == []
    assert result.dialed == []
    assert result.caller_heard[:2] == ["Hello ACME. Connecting you to our on-call engineer.",
                                       ALL_BUSY]
    assert result.caller_heard[2].startswith("We will call you back on the number ending "
                                             "4 5 6 7.")
    assert result.caller_heard[-1] == BOOKED_ACME
    assert of_type(sink, ev.CALLBACK_OFFERED) == [{"round": 0, "chain": list(CHAIN)}]
    requested = of_type(sink, ev.CALLBACK_REQUESTED)
    assert [(r["number"], r["source"], r["contract"]) for r in requested] == [
        (ACME, "caller_id", "acme")]
    assert summarise(sink.events).outcome == ev.OUTCOME_CALLBACK


def test_a_caller_who_stays_on_the_line_is_tried_again(sim, sink, app) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].guard = BusyFor(2 * len(CHAIN))
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None]),
                            {DANA: Answer(press="1", talk_seconds=30)})

    assert result.errors == []
    assert ALL_BUSY in result.caller_heard
    assert result.connected_to == DANA
    first_ring = next(e.at for e in result.events if e.kind == sim_events.RINGS)
    assert first_ring >= 20, "the chain is tried again after the configured wait"
    assert summarise(sink.events).outcome == ev.OUTCOME_CONNECTED


def test_the_waits_run_out_into_the_voicemail_which_offers_the_key_too(sim, sink, busy) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None] * 4, record_key="#"))

    assert result.errors == []
    assert result.caller_heard.count(ALL_BUSY) == 3  # retries = 3
    assert [d["round"] for d in of_type(sink, ev.CALLBACK_OFFERED)] == [0, 1, 2]
    assert result.caller_heard[-2].endswith("Or press 2 now to be called back instead.")
    assert result.recorded
    assert summarise(sink.events).outcome == ev.OUTCOME_VOICEMAIL


def test_each_round_of_the_wait_logs_its_skips_again(sim, sink, busy) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None] * 4, record_key="#"))

    assert result.errors == []
    stored = {e["key"]: e["data"] for e in sink.of_type(ev.STEP_SKIPPED)}  # once by key
    rounds = range(4)  # the first, and one after each of the 3 waits
    assert sorted((d.get("round", 0), d["step"], d["person"]) for d in stored.values()) == [
        (r, step, person) for r in rounds for step, person in enumerate(CHAIN)]
    assert f"{result.call_sid}:skip:0" in stored, "the first round's keys are the old ones"


def test_a_round_after_the_wait_logs_its_dials_under_its_own_keys(sim, sink, app) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].guard = BusyFor(2 * len(CHAIN))
    phones = {DANA: NoAnswer(), ALICE: Answer(press="1", talk_seconds=30)}
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None]), phones)

    assert result.errors == [] and result.connected_to == ALICE
    sid = result.call_sid
    dials = {e["key"]: e["data"] for e in sink.events
             if e["type"] in (ev.DIAL_STARTED, ev.DIAL_RESULT)}
    assert sorted(dials) == sorted(f"{sid}:dial:{step}:r1:{what}" for step in (0, 1)
                                   for what in ("started", "result"))
    assert [d.get("round") for d in dials.values()] == [1, 1, 1, 1]
    assert summarise(sink.events).outcome == ev.OUTCOME_CONNECTED


def test_at_the_voicemail_prompt_2_asks_for_a_callback(sim, sink) -> None:  # type: ignore[no-untyped-def]
    phones = {DANA: NoAnswer(), ALICE: NoAnswer(), ERIN: NoAnswer(), CAROL: NoAnswer()}
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=["2", "1#"]), phones)

    assert result.errors == []
    assert len(result.dialed) == 4 and not result.recorded
    assert result.caller_heard[-1] == BOOKED_ACME
    assert of_type(sink, ev.CALLBACK_REQUESTED)[0]["number"] == ACME


def test_a_withheld_caller_types_the_number(sim, sink, busy) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(WITHHELD, HOTLINE, CallerScript(digits=["4711#", "2", "030123456#"]))

    assert result.errors == []
    assert "Please enter the number we should call you back on" in result.caller_heard[-2]
    requested = of_type(sink, ev.CALLBACK_REQUESTED)
    assert [(r["number"], r["source"]) for r in requested] == [("+4930123456", "typed")]


@pytest.mark.parametrize(("typed", "reason"), [
    ("00499001234567#", "surcharged or unusual number type"),  # premium rate
    ("004918012345#", "surcharged or unusual number type"),    # shared cost
    ("00447400123456#", "country not allowed"),                # a UK mobile
    ("12#", "not a valid number"),
    ("0#", "no number"),
])
def test_a_typed_number_that_may_not_be_called_is_refused(sim, sink, busy, typed, reason) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(WITHHELD, HOTLINE,
                            CallerScript(digits=["4711#", "2", typed], record_key="#"))

    assert result.errors == []
    assert of_type(sink, ev.CALLBACK_REQUESTED) == []
    assert [r["reason"] for r in of_type(sink, ev.CALLBACK_REFUSED)] == [reason]
    assert any(t.startswith("Sorry, we cannot call that number back.") for t in result.caller_heard)
    assert result.recorded, "the caller may still leave a voicemail"


def test_at_most_three_requests_per_caller_and_hour(sim, sink, busy) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        sim.place_call(ACME, HOTLINE, CallerScript(digits=["2", "1#"], record_key="#"))
    assert len(of_type(sink, ev.CALLBACK_REQUESTED)) == 3
    assert [r["reason"] for r in of_type(sink, ev.CALLBACK_REFUSED)] == ["too many requests"]


def test_a_blocklisted_number_is_refused(settings, sink) -> None:  # type: ignore[no-untyped-def]
    sim, app = make_sim(settings, configured(blocklist=["+49 30 123"]), sink)
    for n, person in enumerate(CHAIN):
        app.extensions["hotline"].guard.engaged(person, f"CA{n:032d}")
    result = sim.place_call(WITHHELD, HOTLINE,
                            CallerScript(digits=["4711#", "2", "030123456#"], record_key="#"))
    assert result.errors == []
    assert [r["reason"] for r in of_type(sink, ev.CALLBACK_REFUSED)] == ["blocklisted"]


def triage_sim(settings: Any, config: Any, sink: MemorySink) -> Any:
    from dataclasses import replace

    from app.config.callbacks import CallbacksSection

    sim, _ = make_sim(settings, replace(config, callbacks=CallbacksSection(triage_menu=True)),
                      sink)
    return sim


MENU = "If your production system is down, press 1. For everything else, press 2."


@pytest.mark.parametrize("key", ["1", None, "7"])
def test_the_24_7_menu_rings_the_chain_for_production_down(settings, config, sink, key) -> None:  # type: ignore[no-untyped-def]
    sim = triage_sim(settings, config, sink)
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[key]), {DANA: Answer(press="1")})

    assert result.errors == []
    assert result.caller_heard == ["Hello ACME. Connecting you to our on-call engineer.", MENU]
    assert result.connected_to == DANA
    assert [e["data"]["urgent"] for e in sink.of_type(ev.TRIAGE_CHOSEN)] == [True]


def test_the_24_7_menu_s_2_asks_for_a_callback_and_wakes_nobody(settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    sim = triage_sim(settings, config, sink)
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=["2", "1#"]))

    assert result.errors == []
    assert result.dialed == []
    assert result.caller_heard[-1] == BOOKED_ACME
    assert of_type(sink, ev.TRIAGE_CHOSEN) == [{"digits": "2", "urgent": False}]
    assert summarise(sink.events).outcome == ev.OUTCOME_CALLBACK


def test_without_the_menu_an_identified_caller_presses_nothing(sim) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert MENU not in result.caller_heard
    assert not [e for e in result.events if e.who == "caller" and e.kind == sim_events.PRESSES]
