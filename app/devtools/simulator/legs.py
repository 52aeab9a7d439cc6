"""Runs TwiML documents on one call leg: the document loop and the verbs every leg knows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NamedTuple
from urllib.parse import urljoin

from app.devtools.simulator.clock import Clock
from app.devtools.simulator.context import CallContext
from app.devtools.simulator.events import HEARS, PRESSES, SILENT
from app.devtools.simulator.twiml import (
    SCHEMA_VALIDATION,
    TwimlError,
    bool_attr,
    collect_digits,
    int_attr,
    speech_seconds,
    text_of,
)

APPLICATION_ERROR = "An application error has occurred. Goodbye."
MAX_LOOPS = 10  # loop="0" repeats "forever"; nobody listens to more than this.
SECONDS_PER_KEY = 0.25

# How a leg's documents ended.
RAN_OUT = "ran-out"
HANGUP = "hangup"
REJECT = "reject"
FAILED = "failed"


class Goto(NamedTuple):
    """Fetch ``url`` next, adding ``params`` to the leg's parameters."""

    url: str
    params: dict[str, str]


class Leg:
    """A leg that hears, presses keys and follows Redirects; subclasses add verbs."""

    verbs: frozenset[str] = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup"})
    prompt_verbs = frozenset({"Say", "Play", "Pause"})

    def __init__(
        self, call: CallContext, clock: Clock, who: str, params: dict[str, str],
        inputs: list[str | None],
    ) -> None:
        self.call = call
        self.clock = clock
        self.who = who
        self.params = params
        self.inputs = inputs

    def run(self, url: str, params: dict[str, str] | None = None) -> str:
        """Fetch and execute documents from ``url`` until the leg ends; return how it ended."""
        step = Goto(url, params or {})
        while True:
            root = self.fetch(step.url, step.params)
            self.call.flush_deferred()
            if root is None:
                return self.fetch_failed()
            outcome = self.run_document(root, step.url)
            if isinstance(outcome, str):
                return outcome
            step = outcome

    def fetch(self, url: str, extra: dict[str, str]) -> ET.Element | None:
        """One TwiML request on this leg; errors are recorded and give ``None``."""
        self.call.count_document(self.clock.now)
        try:
            return self.call.webhooks.fetch_twiml(url, {**self.params, **extra}, self.clock.now)
        except TwimlError as error:
            return self.fetch_error(url, extra, error)

    def fetch_error(self, url: str, extra: dict[str, str], error: TwimlError) -> ET.Element | None:
        """Record a refused document; subclasses may find another (the fallback URL)."""
        self.call.result.error(self.clock.now, f"{error.code} {url}: {error.message}")
        return None

    def fetch_failed(self) -> str:
        """What Twilio does when a document cannot be used: apologise and hang up."""
        self.hear(APPLICATION_ERROR, "en-US")
        self.clock.advance(speech_seconds(APPLICATION_ERROR))
        return FAILED

    def run_document(self, root: ET.Element, url: str) -> Goto | str:
        """Execute verbs top to bottom; a verb may hand control elsewhere or end the leg."""
        self.params["CallStatus"] = "in-progress"
        for verb in root:
            if verb.tag not in self.verbs:
                self.schema_error(f"<{verb.tag}> is not allowed here", url)
                continue
            outcome = getattr(self, f"do_{verb.tag.lower()}")(verb, url)
            if outcome is not None:
                return outcome
        return RAN_OUT

    def schema_error(self, message: str, url: str) -> None:
        self.call.result.error(self.clock.now, f"{SCHEMA_VALIDATION} {url}: {message}")

    def hear(self, text: str, language: str | None) -> None:
        self.call.result.add(self.clock.now, self.who, HEARS, text, language)

    def next_input(self) -> str | None:
        return self.inputs.pop(0) if self.inputs else None

    def check_method(self, verb: ET.Element, url: str) -> None:
        method = verb.get("method", "POST").upper()
        if method != "POST":
            self.schema_error(f"<{verb.tag} method={method!r}>: only POST is simulated", url)

    def do_say(self, verb: ET.Element, url: str, max_loops: int = MAX_LOOPS) -> None:
        text = text_of(verb)
        for _ in range(_loops(verb, max_loops)):
            self.hear(text, verb.get("language", "en-US"))
            self.clock.advance(speech_seconds(text))

    def do_play(self, verb: ET.Element, url: str, max_loops: int = MAX_LOOPS) -> None:
        audio = text_of(verb)
        if not audio:
            self.clock.advance(1.0)  # <Play digits="..."/> only sends tones
            return
        for _ in range(_loops(verb, max_loops)):
            self.hear(f"[audio {urljoin(url, audio)}]", None)
            self.clock.advance(self.call.settings.play_seconds)

    def do_pause(self, verb: ET.Element, url: str, max_loops: int = MAX_LOOPS) -> None:
        self.clock.advance(int_attr(verb, "length", 1, 0, 600))

    def do_redirect(self, verb: ET.Element, url: str) -> Goto | None:
        target = text_of(verb)
        if not target:
            self.schema_error("<Redirect> without a URL", url)
            return None
        self.check_method(verb, url)
        return Goto(urljoin(url, target), {})

    def do_hangup(self, verb: ET.Element, url: str) -> str:
        return HANGUP

    def do_gather(self, verb: ET.Element, url: str) -> Goto | None:
        self.check_method(verb, url)
        action = urljoin(url, verb.get("action") or url)
        keys = self.next_input()
        # Someone about to press a key does not sit through every repetition of the prompt.
        self.play_prompts(verb, url, 1 if keys is not None else MAX_LOOPS)
        digits, finished = self.key_in(verb, keys)
        if digits or bool_attr(verb, "actionOnEmptyResult"):
            return Goto(action, {"Digits": digits, "FinishedOnKey": finished})
        return None

    def play_prompts(self, gather: ET.Element, url: str, max_loops: int) -> None:
        for child in gather:
            if child.tag not in self.prompt_verbs:
                self.schema_error(f"<{child.tag}> cannot be nested in <Gather>", url)
                continue
            getattr(self, f"do_{child.tag.lower()}")(child, url, max_loops)

    def key_in(self, gather: ET.Element, keys: str | None) -> tuple[str, str]:
        """Press ``keys`` (or stay silent) and wait as long as the gather would."""
        timeout = int_attr(gather, "timeout", 5, 1, 600)
        if keys is None:
            self.call.result.add(self.clock.now, self.who, SILENT)
            self.clock.advance(timeout)
            return "", ""
        self.call.result.add(self.clock.now, self.who, PRESSES, keys)
        num_digits = int_attr(gather, "numDigits", 0, 0, 10_000) or None
        digits, finished, complete = collect_digits(
            keys, num_digits, gather.get("finishOnKey", "#")
        )
        self.clock.advance(SECONDS_PER_KEY * len(keys) + (0 if complete else timeout))
        return digits, finished


def _loops(verb: ET.Element, max_loops: int) -> int:
    return min(int_attr(verb, "loop", 1, 0, MAX_LOOPS) or MAX_LOOPS, max_loops)
