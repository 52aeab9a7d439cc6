"""What a simulated call produced: the ordered events, every request made, and summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from app.devtools.simulator.events import CALLER, ERROR, HEARS, SYSTEM, Event
from app.devtools.simulator.transcript import render


class RequestLog(NamedTuple):
    """One request the simulator made and what came back (``status`` 0: not delivered)."""

    url: str
    params: dict[str, str]
    status: int
    body: str


class DialResult(NamedTuple):
    """How one dialled leg ended: its number, the DialCallStatus it stands for, bridged or not."""

    number: str
    status: str
    bridged: bool


@dataclass
class CallResult:
    """Everything observable about one simulated call."""

    call_sid: str
    started_at: datetime
    events: list[Event] = field(default_factory=list)
    caller_heard: list[str] = field(default_factory=list)
    heard_by: dict[str, list[str]] = field(default_factory=dict)
    dialed: list[str] = field(default_factory=list)
    dial_results: list[DialResult] = field(default_factory=list)
    connected_to: str | None = None
    recorded: bool = False
    errors: list[str] = field(default_factory=list)
    requests: list[RequestLog] = field(default_factory=list)
    end_status: str = ""
    duration: float = 0.0
    names: dict[str, str] = field(default_factory=dict)
    # Callbacks Twilio sends minutes after the call (transcriptions): (url, params), in order,
    # until Simulator.send_late_callbacks sends them.
    late_callbacks: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def add(
        self, at: float, who: str, kind: str, text: str = "", language: str | None = None
    ) -> None:
        """Append an event, keeping the what-was-heard summaries in step."""
        self.events.append(Event(at, who, kind, text, language))
        if kind == HEARS:
            heard = self.caller_heard if who == CALLER else self.heard_by.setdefault(who, [])
            heard.append(text)

    def error(self, at: float, message: str) -> None:
        """Record a problem Twilio would log in its debugger."""
        self.errors.append(message)
        self.add(at, SYSTEM, ERROR, message)

    def requests_to(self, path: str) -> list[RequestLog]:
        """The requests whose URL path is ``path`` (or whose full URL is ``path``)."""
        return [r for r in self.requests if r.url == path or urlsplit(r.url).path == path]

    def finish(self) -> None:
        """Order events by virtual time (legs of one Dial are simulated one after another)."""
        self.events.sort(key=lambda event: event.at)

    def transcript(self, names: dict[str, str] | None = None) -> str:
        """The call step by step, as the people on it experienced it."""
        return render(self.events, {**self.names, **(names or {})})
