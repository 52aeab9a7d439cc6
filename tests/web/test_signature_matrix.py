"""X-Twilio-Signature in every deployment shape: Twilio's own Node library signs, forgeries fail.

Genuine requests are signed by Twilio's Node helper library (tests/node/sign.js), not by our
code, so a mistake shared by the app and the simulator's signer cannot hide here.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.devtools.simulator import compute_signature
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, HOTLINE
from tests.support.twiml_schema import run_node, validate_twiml

OTHER_TOKEN = "fedcba9876543210fedcba9876543210"
EVIL = "evil.example"
PARAMS = {
    "CallSid": "CA" + "5e" * 16, "AccountSid": ACCOUNT_SID, "From": ACME, "To": HOTLINE,
    "Caller": ACME, "Called": HOTLINE, "CallStatus": "ringing", "ApiVersion": "2010-04-01",
    "Direction": "inbound",
}
STATE = "c=acme&ch=dana.alice.erin.carol&s=0&v=x"
ENDPOINTS = ["/voice", "/voice/pin?t=1", f"/voice/dial-result?{STATE}", f"/voice/screen?{STATE}",
             f"/voice/screen-result?{STATE}", f"/voice/voicemail-done?{STATE}",
             f"/voice/leg-status?{STATE}", "/voice/status", f"/voice/recording-status?{STATE}",
             "/voice/safe-result", "/sms/inbound"]


@dataclass(frozen=True)
class Deployment:
    """How the app is reached: the base Twilio requests (and signs), and what the app sees."""

    name: str
    public: str
    internal: str
    proxy_headers: dict[str, str] = field(default_factory=dict)
    trusted_proxies: int = 0
    public_base_url: str | None = None


DEPLOYMENTS = [
    Deployment("direct", "https://hotline.example.com", "https://hotline.example.com"),
    Deployment("direct on port 8080", "http://hotline.example.com:8080",
               "http://hotline.example.com:8080"),
    Deployment("PUBLIC_BASE_URL with a path", "https://example.com/hotline",
               "http://10.1.2.3:8000", public_base_url="https://example.com/hotline"),
    Deployment("one trusted proxy", "https://hotline.example.com", "http://127.0.0.1:8000",
               {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.com",
                "X-Forwarded-For": "54.172.60.1"}, trusted_proxies=1),
    Deployment("trusted proxy on port 8443", "https://hotline.example.com:8443",
               "http://127.0.0.1:8000",
               {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.com",
                "X-Forwarded-Port": "8443", "X-Forwarded-For": "54.172.60.1"},
               trusted_proxies=1),
    Deployment("two trusted proxies", "https://hotline.example.com", "http://127.0.0.1:8000",
               {"X-Forwarded-Proto": "https, http", "X-Forwarded-For": "54.172.60.1, 10.0.0.2",
                "X-Forwarded-Host": "hotline.example.com, lb.internal"}, trusted_proxies=2),
]


@dataclass
class Request:
    """One POST as sent; ``signed`` says what the signature covers (token, URL, parameters).

    ``proxy`` replaces the deployment's proxy headers; ``signature`` is sent as given when
    nothing is ``signed`` (``None``: no header at all).
    """

    what: str
    path: str
    params: dict[str, str]
    signed: tuple[str, str, dict[str, str]] | None
    proxy: dict[str, str] | None = None
    signature: str | None = None


def node_sign(requests: list[Request]) -> None:
    """Fill in each request's signature, computed by Twilio's Node library."""
    cases = [{"token": t, "url": u, "params": p} for t, u, p in
             (r.signed for r in requests if r.signed is not None)]
    answers = iter(run_node("sign.js", {"cases": cases}))
    for request in requests:
        if request.signed is not None:
            request.signature = next(answers)["signature"]


def send(client: Any, deployment: Deployment, request: Request) -> Any:
    path, _, query = request.path.partition("?")
    headers = dict(deployment.proxy_headers if request.proxy is None else request.proxy)
    if request.signature is not None:
        headers["X-Twilio-Signature"] = request.signature
    return client.post(path, base_url=deployment.internal, query_string=query,
                       data=request.params, headers=headers)


def app_for(settings_: Any, config: Any, sink: Any, deployment: Deployment,
            tokens: tuple[str, ...] = (AUTH_TOKEN,)) -> Any:
    shaped = dataclasses.replace(settings_, trusted_proxies=deployment.trusted_proxies,
                                 public_base_url=deployment.public_base_url, auth_tokens=tokens)
    return create_app(shaped, config, sink).test_client()


def with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=host).geturl()


def genuine(deployment: Deployment) -> list[Request]:
    public = deployment.public
    requests = [Request(f"genuine {path}", path, PARAMS, (AUTH_TOKEN, public + path, PARAMS))
                for path in ENDPOINTS]
    odd = {**PARAMS, "From": "Zoë ☎ +49 30 1234567", "CallerName": "Müller & Söhne <GmbH>",
           "ForwardedFrom": "", "StirVerstat": "TN-Validation-Passed-A"}
    requests.append(Request("non-ASCII and empty values", "/voice", odd,
                            (AUTH_TOKEN, public + "/voice", odd)))
    encoded = "/voice/status?note=a%2Fb%20c&x=%C3%A4"
    requests.append(Request("encoded query", encoded, PARAMS,
                            (AUTH_TOKEN, public + encoded, PARAMS)))
    if not re.search(r":\d+", urlsplit(public).netloc):
        port = ":443" if public.startswith("https:") else ":80"
        with_port = with_host(public, urlsplit(public).hostname + port)  # type: ignore[operator]
        requests.append(Request("default port written out", "/voice", PARAMS,
                                (AUTH_TOKEN, with_port + "/voice", PARAMS)))
    if deployment.trusted_proxies:
        requests.append(Request("a client-added forwarded host is skipped", "/voice", PARAMS,
                                (AUTH_TOKEN, public + "/voice", PARAMS), spoofed_host(deployment)))
    return requests


def spoofed_host(deployment: Deployment) -> dict[str, str]:
    """The proxy headers plus a forwarded host the caller made up, placed before the real ones
    (a proxy appends to what the client sent); without a trusted proxy, made-up headers only."""
    if not deployment.trusted_proxies:
        return {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    real = deployment.proxy_headers["X-Forwarded-Host"]
    return {**deployment.proxy_headers, "X-Forwarded-Host": f"{EVIL}, {real}"}


def forged(deployment: Deployment) -> list[Request]:
    public, path = deployment.public, "/voice/pin?t=1"
    url = public + path
    signed = (AUTH_TOKEN, url, PARAMS)
    evil_url = with_host(url, EVIL)
    other_scheme = ("http:" + url[6:]) if url.startswith("https:") else "https:" + url[5:]
    requests = [
        Request("no signature header", path, PARAMS, None),
        Request("empty signature", path, PARAMS, None, signature=""),
        Request("garbage signature", path, PARAMS, None, signature="AAAA"),
        Request("wrong token", path, PARAMS, (OTHER_TOKEN, url, PARAMS)),
        Request("changed parameter", path, {**PARAMS, "From": "+15550000000"}, signed),
        Request("added parameter", path, {**PARAMS, "Digits": "4711"}, signed),
        Request("removed parameter", path, {k: v for k, v in PARAMS.items() if k != "From"},
                signed),
        Request("renamed parameter", path,
                {("from" if k == "From" else k): v for k, v in PARAMS.items()}, signed),
        Request("another path", "/voice", PARAMS, signed),
        Request("replayed to another endpoint", path, PARAMS,
                (AUTH_TOKEN, public + "/voice/status", PARAMS)),
        Request("changed query", "/voice/pin?t=2", PARAMS, signed),
        Request("added query", "/voice?t=1", PARAMS, (AUTH_TOKEN, public + "/voice", PARAMS)),
        Request("another host", path, PARAMS, (AUTH_TOKEN, evil_url, PARAMS)),
        Request("another scheme", path, PARAMS, (AUTH_TOKEN, other_scheme, PARAMS)),
        Request("another port", path, PARAMS,
                (AUTH_TOKEN, with_host(url, f"{urlsplit(url).hostname}:9999"), PARAMS)),
        Request("forwarded host not trusted", path, PARAMS, (AUTH_TOKEN, evil_url, PARAMS),
                spoofed_host(deployment)),
    ]
    if deployment.internal != deployment.public:
        requests.append(Request("signed for the internal URL", path, PARAMS,
                                (AUTH_TOKEN, deployment.internal + path, PARAMS)))
    if deployment.trusted_proxies:
        requests.append(Request("proxy headers missing", path, PARAMS, signed, {}))
    return requests


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d.name)
def test_genuine_requests_signed_by_twilios_library_pass(settings, config, sink,  # type: ignore[no-untyped-def]
                                                         deployment: Deployment) -> None:
    client = app_for(settings, config, sink, deployment)
    requests = genuine(deployment)
    node_sign(requests)
    refused = []
    for request in requests:
        response = send(client, deployment, request)
        if response.status_code != 200:
            refused.append((request.what, request.signed, response.status_code))
        else:
            assert validate_twiml(response.data) == [], request.what
    assert refused == []


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d.name)
def test_forged_requests_get_403_and_log_nothing(settings, config, sink,  # type: ignore[no-untyped-def]
                                                 deployment: Deployment) -> None:
    client = app_for(settings, config, sink, deployment)
    requests = forged(deployment)
    node_sign(requests)
    accepted = [(r.what, send(client, deployment, r).status_code) for r in requests]
    assert [(what, code) for what, code in accepted if code != 403] == []
    assert sink.events == []


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=lambda d: d.name)
def test_the_urls_handed_to_twilio_are_public_and_their_requests_pass(  # type: ignore[no-untyped-def]
        settings, config, sink, deployment: Deployment) -> None:
    """Each action/callback URL in the answer is the public one, and Twilio's request to it
    (signed over exactly that URL) is accepted."""
    client = app_for(settings, config, sink, deployment)
    first = [Request("call", "/voice", PARAMS, (AUTH_TOKEN, deployment.public + "/voice", PARAMS))]
    node_sign(first)
    answer = send(client, deployment, first[0])
    urls = re.findall(r'(?:action|url|statusCallback)="([^"]+)"', answer.text)
    assert urls, answer.text
    follow = []
    for url in (u.replace("&amp;", "&") for u in urls):
        assert url.startswith(deployment.public + "/voice"), url
        follow.append(Request(url, url[len(deployment.public):], PARAMS, (AUTH_TOKEN, url, PARAMS)))
    node_sign(follow)
    codes = [(r.what, send(client, deployment, r).status_code) for r in follow]
    assert [(what, code) for what, code in codes if code != 200] == []


@pytest.mark.parametrize("tokens", [("new-token-1234", AUTH_TOKEN), (AUTH_TOKEN, "new-token-1234")])
def test_two_tokens_during_rotation(settings, config, sink, tokens: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    deployment = DEPLOYMENTS[0]
    client = app_for(settings, config, sink, deployment, tokens)
    url = deployment.public + "/voice"
    requests = [Request(token, "/voice", PARAMS, (token, url, PARAMS))
                for token in (*tokens, OTHER_TOKEN)]
    node_sign(requests)
    codes = [send(client, deployment, r).status_code for r in requests]
    assert codes == [200, 200, 403]


def test_twilios_documented_example_and_validate_request() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    [answer] = run_node("sign.js", {"cases": [
        {"token": "12345", "url": url, "params": params, "signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}]})
    assert answer == {"signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "valid": True}
    assert compute_signature("12345", url, params) == answer["signature"]


def test_the_simulators_signer_matches_twilios() -> None:
    """One Node run checks 60 random tokens, URLs and parameters (non-ASCII included).

    Parameter names stay within the BMP: Python sorts names by code point, JavaScript by UTF-16
    unit, which differ only when a name mixes characters above U+FFFF with U+E000-U+FFFF.
    Twilio's parameter names are ASCII.
    """
    rng = random.Random(20261202)
    bmp = "aZ09 +-_.:/?&=%#~!*'()@$;,\t\n\"<>ßäöü€☎\u202e\ufeff"
    alphabet = bmp + "😀𝄞"

    def text(size: int, chars: str = alphabet) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, size)))

    cases = [{"token": text(32) or "t", "url": f"https://h.example:{rng.randint(1, 65535)}/"
              f"{text(20)}", "params": {text(12, bmp): text(40) for _ in range(rng.randint(0, 6))}}
             for _ in range(60)]
    answers = run_node("sign.js", {"cases": cases})
    ours = [compute_signature(c["token"], c["url"], c["params"]) for c in cases]  # type: ignore[arg-type]
    assert ours == [a["signature"] for a in answers]
