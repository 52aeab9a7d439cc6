"""What callers and engineers hear: the default wording and how placeholders are filled."""

from __future__ import annotations

import string
from dataclasses import dataclass, fields

PLACEHOLDERS = frozenset({"customer", "tier", "hotline", "opens"})


@dataclass(frozen=True)
class Prompts:
    greeting: str = "Hello {customer}. Connecting you to our on-call engineer."
    pin_request: str = (
        "Welcome to the {hotline}. Please enter your contract PIN, followed by the hash key."
    )
    pin_retry: str = "Sorry, that PIN was not recognised. Please enter your contract PIN again."
    pin_failed: str = "Sorry, we could not recognise your PIN."
    next_step: str = "Please hold on, we are trying the next engineer."
    screen: str = "Hotline call from {customer}, {tier} contract. Press 1 to accept."
    screen_accepted: str = "Connecting you now."
    screen_declined: str = "Call declined. Goodbye."
    screen_no_input: str = "No key pressed. Goodbye."
    voicemail: str = (
        "We are sorry, no engineer could take your call right now. "
        "Please leave your name, company and the problem after the tone, then hang up or press hash. "
        "Everyone on call will be notified."
    )
    voicemail_thanks: str = "Thank you. Your message has been recorded and the team is notified. Goodbye."
    voicemail_empty: str = "We did not receive a message. Goodbye."
    closed: str = "Hello {customer}. Support for your contract opens again {opens}."
    emergency_offer: str = (
        "If your production system is down, press 1 now to reach the engineer on call. "
        "Otherwise, stay on the line to leave a message."
    )
    fallback_apology: str = (
        "We are sorry, the {hotline} has a technical problem. Connecting you to a manager."
    )
    fallback_message: str = (
        "We could not connect you. Please call again in a few minutes. Goodbye."
    )
    goodbye: str = "Goodbye."
    error_apology: str = "We are sorry, something went wrong. Connecting you to a person who can help."


PROMPT_NAMES = tuple(f.name for f in fields(Prompts))


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
