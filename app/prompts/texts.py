"""The prompts one language speaks: every name a text is known by, and how placeholders are filled."""

from __future__ import annotations

import string
from dataclasses import dataclass, fields

PLACEHOLDERS = frozenset({"customer", "tier", "hotline", "opens", "number", "key",
                          "time", "weekday", "day", "month"})


@dataclass(frozen=True)
class Prompts:
    """One text per name; the shipped wording of each language is in ``app/prompts/<code>.toml``
    (en, de, fr, es, it, nl): a new name needs its text in every one of them."""

    greeting: str
    pin_request: str
    pin_retry: str
    pin_failed: str
    next_step: str
    next_pass: str
    screen: str
    screen_accepted: str
    screen_declined: str
    screen_no_input: str
    voicemail: str
    voicemail_thanks: str
    voicemail_empty: str
    closed: str
    emergency_offer: str
    fallback_apology: str
    fallback_message: str
    goodbye: str
    all_busy: str
    callback_offer: str
    callback_confirm: str
    callback_ask_number: str
    callback_booked: str
    callback_refused: str
    callback_screen: str
    callback_connecting: str
    callback_greeting: str
    incident_offer: str
    triage_menu: str
    error_apology: str
    language_choice: str
    unidentified_caller: str
    tier_always: str
    tier_business_hours: str
    opens_today: str
    opens_tomorrow: str
    opens_weekday: str
    opens_date: str
    opens_unknown: str
    weekday_names: str
    month_names: str


PROMPT_NAMES = tuple(f.name for f in fields(Prompts))
_WHEN = frozenset({"time", "weekday", "day", "month"})
# What a prompt is filled with where the English text uses less (a prompt not named here is
# filled with what its English text uses).
FILLED: dict[str, frozenset[str]] = {
    "greeting": frozenset({"customer", "tier", "hotline"}),
    "screen": frozenset({"customer", "tier", "hotline"}),
    "closed": frozenset({"customer", "hotline", "opens"}),
    **{name: _WHEN for name in ("opens_today", "opens_tomorrow", "opens_weekday", "opens_date")},
}


def placeholders_in(text: str) -> set[str]:
    """The ``{name}`` placeholders a prompt uses (ValueError on a malformed one)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def fill(text: str, **values: str) -> str:
    """Fill a prompt's placeholders; unknown ones stay as written so a typo is audible, not fatal."""
    return text.format_map(_Keep(values))


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def spoken_seconds(text: str) -> float:
    """A conservative estimate of how long a text-to-speech engine takes to say ``text``."""
    return len(text.split()) / 2.6
