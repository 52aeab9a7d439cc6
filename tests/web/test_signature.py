"""Every voice webhook checks X-Twilio-Signature, directly and behind a proxy."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from app.devtools.simulator import FlaskClientTransport, Simulator, compute_signature
from app.web import create_app
from app.web.voice.signature import is_genuine
from app.web.voice.views import first_values
from tests.support.constants import ACME, AUTH_TOKEN, DANA, HOTLINE

PARAMS = {"CallSid": "CA" + "a" * 32, "From": ACME, "To": HOTLINE, "CallStatus": "ringing"}
VOICE_PATHS = ["/voice", "/voice/pin?t=1", "/voice/dial-result?c=acme&ch=dana&s=0&v=x",
               "/voice/screen?c=acme&ch=dana&s=0", "/voice/screen-result?c=acme&ch=dana&s=0",
               "/voice/leg-status?c=acme&ch=dana&s=0", "/voice/status", "/voice/voicemail-done",
               "/voice/recording-status", "/voice/safe-result", "/voice/transcription",
               "/voice/emergency?c=globex&s=0", "/voice/safe-voicemail-done?l=",
               "/voice/safe-recording-status", "/voice/safe-transcription"]


@pytest.mark.parametrize("path", VOICE_PATHS)
def test_missing_or_forged_signature_is_refused(client, sink, path: str) -> None:  # type: ignore[no-untyped-def]
    url = f"http://localhost{path}"
    assert client.post(path, data=PARAMS).status_code == 403
    forged = compute_signature("not-the-token", url, PARAMS)
    assert client.post(path, data=PARAMS, headers={"X-Twilio-Signature": forged}).status_code == 403
    changed = compute_signature(AUTH_TOKEN, url, {**PARAMS, "From": "+15550000000"})
    assert client.post(path, data=PARAMS, headers={"X-Twilio-Signature": changed}).status_code == 403
    genuine = compute_signature(AUTH_TOKEN, url, PARAMS)
    assert client.post(path, data=PARAMS, headers={"X-Twilio-Signature": genuine}).status_code == 200
    assert all(e["call_sid"] == PARAMS["CallSid"] for e in sink.events)


def test_refused_requests_log_nothing(client, sink) -> None:  # type: ignore[no-untyped-def]
    client.post("/voice", data=PARAMS, headers={"X-Twilio-Signature": "AAAA"})
    assert sink.events == []


def test_behind_a_proxy_the_public_url_is_what_counts(settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    public = dataclasses.replace(settings, public_base_url="https://hotline.example.com/support")
    app = create_app(public, config, sink)
    client = app.test_client()
    seen_by_twilio = "https://hotline.example.com/support/voice"
    good = compute_signature(AUTH_TOKEN, seen_by_twilio, PARAMS)
    internal = compute_signature(AUTH_TOKEN, "http://localhost/voice", PARAMS)
    assert client.post("/voice", data=PARAMS, headers={"X-Twilio-Signature": good}).status_code == 200
    assert client.post("/voice", data=PARAMS,
                       headers={"X-Twilio-Signature": internal}).status_code == 403
    body = client.post("/voice", data=PARAMS, headers={"X-Twilio-Signature": good}).text
    assert 'action="https://hotline.example.com/support/voice/dial-result?' in body


def test_trusted_forwarded_headers_rebuild_the_url(settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    proxied = dataclasses.replace(settings, trusted_proxies=1)
    client = create_app(proxied, config, sink).test_client()
    url = "https://hotline.example.com:8443/voice"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.com:8443",
               "X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, PARAMS)}
    assert client.post("/voice", data=PARAMS, headers=headers).status_code == 200
    untrusted = create_app(settings, config, sink).test_client()
    assert untrusted.post("/voice", data=PARAMS, headers=headers).status_code == 403


def test_second_token_allows_rotation(settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    rotating = dataclasses.replace(settings, auth_tokens=("new-token", AUTH_TOKEN))
    client = create_app(rotating, config, sink).test_client()
    for token in ("new-token", AUTH_TOKEN):
        signature = compute_signature(token, "http://localhost/voice", PARAMS)
        assert client.post("/voice", data=PARAMS,
                           headers={"X-Twilio-Signature": signature}).status_code == 200


def test_whole_call_with_a_wrong_token_never_reaches_anybody(client) -> None:  # type: ignore[no-untyped-def]
    from app.devtools.simulator import Answer

    sim = Simulator(FlaskClientTransport(client), "wrong-token", voice_url="http://hotline.test/voice")
    result = sim.place_call(ACME, HOTLINE, phones={DANA: Answer(press="1")})
    assert result.dialed == []
    assert result.requests[0].status == 403


def test_encoded_query_characters_are_checked_as_sent(client) -> None:  # type: ignore[no-untyped-def]
    path = "/voice/status?note=a%2Fb%20c"
    signature = compute_signature(AUTH_TOKEN, f"http://localhost{path}", PARAMS)
    assert client.post(path, data=PARAMS, headers={"X-Twilio-Signature": signature}).status_code == 200


def test_an_international_domain_is_checked_as_twilio_requested_it(client) -> None:  # type: ignore[no-untyped-def]
    """Twilio requests (and signs) the ASCII form of the host; it must not be decoded first."""
    url = "https://xn--bcher-kva.example/voice"
    headers = {"X-Twilio-Signature": compute_signature(AUTH_TOKEN, url, PARAMS)}
    response = client.post("/voice", data=PARAMS, headers=headers,
                           base_url="https://xn--bcher-kva.example")
    assert response.status_code == 200
    assert 'action="https://xn--bcher-kva.example/voice/dial-result?' in response.text


def test_a_webhook_opens_no_cookie_session(client) -> None:  # type: ignore[no-untyped-def]
    """Webhooks skip the session (and its signer); a page a person signs in to still has one."""
    headers = {"X-Twilio-Signature": compute_signature(AUTH_TOKEN, "http://localhost/voice", PARAMS)}
    with client:
        client.post("/voice", data=PARAMS, headers=headers)
        from flask import session

        assert session.__class__.__name__ == "NullSession"
        client.get("/admin/login")
        assert session.__class__.__name__ == "SecureCookieSession"


def test_a_signature_header_with_any_characters_is_refused_not_an_error(client, sink) -> None:  # type: ignore[no-untyped-def]
    genuine = compute_signature(AUTH_TOKEN, "http://localhost/voice", PARAMS)
    for header in ("é" * 28, "☎", "\x00\x01", " " * 28, genuine + "é", genuine[:-1] + "é"):
        assert client.post("/voice", data=PARAMS, headers={"X-Twilio-Signature": header}).status_code == 403
    assert sink.events == []


@given(st.lists(st.tuples(st.sampled_from(["Digits", "From", "To", "Body", "x"]), st.text(max_size=8)),
                max_size=8))
@settings(max_examples=60, deadline=None, database=None)
def test_a_form_with_repeated_names_is_checked_as_twilios_library_reads_it(
        pairs: list[tuple[str, str]]) -> None:
    """The form's value lists are handed over as they are: the result equals Twilio's own
    validator reading the MultiDict, and any other value list fails."""
    form = MultiDict(pairs)
    url = "https://hotline.example.com/voice"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    assert is_genuine(url, form, signature, (AUTH_TOKEN,))
    assert first_values(form) == form.to_dict()
    changed = MultiDict([*pairs, ("x", "changed")])
    assert not is_genuine(url, changed, signature, (AUTH_TOKEN,))
