"""Incident messages through the simulator: heard after the greeting, 1 to reach the engineer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.calls import events as ev
from app.calls.incident import Incident, message_problem
from app.calls.ledger import summarise
from app.devtools.simulator import Answer, CallerScript
from app.devtools.simulator import events as sim_events
from tests.support.constants import ACME, DANA, HOTLINE, NOW

GREETING = "Hello ACME. Connecting you to our on-call engineer."
MESSAGE = "The EU cluster is down since 3 am. We are working on it."
OFFER = "Press 1 to reach the engineer anyway."


def with_incident(app: Any, **kwargs: Any) -> Incident:
    incident = Incident(**{"id": 7, "message": MESSAGE, "expires_at": NOW + timedelta(hours=2),
                           **kwargs})
    app.extensions["hotline_incidents"].incidents = (incident,)
    return incident


def first_ring(result: Any) -> float:
    return next(e.at for e in result.events if e.kind == sim_events.RINGS)


def test_the_caller_hears_it_and_presses_1_to_reach_the_engineer(app, sim, sink) -> None:  # type: ignore[no-untyped-def]
    with_incident(app)
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=["1"]), {DANA: Answer(press="1")})

    assert result.errors == []
    assert result.caller_heard == [GREETING, MESSAGE, OFFER]
    assert result.connected_to == DANA
    assert first_ring(result) <= 12.5, "at most about 12 s of speech before the first ring"
    assert [e["data"] for e in sink.of_type(ev.INCIDENT_HEARD)] == [
        {"incident": 7, "press_through": True}]
    assert [e["data"] for e in sink.of_type(ev.INCIDENT_PRESSED)] == [{"incident": 7}]
    assert summarise(sink.events).outcome == ev.OUTCOME_CONNECTED


def test_a_caller_who_presses_nothing_gets_the_voicemail_and_wakes_nobody(app, sim, sink) -> None:  # type: ignore[no-untyped-def]
    with_incident(app)
    result = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None], record_key="#"))

    assert result.errors == []
    assert result.dialed == [] and result.recorded
    assert sink.of_type(ev.INCIDENT_PRESSED) == []


def test_without_press_through_the_chain_rings_after_the_message(app, sim, sink) -> None:  # type: ignore[no-untyped-def]
    with_incident(app, press_through=False)
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})

    assert result.errors == []
    assert result.caller_heard == [GREETING, MESSAGE]
    assert result.connected_to == DANA
    assert first_ring(result) <= 12.5
    assert not [e for e in result.events if e.who == "caller" and e.kind == sim_events.PRESSES]
    assert len(sink.of_type(ev.INCIDENT_HEARD)) == 1


def test_an_incident_for_other_contracts_or_expired_changes_nothing(app, sim, clock) -> None:  # type: ignore[no-untyped-def]
    with_incident(app, contracts=("globex",), lines=("premium",))
    other = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert other.caller_heard == [GREETING] and first_ring(other) <= 4.5

    with_incident(app)
    clock[0] = NOW + timedelta(hours=3)
    expired = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert MESSAGE not in expired.caller_heard


def test_a_message_too_long_to_say_in_time_is_refused() -> None:
    assert message_problem(MESSAGE) == ""
    assert message_problem(" ".join(["word"] * 20)).startswith("the message is too long")
    assert message_problem("   ") == "the message is empty"
