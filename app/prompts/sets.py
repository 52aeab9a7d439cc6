"""The shipped prompt sets (one TOML file per language) and a file's overrides checked against them."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from app.prompts.texts import FILLED, PLACEHOLDERS, PROMPT_NAMES, Prompts, placeholders_in

SHIPPED = ("en", "de", "fr", "es", "it", "nl")
# Lists spoken as one text each; the day or month is picked by its place in the list.
LISTS = {"weekday_names": 7, "month_names": 12}


@dataclass(frozen=True)
class Speech:
    """One language as the hotline speaks it: the <Say> language, the voice, the texts."""

    code: str
    language: str
    voice: str | None
    prompts: Prompts


def language_code(tag: str | None) -> str:
    """The prompt set of a language tag: ``de`` for ``de``, ``de-DE`` or ``de-AT``."""
    return (tag or "").split("-")[0].strip().lower()


@cache
def shipped_file(code: str) -> dict[str, Any]:
    """The parsed ``<code>.toml`` of a shipped language (KeyError for any other)."""
    if code not in SHIPPED:
        raise KeyError(code)
    text = resources.files("app.prompts").joinpath(f"{code}.toml").read_text("utf-8")
    return tomllib.loads(text)


def shipped_texts(code: str) -> Mapping[str, str]:
    texts: Mapping[str, str] = shipped_file(code)["prompts"]
    return texts


def allowed_placeholders(name: str) -> frozenset[str]:
    """The placeholders a prompt is filled with (those its English text uses, at least)."""
    english = placeholders_in(shipped_texts("en").get(name, ""))
    return (FILLED.get(name, frozenset()) | english) & PLACEHOLDERS


def text_problems(name: str, text: object) -> list[str]:
    """What is wrong with ``text`` as the prompt ``name`` ([] when nothing is)."""
    if name not in PROMPT_NAMES:
        return [f"unknown prompt; known: {', '.join(PROMPT_NAMES)}"]
    if not isinstance(text, str):
        return ["a prompt is a text"]
    try:
        unknown = placeholders_in(text) - allowed_placeholders(name)
    except ValueError as exc:
        return [f"malformed placeholder: {exc}"]
    problems = []
    if unknown:
        known = sorted(allowed_placeholders(name)) or "none"
        problems.append(f"unknown placeholder(s) {sorted(unknown)}; this prompt knows {known}")
    if name in LISTS and len(text.split(",")) != LISTS[name]:
        problems.append(f"needs {LISTS[name]} names separated by commas")
    return problems


def build_speech(tag: str, overrides: Mapping[str, str], voice: str | None = None) -> Speech:
    """The prompts of ``tag``'s shipped set with ``overrides``; a bare code speaks the set's
    own region (``de`` as ``de-DE``), a region Twilio has as written (``de-AT``) with a voice
    of that accent, unless ``voice`` is given."""
    code = language_code(tag)
    speech = shipped_file(code)["speech"]
    regions: Mapping[str, str] = speech["regions"]
    spoken = tag if tag in regions else speech["language"]
    return Speech(code, spoken, voice or regions.get(spoken) or speech["voice"],
                  Prompts(**{**shipped_file(code)["prompts"], **overrides}))


def tag_problem(tag: str) -> str:
    """Why ``tag`` cannot name a language of the prompts ("" if it can)."""
    code = language_code(tag)
    if code not in SHIPPED:
        return f"{tag!r}: no prompts in that language; shipped: {', '.join(SHIPPED)}"
    regions = shipped_file(code)["speech"]["regions"]
    if "-" in tag and tag not in regions:
        return f"{tag!r}: Twilio speaks {code!r} as {', '.join(regions)}"
    return ""


def language_name(code: str) -> str:
    return str(shipped_file(code)["speech"]["name"])
