"""What every step of the call flow shares: its inputs, its :class:`Reply`, and the helpers.

A step is a pure function of Twilio's parameters, the signed call state and the configuration:
nothing here touches Flask, Redis or the database. ``CallFlow`` (``app.calls.flow``) is built
from these pieces: the caller's steps, the chain's steps and the callbacks that only log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from app.calls import events as ev
from app.calls.state import CallState
from app.config import HotlineConfig
from app.contracts import Contract, Tier
from app.escalation import ChainFor, build_chain
from app.guard.port import Guard, LocalGuard
from app.prompts import Prompts

UrlFor = Callable[[str, Mapping[str, str]], str]
TIER_WORDS = {Tier.ALWAYS: "24/7", Tier.BUSINESS_HOURS: "business hours"}
ANONYMOUS = Contract("", "an unidentified caller", "", (), Tier.ALWAYS)


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
    _stamp: str = field(init=False, repr=False, compare=False)

    def _unavailable(self, person: str) -> str:
        """Why ``person`` is not rung now ("" if they are): gone from the file, or busy."""
        if person not in self.config.people:
            return f"{person} is no longer configured"
        if self.config.security.busy_engineers_skipped and self.guard.busy(person):
            return f"{person} is on another hotline call"
        return ""

    def _prompts(self, line_id: str) -> Prompts:
        return self.config.line(line_id).prompts

    def _language(self, state: CallState) -> str:
        contract = self.config.directory.get(state.contract)
        return (contract.language if contract else None) or self.config.hotline.language

    def _reply(self, template: str, events: list[ev.Event] | None = None,
               language: str | None = None, **context: Any) -> Reply:
        return Reply(template, context, list(events or []), language)

    def _event(self, type_: str, sid: str, suffix: str, data: dict[str, Any]) -> ev.Event:
        return ev.make_event(type_, sid, suffix, data, stamp=self._stamp)

    def __post_init__(self) -> None:
        self._stamp = self.now.isoformat()  # a webhook's events share its instant
