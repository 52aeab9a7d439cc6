"""The simulator signs exactly like Twilio: the documented vector and twilio's own validator."""

from __future__ import annotations

import random
import string

import pytest
from twilio.request_validator import RequestValidator

from app.devtools.simulator import compute_signature
from app.devtools.simulator.signing import request_url

DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_documented_vector() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert compute_signature("12345", url, DOC_PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_parameter_order_does_not_matter() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    shuffled = dict(reversed(list(DOC_PARAMS.items())))
    assert compute_signature("12345", url, shuffled) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_a_changed_value_changes_the_signature() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    tampered = {**DOC_PARAMS, "Digits": "1235"}
    assert compute_signature("12345", url, tampered) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    "url",
    [
        "https://hotline.example.com/voice",
        "https://hotline.example.com/voice/dial-result?step=2&chain=abc&sig=x%2By",
        "https://hotline.example.com:8443/voice?x=1",
        "http://127.0.0.1:5000/voice/screen?step=0",
    ],
)
def test_validator_accepts_urls_with_query_and_port(url: str) -> None:
    params = {**DOC_PARAMS, "CallStatus": "in-progress", "Empty": ""}
    signature = compute_signature("secret-token", url, params)
    assert RequestValidator("secret-token").validate(url, params, signature)
    assert not RequestValidator("other-token").validate(url, params, signature)


def test_random_cases_match_twilio_validator() -> None:
    rng = random.Random(20300101)
    alphabet = string.ascii_letters + string.digits + " +-_.:/?&=%#äöü€"
    for _ in range(300):
        token = "".join(rng.choices(string.ascii_letters + string.digits, k=32))
        host = rng.choice(["hotline.example.com", "127.0.0.1", "h.example.org"])
        port = rng.choice(["", ":8443", ":5000"])
        query = rng.choice(["", "?step=1", "?a=1&b=%2B49&c="])
        url = f"{rng.choice(['http', 'https'])}://{host}{port}/voice/x{query}"
        params = {
            "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 12))):
            "".join(rng.choices(alphabet, k=rng.randint(0, 20)))
            for _ in range(rng.randint(0, 12))
        }
        validator = RequestValidator(token)
        assert compute_signature(token, url, params) == validator.compute_signature(url, params)
        assert validator.validate(url, params, compute_signature(token, url, params))


def test_connection_override_fragment_is_neither_requested_nor_signed() -> None:
    url = "https://hotline.example.com/voice?step=1#rc=2&rp=all&ct=2000"
    assert request_url(url) == "https://hotline.example.com/voice?step=1"
    assert request_url("https://hotline.example.com/voice") == "https://hotline.example.com/voice"
