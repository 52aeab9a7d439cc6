"""What the call log must hold for a simulated call: its events, outcome and attempts,
derived from what the simulator sent and was told."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from app.calls import events as ev
from app.devtools.simulator import Answer, DialResult, PhoneScript, RequestLog
from tests.support.calls import PlacedCall

FINISHED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def expected_events(placed: PlacedCall) -> Counter[str]:
    """How many events of each type the call's delivered requests must have left in the log.

    Counted from what the simulator sent (and, for voicemail and rejection, what it was told);
    a request delivered twice counts once, as its events have the same keys.
    """
    sent = [r for r in placed.result.requests if r.status == 200]

    def distinct(path: str, *names: str) -> int:
        return len({(r.url, *(r.params.get(n) for n in names)) for r in sent if _path(r) == path})

    voicemails = [r for r in sent if _path(r) == "/voice/voicemail-done"]
    plan = placed.plan
    identified = plan.identified and (not plan.by_pin or distinct("/voice/pin") > 0)
    counts = Counter({
        ev.CALL_STARTED: distinct("/voice"),
        ev.CALL_IDENTIFIED: int(identified),
        ev.CHAIN_CHOSEN: int(identified),
        ev.PIN_ATTEMPT: distinct("/voice/pin"),
        ev.DIAL_STARTED: len({r.url for r in sent if "<Dial" in r.body}),
        ev.LEG_STATUS: len({(r.params["CallSid"], r.params["CallStatus"])
                            for r in sent if _path(r) == "/voice/leg-status"}),
        ev.SCREEN_RESULT: distinct("/voice/screen-result", "CallSid"),
        ev.DIAL_RESULT: distinct("/voice/dial-result"),
        ev.VOICEMAIL_STARTED: int(any("<Record" in r.body for r in sent)),
        ev.VOICEMAIL_RECORDED: int(any(r.params.get("RecordingDuration", "0") != "0"
                                       for r in voicemails)),
        ev.RECORDING_STATUS: len({(r.params["RecordingSid"], r.params["RecordingStatus"])
                                  for r in sent if _path(r) == "/voice/recording-status"}),
        ev.CALL_REJECTED: int(plan.blocked),
        ev.CALL_ENDED: int(any(r.params.get("CallStatus") in FINISHED
                               for r in sent if _path(r) == "/voice/status")),
    })
    return counts


def expected_outcome(placed: PlacedCall) -> str:
    result = placed.result
    if placed.plan.blocked:
        return ev.OUTCOME_REJECTED
    if result.connected_to:
        return ev.OUTCOME_CONNECTED
    return ev.OUTCOME_VOICEMAIL if result.recorded else ev.OUTCOME_ABANDONED


def expected_attempts(placed: PlacedCall) -> list[tuple[str, str | None]]:
    """(number, status) per dialled leg, in order; status None where the caller's hang-up
    makes it a matter of timing (canceled, not accepted, ...)."""
    hung_up = placed.plan.script.hangup_after_seconds is not None
    return [(d.number, None if hung_up else _leg_status(d, placed.plan.phones.get(d.number)))
            for d in placed.result.dial_results]


def _leg_status(dial: DialResult, script: PhoneScript | None) -> str:
    if dial.bridged:
        return ev.CONNECTED
    if isinstance(script, Answer):
        press = script.presses()[0]
        return ev.NOT_ACCEPTED if not press else ev.DECLINED
    return dial.status


def _path(request: RequestLog) -> str:
    return urlsplit(request.url).path
