"""Twilio's signature lets characters move from the end of our URL into the first form key;
the state in our URLs (a call's step and chain, an alert page's person) must not move with it.

X-Twilio-Signature signs the URL followed by each parameter's name and value, sorted by name,
with no separators: ``...&s=2&v=x`` + ``AccountSid`` + ``AC...`` reads the same as ``...`` +
``&s=2&v=xAccountSid`` + ``AC...``, and a name starting with ``&`` sorts first. Whoever holds one
signed request can send a shorter query string under the same signature.
"""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from app.alerts.pages import page_key, plan_page
from app.calls import events as ev
from app.calls.ledger import summarise
from app.devtools.simulator import CallerScript, NoAnswer, compute_signature
from app.eventlog.port import MemorySink
from app.settings import NOTIFY_QUEUE
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACME, ALICE, AUTH_TOKEN, CAROL, DANA, ERIN, HOTLINE, SECRET_KEY


def moved(url: str, params: dict[str, str], cut: int) -> tuple[str, dict[str, str]]:
    """The request with ``url[cut:]`` moved into the first form key: same signature."""
    first = min(params)
    forged = {name: value for name, value in params.items() if name != first}
    forged[url[cut:] + first] = params[first]
    return url[:cut], forged


def test_moving_characters_keeps_twilio_s_signature() -> None:
    url = "https://hotline.example/voice/dial-result?c=acme&ch=dana.alice&s=1&v=x"
    params = {"AccountSid": "AC1", "CallSid": "CA1", "DialCallStatus": "no-answer"}
    short, forged = moved(url, params, url.index("&s="))
    assert short.endswith("ch=dana.alice") and "&s=1&v=xAccountSid" in forged
    assert compute_signature(AUTH_TOKEN, short, forged) == compute_signature(AUTH_TOKEN, url, params)


def numbers_dialled(body: str) -> set[str]:
    return set(re.findall(r"<Number[^>]*>([^<]+)</Number>", body))


@pytest.mark.parametrize("at", ["&s=", "&v=", ".erin", ".carol"],
                         ids=["step", "version", "chain-cut-to-two", "chain-cut-to-three"])
def test_a_shortened_dial_result_state_is_no_state(sim, client: FlaskClient, sink: MemorySink,
                                                   at: str) -> None:
    phones = {DANA: NoAnswer(), ALICE: NoAnswer(), ERIN: NoAnswer(), CAROL: NoAnswer()}
    result = sim.place_call(ACME, HOTLINE, CallerScript(record_seconds=0), phones)
    genuine = result.requests_to("/voice/dial-result")[2]  # erin's ring, step 2, went unanswered
    assert "&s=2&" in genuine.url
    signature = compute_signature(AUTH_TOKEN, genuine.url, genuine.params)
    url, forged = moved(genuine.url, genuine.params, genuine.url.index(at))
    assert compute_signature(AUTH_TOKEN, url, forged) == signature
    logged = list(sink.events)
    sink.events.clear()

    parts = urlsplit(url)
    response = client.post(f"{parts.path}?{parts.query}", base_url=f"{parts.scheme}://{parts.netloc}",
                           data=forged, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 200
    # Not step 0's (or any step's) result: the attempt it names is unknown.
    assert [e["data"]["step"] for e in sink.of_type(ev.DIAL_RESULT)] == [None]
    assert sink.of_type(ev.DIAL_STARTED) == []
    # Nobody is skipped and nobody rung again from the start: the safe answer rings the CIO and
    # the named backup at once, then takes a voicemail.
    assert numbers_dialled(response.text) == {CAROL, ERIN}
    assert "/voice/safe-result?" in response.text
    # The call log still tells the call as it was: the result is placed by its leg.
    assert summarise(logged + sink.events).attempts == summarise(logged).attempts


ALERT = SimpleNamespace(id=7, round=0, step=1, channel="call", origin="billing",
                        summary="Disk full", severity="critical")


def queued(redis_url: str) -> list[tuple[str, list[object]]]:
    queue = Queue(NOTIFY_QUEUE, connection=Redis.from_url(redis_url), serializer=JSONSerializer)
    return [(job.func_name, list(job.args)) for job in queue.get_jobs()]


def test_a_shortened_alert_page_is_refused(settings, config, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    app = create_app(replace(settings, redis_url=redis_url), config, MemorySink(),
                     overrides=OverrideCache(None), TESTING=True)
    client = app.test_client()
    ops = SimpleNamespace(id="ops-2", phone=DANA, email=None)
    (page,) = plan_page(ALERT, ops, "http://hotline.test", 30, page_key(SECRET_KEY))
    call_url = page.data["url"]
    params = {"AccountSid": "AC" + "1" * 32, "CallSid": "CA" + "c" * 32, "To": DANA,
              "CallStatus": "in-progress"}
    answered = post_signed(client, call_url, params, compute_signature(AUTH_TOKEN, call_url, params))
    key_url = re.search(r'action="([^"]+)"', answered.text)[1].replace("&amp;", "&")  # type: ignore[index]
    press = {**params, "Digits": "1"}
    signature = compute_signature(AUTH_TOKEN, key_url, press)  # the key press Twilio signed
    # "-" sorts before "AccountSid": p=ops-2 becomes p=ops, someone else.
    url, forged = moved(key_url, press, key_url.index("-2&src="))
    assert compute_signature(AUTH_TOKEN, url, forged) == signature

    response = post_signed(client, url, forged, signature)

    assert url.endswith("&p=ops") and response.status_code == 200
    assert "could not be recorded" in response.text
    assert queued(redis_url) == []


def post_signed(client: FlaskClient, url: str, params: dict[str, str], signature: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(url)
    return client.post(f"{parts.path}?{parts.query}", base_url=f"{parts.scheme}://{parts.netloc}",
                       data=params, headers={"X-Twilio-Signature": signature})


def test_an_engineer_can_accept_a_call_whose_state_is_not_ours(client: FlaskClient,
                                                               sink: MemorySink) -> None:
    url = "http://hotline.test/voice/screen-result?c=acme&ch=dana.alice&s=1&v=x"
    params = {"AccountSid": "AC" + "1" * 32, "CallSid": "CA" + "d" * 32, "Digits": "1",
              "ParentCallSid": "CA" + "e" * 32, "Direction": "outbound-dial", "To": ALICE}
    response = post_signed(client, url, params, compute_signature(AUTH_TOKEN, url, params))

    assert response.status_code == 200 and "Connecting you now." in response.text
    (screened,) = sink.of_type(ev.SCREEN_RESULT)
    assert (screened["data"]["step"], screened["data"]["person"]) == (None, None)
    assert screened["data"]["accepted"] is True
