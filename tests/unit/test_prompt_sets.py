"""The shipped prompt sets: every text in every language, only placeholders that get filled."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.prompts import (
    PLACEHOLDERS,
    PROMPT_NAMES,
    SHIPPED,
    allowed_placeholders,
    build_speech,
    fill,
    opening_words,
    placeholders_in,
    shipped_texts,
    text_problems,
)
from app.prompts.sets import shipped_file

BERLIN = ZoneInfo("Europe/Berlin")
CHARACTERS_PER_SECOND = 15  # text-to-speech at a calm pace
LONGEST_TEST_NAME = "Globex"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_prompt_is_written_in_every_shipped_language(code: str) -> None:
    texts = shipped_texts(code)
    assert sorted(set(PROMPT_NAMES) - set(texts)) == [], f"{code}.toml lacks these prompts"
    assert sorted(set(texts) - set(PROMPT_NAMES)) == [], f"{code}.toml has unknown prompts"
    assert all(isinstance(text, str) and text.strip() for text in texts.values())


@pytest.mark.parametrize("code", SHIPPED)
def test_every_placeholder_is_one_the_prompt_is_filled_with(code: str) -> None:
    for name, text in shipped_texts(code).items():
        assert text_problems(name, text) == [], (code, name, text)
        assert placeholders_in(text) <= PLACEHOLDERS


def test_a_placeholder_another_prompt_knows_is_still_refused() -> None:
    assert allowed_placeholders("greeting") == {"customer", "tier", "hotline"}
    assert allowed_placeholders("pin_request") == {"hotline"}
    assert "unknown placeholder(s) ['customer']" in text_problems("voicemail", "Hi {customer}")[0]
    assert "unknown placeholder(s) ['kunde']" in text_problems("greeting", "Hallo {kunde}")[0]
    assert text_problems("greeting", "Hello {") == ["malformed placeholder: Single '{' encountered "
                                                   "in format string"]
    assert text_problems("welcome", "Hi")[0].startswith("unknown prompt")
    assert text_problems("weekday_names", "Mo, Di") == ["needs 7 names separated by commas"]


@pytest.mark.parametrize("code", SHIPPED)
def test_each_language_has_its_own_voice_and_say_language(code: str) -> None:
    speech = shipped_file(code)["speech"]
    assert speech["language"].split("-")[0] == code
    assert speech["voice"].startswith("Polly.") and speech["voice"].endswith("-Neural")
    assert build_speech(code, {}).voice == speech["voice"]
    assert build_speech(f"{code}-XX", {}, voice="Google.x").voice == "Google.x"
    assert speech["language"] in speech["regions"]
    for tag, voice in speech["regions"].items():
        assert (build_speech(tag, {}).language, build_speech(tag, {}).voice) == (tag, voice)


def test_the_voices_differ_and_the_texts_are_translations() -> None:
    voices = {shipped_file(code)["speech"]["voice"] for code in SHIPPED}
    greetings = {shipped_texts(code)["greeting"] for code in SHIPPED}
    assert len(voices) == len(greetings) == len(SHIPPED)


@pytest.mark.parametrize("code", SHIPPED)
def test_the_greeting_stays_within_the_speech_budget(code: str) -> None:
    """What an identified caller hears before the first ring: about 4 s at most."""
    prompts = build_speech(code, {}).prompts
    greeting = fill(prompts.greeting, customer=LONGEST_TEST_NAME)
    assert len(greeting) / CHARACTERS_PER_SECOND <= 4.5, greeting
    assert len(greeting.split()) / 2.5 <= 4.0, greeting  # the simulator's estimate


@pytest.mark.parametrize(("code", "today", "tomorrow", "weekday", "date"), [
    ("en", "today at 09:00", "tomorrow at 09:00", "on Monday at 09:00",
     "on Monday 4 January at 09:00"),
    ("de", "heute um 09:00 Uhr", "morgen um 09:00 Uhr", "am Montag um 09:00 Uhr",
     "am Montag, dem 4. Januar, um 09:00 Uhr"),
    ("fr", "aujourd'hui à 09:00", "demain à 09:00", "lundi à 09:00", "le lundi 4 janvier à 09:00"),
    ("es", "hoy a las 09:00", "mañana a las 09:00", "el lunes a las 09:00",
     "el lunes 4 de enero a las 09:00"),
    ("it", "oggi alle 09:00", "domani alle 09:00", "lunedì alle 09:00",
     "lunedì 4 gennaio alle 09:00"),
    ("nl", "vandaag om 09:00", "morgen om 09:00", "op maandag om 09:00",
     "op maandag 4 januari om 09:00"),
])
def test_opening_times_are_said_in_each_language(code: str, today: str, tomorrow: str,
                                                 weekday: str, date: str) -> None:
    prompts = build_speech(code, {}).prompts
    monday = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)

    def said(now: datetime) -> str:
        return opening_words(prompts, monday, now)

    assert said(datetime(2027, 1, 4, 7, 0, tzinfo=BERLIN)) == today
    assert said(datetime(2027, 1, 3, 18, 0, tzinfo=BERLIN)) == tomorrow
    assert said(datetime(2027, 1, 1, 18, 0, tzinfo=BERLIN)) == weekday
    assert said(datetime(2026, 12, 24, 3, 0, tzinfo=BERLIN)) == date
    assert opening_words(prompts, None, monday) == prompts.opens_unknown
