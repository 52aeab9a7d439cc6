"""The caller's ``<Record>`` (a voicemail): its action request and recording status callbacks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin

from app.devtools.simulator.clock import HungUp
from app.devtools.simulator.events import CALLER, RECORDS
from app.devtools.simulator.legs import Goto, Leg
from app.devtools.simulator.twiml import bool_attr, int_attr

BEEP_SECONDS = 0.5
TRANSCRIBE_MAX_SECONDS = 120  # Twilio transcribes recordings up to two minutes long


def run_record(leg: Leg, verb: ET.Element, url: str) -> Goto | None:
    """Record the caller per their script; hand control to the action (default: this URL)."""
    leg.check_method(verb, url)
    if bool_attr(verb, "playBeep", True):
        leg.clock.advance(BEEP_SECONDS)
    started = leg.clock.now
    seconds, digits = _record(leg, verb)
    duration = int(round(seconds))
    if duration <= 0:  # Twilio skips the action for an empty recording
        if digits == "hangup":
            raise HungUp(leg.clock.now)
        return None
    fields = _recording(leg, verb, url, started, duration)
    fields["Digits"] = digits
    leg.call.result.recorded = True
    leg.call.result.add(started, CALLER, RECORDS, f"{duration} s, ended by {digits or 'silence'}")
    action = urljoin(url, verb.get("action") or url)
    if digits != "hangup":
        return Goto(action, fields)
    # The call is over: Twilio still requests the action but ignores what it returns.
    leg.params["CallStatus"] = "completed"
    leg.fetch(action, fields)
    leg.call.flush_deferred()
    raise HungUp(leg.clock.now)


def _record(leg: Leg, verb: ET.Element) -> tuple[float, str]:
    """Let the caller speak; return the recorded seconds and the ``Digits`` that ended it."""
    script = leg.call.caller
    max_length = int_attr(verb, "maxLength", 3600, 0, 14400) or 3600
    seconds = min(script.record_seconds, float(max_length))
    finish_keys = verb.get("finishOnKey", "1234567890*#")
    digits = ""
    if seconds < max_length and (script.record_key == "hangup" or script.record_key in finish_keys):
        digits = script.record_key
    started = leg.clock.now
    try:
        leg.clock.advance(seconds)
        if not digits and seconds < max_length:
            leg.clock.advance(int_attr(verb, "timeout", 5, 0, 600))  # silence ends it
    except HungUp:
        return min(seconds, leg.clock.now - started), "hangup"
    return seconds, digits


def _recording(
    leg: Leg, verb: ET.Element, url: str, started: float, duration: int
) -> dict[str, str]:
    """Make the recording and schedule its status callbacks; return the action's fields."""
    call = leg.call
    sid = call.ids.sid("RE")
    fields = {
        "RecordingUrl": f"https://api.twilio.com/{leg.params['ApiVersion']}/Accounts/"
        f"{call.settings.account_sid}/Recordings/{sid}",
        "RecordingSid": sid,
        "RecordingDuration": str(duration),
    }
    callback = verb.get("recordingStatusCallback")
    if callback:
        params = {
            "AccountSid": call.settings.account_sid,
            "CallSid": leg.params["CallSid"],
            "RecordingSid": sid,
            "RecordingUrl": fields["RecordingUrl"],
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
            "RecordingStartTime": leg.clock.rfc2822(started),
            "ErrorCode": "0",
        }
        _recording_callbacks(leg, verb, urljoin(url, callback), params, duration)
    _transcription(leg, verb, url, fields, duration)
    return fields


def _transcription(leg: Leg, verb: ET.Element, url: str, fields: dict[str, str],
                   duration: int) -> None:
    """``transcribe="true"``: Twilio posts the text to ``transcribeCallback`` minutes after the
    call; it waits in the result's ``late_callbacks`` (the test chooses the moment)."""
    callback = verb.get("transcribeCallback")
    if not bool_attr(verb, "transcribe") or not callback:
        return
    said = leg.call.caller.says.strip()
    done = bool(said) and duration <= TRANSCRIBE_MAX_SECONDS
    sid = "TR" + fields["RecordingSid"][2:]
    params = {
        "AccountSid": leg.call.settings.account_sid, "CallSid": leg.params["CallSid"],
        "From": leg.params["From"], "To": leg.params["To"], "CallStatus": "completed",
        "ApiVersion": leg.params["ApiVersion"], "Direction": leg.params["Direction"],
        "RecordingSid": fields["RecordingSid"], "RecordingUrl": fields["RecordingUrl"],
        "TranscriptionSid": sid, "TranscriptionType": "fast",
        "TranscriptionUrl": fields["RecordingUrl"].replace(
            f"/Recordings/{fields['RecordingSid']}", f"/Transcriptions/{sid}"),
        "TranscriptionStatus": "completed" if done else "failed",
        "TranscriptionText": said if done else "",
    }
    leg.call.result.late_callbacks.append((urljoin(url, callback), params))


def _recording_callbacks(
    leg: Leg, verb: ET.Element, url: str, params: dict[str, str], duration: int
) -> None:
    """``in-progress`` goes out now; ``completed`` once the action's document has been fetched."""
    call, at = leg.call, leg.clock.now
    twice = call.settings.duplicate_callbacks
    events = (verb.get("recordingStatusCallbackEvent") or "completed").replace(",", " ").split()
    if "in-progress" in events:
        call.webhooks.callback(url, {**params, "RecordingStatus": "in-progress"}, at, twice)
    if "completed" in events:
        done = {**params, "RecordingStatus": "completed", "RecordingDuration": str(duration)}
        call.deferred.append(lambda: call.webhooks.callback(url, done, at, twice))
