"""Events the web tier emits for every step of a call, as plain JSON-ready dicts.

An event is ``{"key", "type", "call_sid", "at", "data"}``. ``key`` is derived from the Twilio
request alone, so the same request delivered twice yields the same key and is stored once.
``at`` is an ISO 8601 UTC timestamp taken when the webhook ran.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]

CALL_STARTED = "call.started"            # data: from, to, caller (E.164 or None)
CALL_IDENTIFIED = "call.identified"      # data: contract, contract_name, tier, method
CHAIN_CHOSEN = "chain.chosen"            # data: policy, chain (person ids), skipped, roles
CALL_UNIDENTIFIED = "call.unidentified"  # data: reason, action
CALL_REJECTED = "call.rejected"          # data: reason
PIN_ATTEMPT = "pin.attempt"              # data: attempt, ok, digits_len; over a limit ok is None
#                                          (not checked) and limited true
ROUTE_CLOSED = "route.closed"            # data: opens_at, emergency_option
ROUTE_EMERGENCY = "route.emergency"      # data: digits (pressed 1 outside business hours)
STEP_SKIPPED = "step.skipped"            # data: step, reason
DIAL_STARTED = "dial.started"            # data: step, person, number, ring_seconds, pass, caller_id
LEG_STATUS = "leg.status"                # data: step, person, leg_sid, status, sequence, duration
SCREEN_RESULT = "screen.result"          # data: step, person, leg_sid, digits, accepted
DIAL_RESULT = "dial.result"              # data: step, person, leg_sid, dial_status, bridged,
#                                          talk_seconds, outcome
VOICEMAIL_STARTED = "voicemail.started"  # data: reason
VOICEMAIL_RECORDED = "voicemail.recorded"  # data: recording_sid, recording_url, duration, digits
RECORDING_STATUS = "recording.status"    # data: recording_sid, recording_url, status, duration
VOICEMAIL_TRANSCRIBED = "voicemail.transcribed"  # data: recording_sid, status, transcription_text
CALL_ENDED = "call.ended"                # data: call_status, duration
# A while after a call's end was stored, its log is taken as final and the call is counted;
# queued by the log worker that stored the end (app.jobs.events), never by a webhook. data: none.
CALL_SETTLED = "call.settled"
LANGUAGE_CHOSEN = "language.chosen"      # data: key (the digit, "" for none), language (tag)
# Callbacks: every engineer was on another call (offered, round), the caller asked for one
# (requested: number, source caller_id|typed, contract) or was refused (refused: reason), and
# the engineer's and the customer's legs of calling back (callback.leg: attempt, leg
# engineer|customer, person, status, accepted; callback.result: attempt, person, outcome,
# talk_seconds).
CALLBACK_OFFERED = "callback.offered"
CALLBACK_REQUESTED = "callback.requested"
CALLBACK_REFUSED = "callback.refused"
CALLBACK_LEG = "callback.leg"
CALLBACK_RESULT = "callback.result"
INCIDENT_HEARD = "incident.heard"      # data: incident, press_through
INCIDENT_PRESSED = "incident.pressed"  # data: incident (pressed 1 to reach the engineer anyway)
TRIAGE_CHOSEN = "triage.chosen"        # data: digits, urgent (the 24/7 menu's answer)

ALL_TYPES = frozenset(
    {
        CALL_STARTED, CALL_IDENTIFIED, CHAIN_CHOSEN, CALL_UNIDENTIFIED, CALL_REJECTED, PIN_ATTEMPT,
        ROUTE_CLOSED, ROUTE_EMERGENCY, STEP_SKIPPED, DIAL_STARTED, LEG_STATUS, SCREEN_RESULT, DIAL_RESULT,
        VOICEMAIL_STARTED, VOICEMAIL_RECORDED, RECORDING_STATUS, VOICEMAIL_TRANSCRIBED, CALL_ENDED,
        LANGUAGE_CHOSEN,
        CALLBACK_OFFERED, CALLBACK_REQUESTED, CALLBACK_REFUSED, CALLBACK_LEG, CALLBACK_RESULT,
        INCIDENT_HEARD, INCIDENT_PRESSED, TRIAGE_CHOSEN, CALL_SETTLED,
    }
)

# Outcome of one dial attempt (an attempt row's status).
CONNECTED = "connected"
NO_ANSWER = "no-answer"
BUSY = "busy"
FAILED = "failed"
DECLINED = "declined"
NOT_ACCEPTED = "not-accepted"
CANCELED = "canceled"

# Final outcome of a call.
OUTCOME_CONNECTED = "connected"
OUTCOME_VOICEMAIL = "voicemail"
OUTCOME_ABANDONED = "abandoned"
OUTCOME_REJECTED = "rejected"
OUTCOME_CALLBACK = "callback"        # the caller asked to be called back; nobody has yet
OUTCOME_CALLED_BACK = "called-back"  # an engineer called them back and they talked


def make_event(
    type_: str, call_sid: str, key_suffix: str, data: dict[str, Any], at: datetime | None = None,
    *, stamp: str | None = None,
) -> Event:
    """Build an event whose key is ``<call_sid>:<key_suffix>``; ``stamp`` is ``at`` already in
    ISO 8601 (a webhook's events share one instant)."""
    if type_ not in ALL_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    return {
        "key": f"{call_sid}:{key_suffix}",
        "type": type_,
        "call_sid": call_sid,
        "at": stamp or (at or datetime.now(UTC)).isoformat(),
        "data": data,
    }
