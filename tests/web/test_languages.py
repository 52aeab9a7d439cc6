"""Whole calls in the caller's language: the contract's, the caller's choice by key, the line's;
the engineer screened in their own language; every document valid for every language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from app.calls import events as ev
from app.calls.state import CallState
from app.config import HotlineConfig, parse_config
from app.devtools.simulator import Answer, CallerScript, NoAnswer
from app.devtools.simulator import events as sim_events
from app.eventlog.port import MemorySink
from app.prompts import SHIPPED, build_speech, fill
from app.prompts.sets import shipped_file
from app.web.twiml import render
from tests.support.config_changes import with_change
from tests.support.constants import ACME, DANA, HOTLINE, TEST_CONFIG
from tests.support.twiml_schema import validate_twiml
from tests.support.webhooks import post_signed

Change = Callable[[dict[str, Any]], None]
UNKNOWN = "+4940111222"
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
CHOICE = ["For English, press 1.", "Für Deutsch drücken Sie die 2.",
          "Pour le français, appuyez sur 3."]


def _no_change(d: dict[str, Any]) -> None:
    del d


@pytest.fixture
def change() -> Change:
    return _no_change


@pytest.fixture
def config(change: Change) -> HotlineConfig:
    return parse_config(with_change(TEST_CONFIG, change))


def contract_speaks(code: str) -> Change:
    def change(d: dict[str, Any]) -> None:
        d["contracts"]["acme"]["language"] = code
    return change


def choice_of_three(d: dict[str, Any]) -> None:
    d["hotline"].update(languages=["en-GB", "de", "fr"], language_choice=True)


def heard(result: Any, who: str = "caller") -> list[tuple[str, str | None]]:
    return [(e.text, e.language) for e in result.events if e.who == who and e.kind == sim_events.HEARS]


@pytest.mark.parametrize("change", [contract_speaks(code) for code in SHIPPED], ids=SHIPPED)
def test_a_contract_s_language_greets_within_four_seconds_and_no_key(sim, config) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    speech = config.default_line.speaking(config.contracts["acme"].language)

    assert result.errors == [] and result.connected_to == DANA
    assert heard(result) == [(fill(speech.prompts.greeting, customer="ACME"), speech.language)]
    first_ring = next(e.at for e in result.events if e.kind == sim_events.RINGS)
    assert first_ring <= 4.5, "an identified caller hears at most about 4 s before the first ring"
    assert not [e for e in result.events if e.who == "caller" and e.kind == sim_events.PRESSES]
    # the engineer is screened in the hotline's language, naming the customer
    assert result.heard_by[DANA][0] == "Hotline call from ACME, 24/7 contract. Press 1 to accept."


@pytest.mark.parametrize("change", [lambda d: (contract_speaks("fr")(d), d["people"]["dana"].update(
    language="de"))])
def test_the_engineer_is_screened_in_their_own_language(sim) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert heard(result)[0][1] == "fr-FR"
    assert heard(result, DANA) == [
        ("Hotline-Anruf von ACME, Vertrag rund um die Uhr. Zum Annehmen die 1 drücken.", "de-DE"),
        ("Sie werden jetzt verbunden.", "de-DE")]


@pytest.mark.parametrize("change", [lambda d: d["contracts"]["globex"].update(language="de")])
def test_closed_hours_are_told_in_the_caller_s_language(sim, clock, sink) -> None:  # type: ignore[no-untyped-def]
    clock[0] = sim.clock_start = SATURDAY
    result = sim.place_call("+12125550147", HOTLINE, CallerScript(digits=[None], record_seconds=0))
    said = [text for text, _ in heard(result)]
    assert said[0] == ("Guten Tag, Globex. Der Support für Ihren Vertrag ist am Montag um 09:00 Uhr "
                       "wieder für Sie da.")
    assert said[1].startswith("Wenn Ihr Produktivsystem ausgefallen ist, drücken Sie jetzt die 1")
    assert said[2].startswith("Leider kann gerade niemand Ihren Anruf annehmen.")
    assert {language for _, language in heard(result)} == {"de-DE"}


@pytest.mark.parametrize("change", [choice_of_three])
def test_an_unknown_caller_chooses_a_language_then_keys_the_pin(sim, sink) -> None:  # type: ignore[no-untyped-def]
    phones = {DANA: NoAnswer()}
    result = sim.place_call(UNKNOWN, HOTLINE, CallerScript(digits=["2", "4711#"], record_seconds=5),
                            phones)
    said = heard(result)
    assert said[:3] == list(zip(CHOICE, ["en-GB", "de-DE", "fr-FR"], strict=True))
    assert said[3] == ("Willkommen bei Test hotline. Bitte geben Sie Ihre Vertrags-PIN ein und "
                       "drücken Sie dann die Rautetaste.", "de-DE")
    assert said[4] == ("Guten Tag, ACME. Wir verbinden Sie mit unserem Techniker.", "de-DE")
    assert said[5][0] == "Einen Moment bitte, wir versuchen es beim nächsten Techniker."
    assert {language for _, language in said[3:]} == {"de-DE"}, "the choice holds to the end"
    chosen = sink.of_type(ev.LANGUAGE_CHOSEN)
    assert [e["data"] for e in chosen] == [{"key": "2", "language": "de"}]
    assert result.errors == []


@pytest.mark.parametrize("change", [choice_of_three])
@pytest.mark.parametrize("keyed", [None, "9", "0", "*", "#"])
def test_no_key_or_another_key_keeps_the_line_s_language(sim, keyed: str | None) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(UNKNOWN, HOTLINE, CallerScript(digits=[keyed, None, None, None],
                                                             record_seconds=0))
    assert result.errors == []
    assert heard(result)[3] == ("Welcome to the Test hotline. Please enter your contract PIN, "
                                "followed by the hash key.", "en-US")


@pytest.mark.parametrize("change", [choice_of_three])
@pytest.mark.parametrize("digits", ["", "12", "٣", "²", "1'\"<>&", "\x00", "9" * 5000, "-1", "+2"])
def test_hostile_language_keys_get_the_pin_prompt(client, sink: MemorySink, config,  # type: ignore[no-untyped-def]
                                                  digits: str) -> None:
    state = CallState(version=config.version)
    query = urlencode(state.to_query(client.application.extensions["hotline"].state_key))
    response, _, _ = post_signed(client, "/voice/language", query, {
        "CallSid": "CA" + "a1" * 16, "From": UNKNOWN, "To": HOTLINE, "Digits": digits})
    assert response.status_code == 200 and validate_twiml(response.data) == []
    assert b"/voice/pin" in response.data


def test_without_a_choice_configured_nobody_is_asked(sim) -> None:  # type: ignore[no-untyped-def]
    result = sim.place_call(UNKNOWN, HOTLINE, CallerScript(digits=["4711#"]), {DANA: Answer(press="1")})
    assert heard(result)[0][0].startswith("Welcome to the Test hotline.")
    assert result.connected_to == DANA


@pytest.mark.parametrize("code", SHIPPED)
def test_every_region_s_voice_and_language_are_valid_twiml(code: str) -> None:
    for tag in shipped_file(code)["speech"]["regions"]:
        speech = build_speech(tag, {})
        body = render("goodbye", language=speech.language, voice=speech.voice,
                      message=speech.prompts.goodbye)
        assert validate_twiml(body.encode()) == [], body
