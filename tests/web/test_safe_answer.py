"""A failure inside a webhook still answers TwiML that rings a person, never an error."""

from __future__ import annotations

from app.devtools.simulator import Answer, CallerScript, NoAnswer
from tests.support.constants import ACME, CAROL, ERIN, HOTLINE


def broken_clock():  # type: ignore[no-untyped-def]
    raise RuntimeError("the clock broke")


def test_an_exception_still_reaches_the_cio(app, sim) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, phones={CAROL: Answer(press=None), ERIN: NoAnswer()})
    assert result.errors == []
    assert result.caller_heard[0].startswith("We are sorry, something went wrong")
    assert set(result.dialed) == {CAROL, ERIN}
    assert result.connected_to == CAROL
    assert result.requests[0].status == 200


def test_an_exception_and_nobody_answers_ends_in_a_recording(app, sim) -> None:  # type: ignore[no-untyped-def]
    app.extensions["hotline"].clock = broken_clock
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=5),
                            {CAROL: NoAnswer(), ERIN: NoAnswer()})
    assert result.errors == []
    assert result.recorded
    assert result.caller_heard[-1].startswith("We are sorry, no engineer could take your call")
