"""The state one simulated call shares between its legs: settings, scripts, requests, result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.devtools.simulator.clock import Ids
from app.devtools.simulator.outcomes import CallerScript, NoAnswer, PhoneScript
from app.devtools.simulator.result import CallResult
from app.devtools.simulator.webhooks import Webhooks

API_VERSION = "2010-04-01"


class LoopLimit(Exception):
    """The call fetched more documents than any sane flow needs."""


@dataclass(frozen=True)
class Settings:
    """How the simulated Twilio behaves where its documentation leaves room."""

    account_sid: str
    fallback_url: str | None = None
    status_callback_url: str | None = None
    screened_out_status: str = "no-answer"
    dial_action_after_caller_hangup: bool = False
    late_leg_callbacks: bool = False
    duplicate_callbacks: bool = False
    max_documents: int = 100
    max_call_seconds: float = 4 * 3600.0
    play_seconds: float = 5.0
    default_phone: PhoneScript = field(default_factory=NoAnswer)


@dataclass
class CallContext:
    """One call in progress."""

    settings: Settings
    webhooks: Webhooks
    result: CallResult
    ids: Ids
    caller: CallerScript
    phones: dict[str, PhoneScript]
    documents: int = 0
    deferred: list[Callable[[], None]] = field(default_factory=list)

    def count_document(self, at: float) -> None:
        """Count one TwiML fetch; stop the call when the flow loops."""
        self.documents += 1
        if self.documents > self.settings.max_documents:
            self.result.error(at, f"loop: more than {self.settings.max_documents} documents")
            raise LoopLimit()

    def phone(self, number: str) -> PhoneScript:
        """What the phone at ``number`` does (unscripted numbers use the default)."""
        return self.phones.get(number, self.settings.default_phone)

    def flush_deferred(self) -> None:
        """Send callbacks that Twilio sends after the next document (recordings)."""
        pending, self.deferred = self.deferred, []
        for send in pending:
            send()
