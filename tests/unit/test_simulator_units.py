"""Small pieces of the simulator: digit collection, the virtual clock, ids, transcript stamps."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.devtools.simulator.clock import Clock, HungUp, Ids
from app.devtools.simulator.outcomes import Answer
from app.devtools.simulator.transcript import stamp
from app.devtools.simulator.twiml import collect_digits, mime_type, speech_seconds


@pytest.mark.parametrize(("keys", "num_digits", "finish", "expected"), [
    ("4711#", None, "#", ("4711", "#", True)),
    ("4711", None, "#", ("4711", "", False)),
    ("#", None, "#", ("", "#", True)),
    ("123", 1, "#", ("1", "", True)),
    ("12#3", 5, "#", ("12", "#", True)),
    ("12#3", None, "", ("12#3", "", False)),
    ("12*", None, "*", ("12", "*", True)),
    ("99", 2, "#", ("99", "", True)),
])
def test_collect_digits(keys: str, num_digits: int | None, finish: str,
                        expected: tuple[str, str, bool]) -> None:
    assert collect_digits(keys, num_digits, finish) == expected


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3599, "59:59"), (3600, "1:00:00"),
    (3725, "1:02:05"),
])
def test_stamp(seconds: float, text: str) -> None:
    assert stamp(seconds) == text


def test_speech_takes_about_two_and_a_half_words_a_second() -> None:
    assert speech_seconds("one two three four five") == 2.0
    assert speech_seconds("Hi") == 1.0


def test_mime_type() -> None:
    assert mime_type("Text/XML; charset=UTF-8") == "text/xml"


def test_clock_stops_at_the_deadline_and_says_so() -> None:
    clock = Clock(datetime(2030, 3, 31, 0, 59, 58), deadline=10.0)
    clock.advance(4)
    assert clock.rfc2822() == "Sun, 31 Mar 2030 01:00:02 +0000"  # a naive start is UTC
    clock.advance(6)  # reaching the deadline is not passing it
    with pytest.raises(HungUp) as gone:
        clock.advance(0.5)
    assert gone.value.at == clock.now == 10.0
    assert clock.fork(3.0, 5.0).deadline == 5.0 and clock.fork(3.0).deadline == 10.0


def test_ids_are_twilio_shaped_and_reproducible() -> None:
    first, again = Ids(42), Ids(42)
    sid = first.sid("CA")
    assert re.fullmatch(r"CA[0-9a-f]{32}", sid)
    assert again.sid("CA") == sid
    assert first.token() != first.token()


def test_answer_presses() -> None:
    assert Answer().presses() == [None]
    assert Answer(press="1").presses() == ["1"]
    assert Answer(press=["9", None, "1"]).presses() == ["9", None, "1"]
