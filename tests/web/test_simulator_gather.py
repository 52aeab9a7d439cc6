"""Gather, Say, Play, Pause, Redirect, Reject and URL handling, against small Flask apps."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from app.devtools.simulator import CallerScript, CallResult, FlaskClientTransport, Simulator

TOKEN = "gather-token"
BASE = "https://hotline.example.com"
Route = Callable[[dict[str, str]], str]


def build_app(routes: dict[str, Route]) -> Flask:
    """Each route turns the posted form into the body of a ``<Response>``."""
    app = Flask(__name__)

    @app.before_request
    def verify() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    for path, route in routes.items():
        def view(route: Route = route) -> Response:
            body = route({**request.args.to_dict(), **request.form.to_dict()})
            document = f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
            return Response(document, mimetype="text/xml")

        app.add_url_rule(path, endpoint=path, view_func=view, methods=["POST"])
    return app


def call(routes: dict[str, Route], script: CallerScript | None = None, start: str = "/voice",
         **options: Any) -> CallResult:
    sim = Simulator(FlaskClientTransport(build_app(routes).test_client()), TOKEN,
                    voice_url=BASE + start, status_callback_url=f"{BASE}/status",
                    clock_start=datetime(2030, 1, 1, tzinfo=UTC), seed=11,
                    **options)
    return sim.place_call("+4930111", "+4940999", script)


PROMPT = "Please enter your PIN, then press hash."


def pin_routes() -> dict[str, Route]:
    return {
        "/voice": lambda form: (
            f'<Gather action="pin" timeout="5"><Say>{PROMPT}</Say></Gather>'
            "<Say>We did not get your PIN.</Say><Redirect>/voice</Redirect>"
        ),
        "/pin": lambda form: (
            "<Say>Thank you.</Say><Hangup/>" if form["Digits"] == "4711"
            else "<Say>Wrong PIN.</Say><Redirect>/voice</Redirect>"
        ),
        "/status": lambda form: "",
    }


def test_finish_on_key_ends_input_and_is_not_part_of_digits() -> None:
    result = call(pin_routes(), CallerScript(digits=["4711#"]))
    (pin,) = result.requests_to("/pin")
    assert (pin.params["Digits"], pin.params["FinishedOnKey"]) == ("4711", "#")
    assert result.caller_heard == [PROMPT, "Thank you."]
    assert result.errors == []


def test_reprompt_loop_until_the_pin_is_right() -> None:
    result = call(pin_routes(), CallerScript(digits=[None, "1234#", "4711#"]))
    assert result.caller_heard == [
        PROMPT, "We did not get your PIN.", PROMPT, "Wrong PIN.", PROMPT, "Thank you."
    ]
    assert [r.params["Digits"] for r in result.requests_to("/pin")] == ["1234", "4711"]
    assert [e.kind for e in result.events if e.who == "caller"][:3] == ["hears", "silent", "hears"]
    assert result.end_status == "completed"


def test_without_finish_key_the_gather_waits_for_its_timeout() -> None:
    quick = call(pin_routes(), CallerScript(digits=["4711#"]))
    slow = call(pin_routes(), CallerScript(digits=["4711"]))
    assert slow.requests_to("/pin")[0].params["Digits"] == "4711"
    assert slow.duration - quick.duration == pytest.approx(5 - 0.25)  # timeout, minus the '#'


def test_num_digits_and_an_empty_finish_key() -> None:
    routes = {
        "/voice": lambda form: '<Gather numDigits="1" action="/one"/>',
        "/one": lambda form: f'<Say>{form["Digits"]}</Say><Gather finishOnKey="" action="/two"/>',
        "/two": lambda form: f'<Say>{form["Digits"]}</Say>',
        "/status": lambda form: "",
    }
    result = call(routes, CallerScript(digits=["12", "3#4"]))
    assert result.caller_heard == ["1", "3#4"]


def test_silence_continues_with_the_next_verb_or_posts_when_asked() -> None:
    routes = {
        "/voice": lambda form: (
            '<Gather action="/first"><Say>One</Say></Gather>'
            '<Gather action="/second" actionOnEmptyResult="true"><Say>Two</Say></Gather>'
            "<Say>Never heard.</Say>"
        ),
        "/first": lambda form: "<Say>Wrong turn.</Say>",
        "/second": lambda form: f"<Say>Empty: [{form['Digits']}]</Say>",
        "/status": lambda form: "",
    }
    result = call(routes, CallerScript(digits=[]))
    assert result.requests_to("/first") == []
    assert result.caller_heard == ["One", "Two", "Empty: []"]


def test_relative_urls_resolve_against_the_current_document() -> None:
    routes = {
        "/voice/start": lambda form: '<Gather action="pin?x=1"><Say>Go</Say></Gather>',
        "/voice/pin": lambda form: "<Redirect>../menu#rc=2&amp;ct=1000</Redirect>",
        "/menu": lambda form: '<Redirect>?step=2</Redirect>' if "step" not in form else
        '<Say>Done.</Say>',
        "/status": lambda form: "",
    }
    result = call(routes, CallerScript(digits=["5#"]), start="/voice/start")
    assert [r.url for r in result.requests] == [
        f"{BASE}/voice/start", f"{BASE}/voice/pin?x=1", f"{BASE}/menu", f"{BASE}/menu?step=2",
        f"{BASE}/status",
    ]
    assert result.errors == []  # every request validated, fragment or not
    assert result.caller_heard == ["Go", "Done."]


def test_request_parameters_like_twilio() -> None:
    routes = {"/voice": lambda form: "<Redirect>/next</Redirect>",
              "/next": lambda form: "", "/status": lambda form: ""}
    result = call(routes, extra_params={"FromCountry": "DE"})
    first, second, status = (r.params for r in result.requests)
    assert re.fullmatch(r"CA[0-9a-f]{32}", first["CallSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", first["AccountSid"])
    assert first["CallStatus"] == "ringing" and second["CallStatus"] == "in-progress"
    assert {k: first[k] for k in ("From", "To", "Caller", "Called", "Direction", "ApiVersion",
                                  "FromCountry")} == {
        "From": "+4930111", "To": "+4940999", "Caller": "+4930111", "Called": "+4940999",
        "Direction": "inbound", "ApiVersion": "2010-04-01", "FromCountry": "DE",
    }
    assert status["CallStatus"] == "completed"


def test_say_language_play_and_pause_advance_the_clock() -> None:
    routes = {
        "/voice": lambda form: (
            '<Say language="de-DE">Hallo und willkommen</Say><Pause length="3"/>'
            '<Play loop="2">/hold.mp3</Play><Say loop="0">Repeat</Say>'
        ),
        "/status": lambda form: "",
    }
    result = call(routes, play_seconds=4.0)
    hears = [(e.text, e.language) for e in result.events if e.kind == "hears"]
    assert hears[:3] == [("Hallo und willkommen", "de-DE"), (f"[audio {BASE}/hold.mp3]", None),
                         (f"[audio {BASE}/hold.mp3]", None)]
    assert len(hears) == 3 + 10  # loop="0" is capped
    assert result.duration == pytest.approx(1.2 + 3 + 2 * 4.0 + 10 * 1.0)
    assert result.transcript().splitlines()[0] == "00:00 caller hears (de-DE): Hallo und willkommen"


def test_unknown_verbs_and_misplaced_nouns_are_errors_not_crashes() -> None:
    routes = {
        "/voice": lambda form: (
            "<say>lowercase</say><Gather><Dial>+491</Dial><Say>Prompt</Say></Gather>"
            "<Enqueue>support</Enqueue><Say>Still here.</Say>"
        ),
        "/status": lambda form: "",
    }
    result = call(routes)
    assert result.caller_heard == ["Prompt", "Still here."]
    assert len(result.errors) == 3
    assert all(e.startswith(f"12200 {BASE}/voice: ") for e in result.errors)
    assert "<say> is not allowed here" in result.errors[0]


def test_reject_ends_the_call_busy() -> None:
    result = call({"/voice": lambda form: '<Reject reason="busy"/><Say>Never.</Say>',
                   "/status": lambda form: ""})
    assert result.end_status == "busy"
    assert result.caller_heard == []
    (status,) = result.requests_to("/status")
    assert (status.params["CallStatus"], status.params["CallDuration"]) == ("busy", "0")


def test_redirect_loops_are_cut_off() -> None:
    result = call({"/voice": lambda form: "<Redirect>/voice</Redirect>",
                   "/status": lambda form: ""}, max_documents=20)
    assert len(result.requests_to("/voice")) == 20
    assert result.errors == ["loop: more than 20 documents"]
    assert result.end_status == "completed"


def test_caller_hangs_up_in_the_middle_of_a_prompt() -> None:
    routes = {"/voice": lambda form: "<Say>" + "word " * 50 + "</Say><Say>Later.</Say>",
              "/status": lambda form: ""}
    result = call(routes, CallerScript(hangup_after_seconds=7.5))
    assert result.duration == 7.5
    assert len(result.caller_heard) == 1
    assert result.events[-2].kind == "hangs_up"
    assert result.requests_to("/status")[0].params["CallDuration"] == "8"
