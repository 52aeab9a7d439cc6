"""An outbound call placed through the REST API (``Calls.create``) that the callee never answers.

Twilio fetches no TwiML for it: the call's status callback gets ``initiated``, ``ringing`` (a
phone that rang) and then how it ended: ``no-answer`` after the ring timeout, ``busy``,
``failed`` (the number cannot be reached), or ``canceled`` (ended through the REST API while
it rang). ``Direction`` is ``outbound-api``, ``CallDuration`` 0.
"""

from __future__ import annotations

from app.devtools.simulator.clock import Clock
from app.devtools.simulator.context import API_VERSION, Settings
from app.devtools.simulator.events import ENDED, RINGS, SYSTEM
from app.devtools.simulator.result import CallResult
from app.devtools.simulator.webhooks import Webhooks

# When each ending comes, in seconds after the call was placed (no-answer: the ring timeout).
ENDS_AFTER = {"busy": 3.0, "failed": 1.0, "canceled": 8.0}
RANG = frozenset({"no-answer", "canceled"})


def unanswered(settings: Settings, webhooks: Webhooks, result: CallResult, clock: Clock,
               params: dict[str, str], status: str, ring_seconds: float) -> None:
    """Post the status callbacks of a call that ends ``status`` without being answered."""
    if status not in ENDS_AFTER and status != "no-answer":
        raise ValueError(f"an unanswered call ends no-answer, busy, failed or canceled, not {status!r}")
    url = settings.status_callback_url
    ends = ENDS_AFTER.get(status, ring_seconds)
    steps = [("initiated", 0.0)] + ([("ringing", 1.0)] if status in RANG else []) + [(status, ends)]
    for number, (state, at) in enumerate(steps):
        if state == "ringing":
            result.add(at, params["To"], RINGS)
        if url:
            final = {"CallDuration": "0"} if state == status else {}
            webhooks.callback(url, {
                **params, "CallStatus": state, **final, "Timestamp": clock.rfc2822(at),
                "CallbackSource": "call-progress-events", "SequenceNumber": str(number),
            }, at, settings.duplicate_callbacks)
    result.end_status = status
    result.add(ends, SYSTEM, ENDED, status)
    result.finish()


def outbound_params(account_sid: str, call_sid: str, from_: str, to: str) -> dict[str, str]:
    return {"CallSid": call_sid, "AccountSid": account_sid, "From": from_, "To": to,
            "Caller": from_, "Called": to, "ApiVersion": API_VERSION,
            "Direction": "outbound-api"}
