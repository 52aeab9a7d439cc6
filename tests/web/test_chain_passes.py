"""The chain run more than once, bounded by a total wait, and the number the engineer sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.calls import events as ev
from app.calls.ledger import summarise
from app.cli.simulate import for_app
from app.config import HotlineConfig, parse_config
from app.devtools.simulator import Answer, CallerScript, NoAnswer, Simulator
from app.devtools.simulator import events as sim_events
from app.eventlog.port import MemorySink
from app.settings import Settings
from tests.support.config_changes import with_change
from tests.support.constants import ACME, ALICE, CAROL, DANA, ERIN, HOTLINE, NOW, TEST_CONFIG

Change = Callable[[dict[str, Any]], None]
CHAIN = [DANA, ALICE, ERIN, CAROL]
HOLD = "Please hold on, we are trying the next engineer."
AGAIN = "We are still trying to reach an engineer. Please stay on the line."


def policy(**values: Any) -> Change:
    def change(d: dict[str, Any]) -> None:
        d["policies"]["default"].update(values)
    return change


@pytest.fixture
def change() -> Change:
    return policy()


@pytest.fixture
def config(change: Change) -> HotlineConfig:
    return parse_config(with_change(TEST_CONFIG, change))


@pytest.fixture
def timed_sim(settings: Settings, config: HotlineConfig, sink: MemorySink) -> Simulator:
    """The app's clock is the simulated call's, as the wait limit needs."""
    return for_app(settings, config, sink, NOW)


@pytest.mark.parametrize("change", [policy(passes=2)])
def test_two_passes_ring_everyone_twice_then_the_voicemail(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=10), {})

    assert result.errors == []
    assert result.dialed == CHAIN * 2
    assert result.caller_heard[1:8] == [HOLD, HOLD, HOLD, AGAIN, HOLD, HOLD, HOLD]
    assert result.caller_heard[8].startswith("We are sorry, no engineer could take your call")
    summary = summarise(sink.events)
    assert [a.pass_number for a in summary.attempts] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert [a.person for a in summary.attempts] == ["dana", "alice", "erin", "carol"] * 2
    assert summary.outcome == ev.OUTCOME_VOICEMAIL
    assert [e["data"]["pass"] for e in sink.of_type(ev.DIAL_STARTED)] == [1] * 4 + [2] * 4


@pytest.mark.parametrize("change", [policy(passes=3)])
def test_the_second_pass_begins_with_the_first_person_again(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, CallerScript(hangup_after_seconds=100), {})
    assert result.dialed == [DANA, ALICE, ERIN, CAROL, DANA]
    assert result.caller_heard[-1] == AGAIN
    assert [a.pass_number for a in summarise(sink.events).attempts] == [1, 1, 1, 1, 2]


@pytest.mark.twiml_checked
@pytest.mark.parametrize("change", [policy(passes=5, max_wait_seconds=60)])
def test_the_wait_limit_ends_in_the_voicemail(timed_sim: Simulator, sink: MemorySink) -> None:
    result = timed_sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=10), {})

    assert result.errors == []
    assert result.dialed == [DANA, ALICE, ERIN], "20 s each: the fourth would pass 60 s"
    rings = [e["data"]["ring_seconds"] for e in sink.of_type(ev.DIAL_STARTED)]
    assert rings[:2] == [20, 20] and 5 <= rings[2] < 20, "the last ring is cut to what is left"
    started = sink.of_type(ev.VOICEMAIL_STARTED)
    assert [e["data"]["reason"] for e in started] == ["wait limit reached"]
    voicemail_at = next(e.at for e in result.events if e.who == "caller" and e.kind == sim_events.HEARS
                        and e.text.startswith("We are sorry"))
    assert voicemail_at <= 60 + 10, "Twilio may ring a few seconds past the timeout"


@pytest.mark.parametrize("change", [policy(passes=2, caller_id="customer")])
def test_the_engineer_sees_the_customer_s_number_and_hears_the_customer_named(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert [e["data"]["caller_id"] for e in sink.of_type(ev.DIAL_STARTED)] == [ACME]
    assert result.heard_by[DANA][0] == "Hotline call from ACME, 24/7 contract. Press 1 to accept."
    assert summarise(sink.events).attempts[0].caller_id == ACME


@pytest.mark.parametrize("change", [policy(caller_id="customer")])
def test_a_withheld_customer_number_shows_the_hotline_number(sim, sink) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call("anonymous", HOTLINE, CallerScript(digits=["4711#"]),
                            {DANA: Answer(press="1")})
    assert result.connected_to == DANA
    assert [e["data"]["caller_id"] for e in sink.of_type(ev.DIAL_STARTED)] == [HOTLINE]
    assert result.heard_by[DANA][0] == "Hotline call from ACME, 24/7 contract. Press 1 to accept."


def test_by_default_the_engineer_sees_the_hotline_number(sim, sink) -> None:  # type: ignore[no-untyped-def]
    sim.place_call(ACME, HOTLINE, phones={DANA: NoAnswer(), ALICE: Answer(press="1")})
    assert [e["data"]["caller_id"] for e in sink.of_type(ev.DIAL_STARTED)] == [HOTLINE, HOTLINE]
    assert {e["data"]["pass"] for e in sink.of_type(ev.DIAL_STARTED)} == {1}
