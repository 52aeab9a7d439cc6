"""What every step of the call flow shares: its inputs, its :class:`Reply`, and the helpers.

A step is a pure function of Twilio's parameters, the sealed call state and the configuration:
nothing here touches Flask, Redis or the database. ``CallFlow`` (``app.calls.flow``) is built
from these pieces: the caller's steps, the chain's steps and the callbacks that only log.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from app.calls import events as ev
from app.calls.incident import Incident
from app.calls.params import Params, clip
from app.calls.state import CallState
from app.config import HotlineConfig
from app.config.model import Line
from app.contracts import Contract, Tier, normalise_number
from app.escalation import ChainFor, build_chain
from app.guard.port import Guard, LocalGuard
from app.prompts import Prompts, Speech

UrlFor = Callable[[str, Mapping[str, str]], str]
# Where a <Record> hands its recording: action, status callback, transcription callback.
RECORDING = ("voice.voicemail_done", "voice.recording_status", "voice.transcription")
ANONYMOUS = Contract("", "", "", (), Tier.ALWAYS)  # its name is each language's "unidentified caller"


class DialStep(NamedTuple):
    """One person rung with screening: what the <Dial> and its <Number> say."""

    number: str
    caller_id: str
    ring_seconds: int
    time_limit: int
    action_url: str
    screen_url: str
    status_url: str


@dataclass
class Reply:
    template: str
    context: dict[str, Any]
    events: list[ev.Event] = field(default_factory=list)
    language: str | None = None


@dataclass
class FlowSteps:
    """The inputs of one webhook's step, and what every step uses."""

    config: HotlineConfig
    url_for: UrlFor
    now: datetime
    chain: ChainFor = build_chain
    guard: Guard = field(default_factory=LocalGuard)
    # Seals the call state in the URLs we write. The web tier passes the key derived from
    # SECRET_KEY; without it, a random key: states nobody else can read, never forgeable ones.
    state_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # The active incident messages, from the web process's memory (app/storage/incidents.py).
    incidents: tuple[Incident, ...] = ()
    _stamp: str = field(init=False, repr=False, compare=False)

    def _unavailable(self, person: str) -> str:
        """Why ``person`` is not rung now ("" if they are): gone from the file, or busy."""
        if person not in self.config.people:
            return f"{person} is no longer configured"
        if self.config.security.busy_engineers_skipped and self.guard.busy(person):
            return f"{person} is on another hotline call"
        return ""

    def _query(self, state: CallState) -> dict[str, str]:
        return state.to_query(self.state_key)

    @staticmethod
    def _step(state: CallState) -> int | None:
        """The chain step a leg's webhook is about; None without a state of ours (we dial only
        a person, so a genuine state of a leg always names one)."""
        return state.step if state.person is not None else None

    def _called(self, params: Params) -> tuple[str | None, Line]:
        """The caller's number (E.164 or None) and the line they dialled."""
        region = self.config.hotline.default_region
        return (normalise_number(params.get("From"), region),
                self.config.line_for(normalise_number(params.get("To"), region)))

    def _started(self, sid: str, params: Params, caller: str | None, line: Line) -> ev.Event:
        return self._event(ev.CALL_STARTED, sid, "started", {
            "from": clip(params.get("From")), "to": clip(params.get("To")), "caller": caller,
            "line": line.id,
        })

    def _voicemail(self, sid: str, state: CallState, reason: str, lead: str = "",
                   endpoints: tuple[str, str, str] = RECORDING) -> Reply:
        prompts = self._said(state)
        query = self._query(state)
        done, status, transcribed = endpoints
        started = self._event(ev.VOICEMAIL_STARTED, sid, "voicemail", {"reason": reason})
        return self._reply(
            "voicemail", [started],
            prompt=f"{lead} {prompts.voicemail}".strip(),
            action_url=self.url_for(done, query),
            status_url=self.url_for(status, query),
            transcribe_url=self.url_for(transcribed, query),
            max_seconds=self.config.hotline.voicemail_max_seconds,
            empty=prompts.voicemail_empty,
            language=self._language(state),
        )

    def _prompts(self, line_id: str) -> Prompts:
        return self.config.line(line_id).prompts

    def _speech(self, state: CallState) -> Speech:
        """The caller's language: their choice by key, else their contract's, else the line's."""
        contract = self.config.directory.get(state.contract)
        chosen = state.language or (contract.language if contract else None)
        return self.config.line(state.line).speaking(chosen)

    def _said(self, state: CallState) -> Prompts:
        """The prompts in the caller's language."""
        return self._speech(state).prompts

    def _language(self, state: CallState) -> str:
        return self._speech(state).language

    def _reply(self, template: str, events: list[ev.Event] | None = None,
               language: str | None = None, **context: Any) -> Reply:
        return Reply(template, context, list(events or []), language)

    def _event(self, type_: str, sid: str, suffix: str, data: dict[str, Any]) -> ev.Event:
        return ev.make_event(type_, sid, suffix, data, stamp=self._stamp)

    def __post_init__(self) -> None:
        self._stamp = self.now.isoformat()  # a webhook's events share its instant
