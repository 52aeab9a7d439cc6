"""Twilio's response rules: violations give the application error, or the Fallback URL's TwiML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, Response, redirect, request

from app.devtools.simulator import Answer, CallerScript, CallResult, FlaskClientTransport, Simulator
from app.devtools.simulator.legs import APPLICATION_ERROR

TOKEN = "rules-token"
BASE = "https://hotline.example.com"
FALLBACK = "https://static.example.net/fallback.xml"
GOOD = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Welcome.</Say></Response>'


def bad(status: int = 200, body: str | bytes = GOOD, mimetype: str = "text/xml") -> Response:
    return Response(body, status=status, content_type=mimetype)


VIOLATIONS: dict[str, tuple[int, object]] = {
    "server error": (11200, lambda: bad(500, "<html>Traceback</html>", "text/html")),
    "not found": (11200, lambda: bad(404)),
    "http redirect": (11200, lambda: redirect("/elsewhere")),
    "html content type": (12300, lambda: bad(mimetype="text/html")),
    "plain text": (12300, lambda: bad(mimetype="text/plain")),
    "oversized": (11750, lambda: bad(body="<Response><Say>" + "x" * 66000 + "</Say></Response>")),
    "wrong root": (12100, lambda: bad(body="<Twiml><Say>Hi</Say></Twiml>")),
    "lowercase root": (12100, lambda: bad(body="<response><Say>Hi</Say></response>")),
    "whitespace first": (12100, lambda: bad(body="\n" + GOOD)),
    "not xml": (12100, lambda: bad(body="<Response><Say>Hi</Response>")),
    "empty body": (12100, lambda: bad(body="")),
    "doctype": (12100, lambda: bad(body='<!DOCTYPE r [<!ENTITY a "b">]><Response/>')),
}


def rules_app(voice: object) -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/voice", "voice", voice, methods=["POST"])  # type: ignore[arg-type]

    @app.post("/fallback.xml")
    def fallback() -> Response:
        return bad(body="<Response><Say>Sorry, the hotline is unavailable.</Say></Response>")

    @app.post("/status")
    def status() -> Response:
        return bad(body=request.args.get("answer", ""), status=int(request.args.get("code", 204)))

    return app


def call(app: Flask, fallback: str | None = None, status: str = f"{BASE}/status",
         phones: dict[str, Answer] | None = None) -> CallResult:
    sim = Simulator(FlaskClientTransport(app.test_client()), TOKEN, voice_url=f"{BASE}/voice",
                    fallback_url=fallback, status_callback_url=status, seed=2,
                    clock_start=datetime(2030, 1, 1, tzinfo=UTC))
    return sim.place_call("+4930111", "+4940999", CallerScript(), phones)


@pytest.mark.parametrize("name", VIOLATIONS)
def test_violation_gives_the_application_error(name: str) -> None:
    code, view = VIOLATIONS[name]
    result = call(rules_app(view))
    assert result.caller_heard == [APPLICATION_ERROR]
    assert len(result.errors) == 1 and result.errors[0].startswith(f"{code} {BASE}/voice: ")
    assert result.end_status == "completed"
    assert result.transcript().splitlines()[0].startswith(f"00:00 error {code} ")


@pytest.mark.parametrize("name", VIOLATIONS)
def test_violation_runs_the_fallback_url(name: str) -> None:
    code, view = VIOLATIONS[name]
    app = rules_app(view)
    transport = FlaskClientTransport(app.test_client())
    sim = Simulator(transport, TOKEN, voice_url=f"{BASE}/voice",
                    fallback_url=f"{BASE}/fallback.xml", seed=2)
    result = sim.place_call("+4930111", "+4940999")
    assert result.caller_heard == ["Sorry, the hotline is unavailable."]
    fallback = result.requests_to("/fallback.xml")[0].params
    assert (fallback["ErrorCode"], fallback["ErrorUrl"]) == (str(code), f"{BASE}/voice")
    assert fallback["CallSid"] == result.call_sid
    assert len(result.errors) == 1


@pytest.mark.parametrize("content_type", ["text/xml", "application/xml",
                                          "text/xml; charset=utf-8", "Application/XML"])
def test_xml_content_types_are_accepted(content_type: str) -> None:
    result = call(rules_app(lambda: bad(mimetype=content_type)))
    assert (result.caller_heard, result.errors) == (["Welcome."], [])


def test_a_body_of_exactly_64_kb_is_accepted() -> None:
    frame = "<Response><Say>x</Say></Response>"
    body = frame.replace("x", "x" * (64 * 1024 - len(frame) + 1))
    assert len(body) == 64 * 1024
    result = call(rules_app(lambda: bad(body=body)))
    assert result.errors == []


def test_a_failing_fallback_ends_in_the_application_error() -> None:
    result = call(rules_app(lambda: bad(500)), fallback=f"{BASE}/missing")
    assert result.caller_heard == [APPLICATION_ERROR]
    assert [e.split(" ")[0:2] for e in result.errors] == [
        ["11200", f"{BASE}/voice:"], ["11200", f"{BASE}/missing:"]]


def test_a_later_document_also_falls_back() -> None:
    def voice() -> Response:
        if "Digits" in request.form:
            return bad(500)
        return bad(body='<Response><Gather action="/voice"><Say>Pin?</Say></Gather></Response>')

    app = rules_app(voice)
    sim = Simulator(FlaskClientTransport(app.test_client()), TOKEN, voice_url=f"{BASE}/voice",
                    fallback_url=f"{BASE}/fallback.xml", seed=2)
    result = sim.place_call("+4930111", "+4940999", CallerScript(digits=["12#"]))
    assert result.caller_heard == ["Pin?", "Sorry, the hotline is unavailable."]
    assert result.requests_to("/fallback.xml")[0].params["Digits"] == "12"


def test_a_broken_screening_document_is_not_a_bridge() -> None:
    def voice() -> Response:
        return bad(body='<Response><Dial><Number url="/screen">+4915100000001</Number></Dial>'
                        "<Say>Nobody took it.</Say></Response>")

    app = rules_app(voice)
    app.add_url_rule("/screen", "screen", lambda: bad(mimetype="text/html"), methods=["POST"])
    result = call(app, fallback=f"{BASE}/fallback.xml",
                  phones={"+4915100000001": Answer(press="1")})
    assert result.heard_by == {"+4915100000001": [APPLICATION_ERROR]}
    assert result.dial_results == [("+4915100000001", "no-answer", False)]
    assert result.caller_heard == ["Nobody took it."]
    assert result.requests_to("/fallback.xml") == []  # the number's fallback is the caller's


@pytest.mark.parametrize(("query", "errors"), [
    ("", 0), ("?code=200&answer=%3CResponse/%3E", 0), ("?code=200&answer=ok", 1),
    ("?code=500", 1),
])
def test_status_callback_answers(query: str, errors: int) -> None:
    result = call(rules_app(lambda: bad()), status=f"{BASE}/status{query}")
    assert len(result.errors) == errors
    assert all(e.startswith("15003 ") for e in result.errors)
    assert result.caller_heard == ["Welcome."]


def test_screening_documents_allow_only_screening_verbs() -> None:
    def voice() -> Response:
        return bad(body='<Response><Dial><Number url="/screen">+4915100000001</Number></Dial>'
                        "<Say>After the call.</Say></Response>")

    def screen() -> Response:
        if "Digits" in request.form:
            return bad(body="<Response/>")
        return bad(body="<Response><Record/><Dial>+1</Dial><Reject/>"
                        '<Gather numDigits="1"><Say>Press 1.</Say></Gather></Response>')

    app = rules_app(voice)
    app.add_url_rule("/screen", "screen", screen, methods=["POST"])
    result = call(app, phones={"+4915100000001": Answer(press=["1"], talk_seconds=10)})
    assert result.heard_by == {"+4915100000001": ["Press 1."]}
    assert [e.split(": ", 1)[1] for e in result.errors] == [
        f"<{verb}> is not allowed here" for verb in ("Record", "Dial", "Reject")]
    assert result.connected_to == "+4915100000001"
    assert result.caller_heard == ["After the call."]  # a Dial without action goes on
