"""<Record>: the action request, the recording status callback, and how recordings end."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from app.devtools.simulator import CallerScript, CallResult, FlaskClientTransport, Simulator

TOKEN = "record-token"
BASE = "https://hotline.example.com"
RECORD = ('<Say>Please leave a message after the beep.</Say>'
          '<Record action="/voicemail" maxLength="120" recordingStatusCallback="/recording"/>'
          "<Say>Never reached.</Say>")


def voicemail_app(voice: str = RECORD, recording_status: int = 204) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def verify() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    def twiml(body: str) -> Response:
        return Response(f"<Response>{body}</Response>", content_type="application/xml")

    @app.post("/voice")
    def answer() -> Response:
        if "RecordingUrl" in request.form:
            return twiml("<Say>Recorded on the same URL.</Say>")
        return twiml(voice)

    @app.post("/voicemail")
    def voicemail() -> Response:
        return twiml("<Say>Thank you, goodbye.</Say><Hangup/>")

    @app.post("/recording")
    def recording() -> tuple[str, int]:
        return "", recording_status

    @app.post("/status")
    def status() -> Response:
        return twiml("")

    return app


def call(app: Flask, script: CallerScript) -> CallResult:
    sim = Simulator(FlaskClientTransport(app.test_client()), TOKEN, voice_url=f"{BASE}/voice",
                    status_callback_url=f"{BASE}/status", seed=5,
                    clock_start=datetime(2030, 1, 1, 23, 59, tzinfo=UTC))
    return sim.place_call("+4930111", "+4940999", script)


def test_hanging_up_after_the_message_posts_action_then_recording_callback() -> None:
    result = call(voicemail_app(), CallerScript(record_seconds=12))

    assert [r.url.removeprefix(BASE) for r in result.requests] == [
        "/voice", "/voicemail", "/recording", "/status"]
    action = result.requests_to("/voicemail")[0].params
    assert action["Digits"] == "hangup"
    assert action["RecordingDuration"] == "12"
    assert action["CallStatus"] == "completed"
    assert re.fullmatch(r"RE[0-9a-f]{32}", action["RecordingSid"])
    assert action["RecordingUrl"].endswith(f"/Recordings/{action['RecordingSid']}")
    callback = result.requests_to("/recording")[0].params
    assert {k: callback[k] for k in ("RecordingSid", "RecordingUrl", "RecordingDuration")} == {
        k: action[k] for k in ("RecordingSid", "RecordingUrl", "RecordingDuration")}
    assert callback["RecordingStatus"] == "completed"
    assert callback["CallSid"] == result.call_sid
    assert result.recorded
    assert result.caller_heard == ["Please leave a message after the beep."]  # not the action's
    assert result.errors == []
    assert result.transcript().splitlines()[-3:] == [
        "00:03 caller records 12 s, ended by hangup",
        "00:15 caller hangs up",
        "00:15 call ended (completed)",
    ]


def test_pressing_hash_ends_the_recording_and_the_call_goes_on() -> None:
    result = call(voicemail_app(), CallerScript(record_seconds=20, record_key="#"))
    action = result.requests_to("/voicemail")[0].params
    assert (action["Digits"], action["RecordingDuration"], action["CallStatus"]) == (
        "#", "20", "in-progress")
    assert result.caller_heard[-1] == "Thank you, goodbye."


def test_without_action_the_recording_posts_to_the_current_document() -> None:
    app = voicemail_app(voice='<Record maxLength="60"/><Say>Skipped.</Say>')
    result = call(app, CallerScript(record_seconds=8, record_key="*"))
    second = result.requests_to("/voice")[1].params
    assert (second["RecordingDuration"], second["Digits"]) == ("8", "*")
    assert result.caller_heard == ["Recorded on the same URL."]


def test_max_length_cuts_the_recording() -> None:
    app = voicemail_app(voice='<Record action="/voicemail" maxLength="30"/>')
    result = call(app, CallerScript(record_seconds=200))
    action = result.requests_to("/voicemail")[0].params
    assert (action["RecordingDuration"], action["Digits"]) == ("30", "")


def test_caller_hanging_up_mid_message_shortens_it() -> None:
    result = call(voicemail_app(), CallerScript(record_seconds=60, hangup_after_seconds=10))
    action = result.requests_to("/voicemail")[0].params
    assert (action["Digits"], action["RecordingDuration"]) == ("hangup", "7")
    assert result.duration == 10


def test_an_empty_recording_skips_the_action() -> None:
    result = call(voicemail_app(), CallerScript(record_seconds=0, record_key="#"))
    assert result.requests_to("/voicemail") == []
    assert not result.recorded
    assert result.caller_heard[-1] == "Never reached."


def test_a_failing_recording_callback_is_logged_not_fatal() -> None:
    result = call(voicemail_app(recording_status=500), CallerScript())
    assert result.errors == [f"15003 {BASE}/recording: callback answered HTTP status 500"]
    assert result.end_status == "completed"
