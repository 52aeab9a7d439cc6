"""Transports: the Flask test client (right host and scheme) and real HTTP to a live server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from app.devtools.simulator import (
    Answer,
    FlaskClientTransport,
    HttpTransport,
    Simulator,
    TransportError,
    compute_signature,
)

TOKEN = "transport-token"


def echo_app() -> Flask:
    app = Flask(__name__)
    release = threading.Event()

    @app.before_request
    def verify() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, request.form.to_dict(), signature):
            abort(403)

    @app.post("/echo")
    def echo() -> dict[str, object]:
        return {"url": request.url, "scheme": request.scheme, "host": request.host,
                "form": request.form.to_dict(), "content_type": request.content_type,
                "token": request.headers.get("I-Twilio-Idempotency-Token")}

    @app.post("/moved")
    def moved() -> Response:
        return Response("", status=307, headers={"Location": "/echo"})

    @app.post("/slow")
    def slow() -> str:
        release.wait(2.0)
        return ""

    @app.post("/voice")
    def voice() -> Response:
        body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Over HTTP.</Say>'
                '<Dial action="/after"><Number url="/screen">+4915100000001</Number></Dial>'
                "</Response>")
        return Response(body, mimetype="text/xml")

    @app.post("/screen")
    def screen() -> Response:
        if request.form.get("Digits") == "1":
            return Response("<Response/>", mimetype="text/xml")
        return Response('<Response><Gather numDigits="1"><Say>Press 1.</Say></Gather><Hangup/>'
                        "</Response>", mimetype="text/xml")

    @app.post("/after")
    def after() -> Response:
        return Response("<Response><Hangup/></Response>", mimetype="text/xml")

    app.config["release"] = release
    return app


@pytest.fixture
def live_server() -> Iterator[tuple[Flask, str]]:
    app = echo_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        app.config["release"].set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def signed_headers(url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": compute_signature(TOKEN, url, params),
            "I-Twilio-Idempotency-Token": "token-1"}


def test_flask_client_transport_keeps_host_scheme_port_and_query() -> None:
    transport = FlaskClientTransport(echo_app().test_client())
    url = "https://hotline.example.com:8443/echo?step=2&x=%2B49"
    params = {"CallSid": "CA1", "From": "+49 30 111"}
    answer = transport.post(url, params, signed_headers(url, params))
    assert answer.status == 200
    seen = answer.body.decode()
    assert '"scheme":"https"' in seen and '"host":"hotline.example.com:8443"' in seen
    assert '"form":{"CallSid":"CA1","From":"+49 30 111"}' in seen
    assert '"content_type":"application/x-www-form-urlencoded"' in seen
    assert answer.header("content-type") == "application/json"


def test_http_transport_posts_signed_form_to_a_real_server(live_server: tuple[Flask, str]) -> None:
    _, base = live_server
    url = f"{base}/echo?step=1"
    params = {"CallSid": "CA1", "Digits": "1#"}
    answer = HttpTransport().post(url, params, signed_headers(url, params))
    assert answer.status == 200
    assert b'"form":{"CallSid":"CA1","Digits":"1#"}' in answer.body
    assert b'"token":"token-1"' in answer.body


def test_http_transport_returns_error_statuses_and_does_not_follow_redirects(
    live_server: tuple[Flask, str],
) -> None:
    _, base = live_server
    assert HttpTransport().post(f"{base}/echo", {}, {}).status == 403  # unsigned
    moved = HttpTransport().post(f"{base}/moved", {}, signed_headers(f"{base}/moved", {}))
    assert moved.status == 307


def test_http_transport_times_out(live_server: tuple[Flask, str]) -> None:
    _, base = live_server
    with pytest.raises(TransportError):
        HttpTransport(timeout=0.2).post(f"{base}/slow", {}, signed_headers(f"{base}/slow", {}))


def test_a_whole_call_over_http(live_server: tuple[Flask, str]) -> None:
    _, base = live_server
    sim = Simulator(HttpTransport(), TOKEN, voice_url=f"{base}/voice", seed=9)
    result = sim.place_call("+4930111", "+4940999",
                            phones={"+4915100000001": Answer(press="1", talk_seconds=30)})
    assert result.errors == []
    assert result.caller_heard == ["Over HTTP."]
    assert result.heard_by == {"+4915100000001": ["Press 1."]}
    assert result.connected_to == "+4915100000001"
    assert result.requests_to("/after")[0].params["DialCallDuration"] == "30"


def test_an_unreachable_server_is_an_http_retrieval_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/voice"
    result = Simulator(HttpTransport(timeout=1.0), TOKEN, voice_url=url).place_call("+1", "+2")
    assert result.errors == [f"11200 {url}: could not connect"]
    assert [r.status for r in result.requests] == [0, 0]  # Twilio retries once
