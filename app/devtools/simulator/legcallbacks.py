"""Status callbacks of dialled legs, queued in virtual time and sent in that order."""

from __future__ import annotations

from app.devtools.simulator.attempts import Attempt
from app.devtools.simulator.clock import Clock
from app.devtools.simulator.context import CallContext


class LegCallbacks:
    """Queues ``initiated``/``ringing``/``answered``/``completed`` per ``statusCallbackEvent``."""

    def __init__(self, call: CallContext, clock: Clock) -> None:
        self._call = call
        self._clock = clock
        self._pending: list[tuple[float, int, str, dict[str, str]]] = []
        self._order = 0

    def queue(self, attempt: Attempt, event: str, at: float, call_status: str) -> None:
        """Queue one progress event of ``attempt`` if its ``<Number>`` subscribed to it."""
        noun = attempt.noun
        if noun.status_callback is None or event not in noun.events:
            return
        params = {
            **attempt.params,
            "CallStatus": call_status,
            "Timestamp": self._clock.rfc2822(at),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(attempt.sequence),
        }
        if event == "completed":
            params["CallDuration"] = str(attempt.duration())
        attempt.sequence += 1
        self._order += 1
        self._pending.append((at, self._order, noun.status_callback, params))

    def flush(self, until: float | None = None) -> None:
        """Send every queued callback due by ``until`` (default: all), oldest first."""
        due = [p for p in self._pending if until is None or p[0] <= until]
        self._pending = [p for p in self._pending if until is not None and p[0] > until]
        twice = self._call.settings.duplicate_callbacks
        for at, _order, url, params in sorted(due, key=lambda p: (p[0], p[1])):
            self._call.webhooks.callback(url, params, at, twice)
