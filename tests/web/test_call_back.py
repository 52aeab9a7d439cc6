"""Calling back through the console: the page the SMS links to, its button, both legs.

The button records a call in the notification ledger; the worker places it through the local
fake of Twilio's REST API; the simulator plays the engineer's leg (press 1) and the customer's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.calls.dialback_legs import CallbackState
from app.devtools.simulator import Answer, CallerScript, FlaskClientTransport, NoAnswer, Simulator
from app.eventlog.port import MemorySink
from app.services import provide
from app.storage import get_engine
from app.storage.models import Call
from app.storage.overrides import OverrideCache
from app.storage.store import store_events
from app.web import create_app
from tests.support.admin import add_engineer, csrf_token, sign_in
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, DANA, HOTLINE, NOW
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.notify import BASE_URL, services, work

CHAIN = ("dana", "alice", "erin", "carol")


@pytest.fixture
def console(settings, config, admin_db_url, redis_url):  # type: ignore[no-untyped-def]
    sink = MemorySink()
    app = create_app(replace(settings, database_url=admin_db_url, redis_url=redis_url,
                             public_base_url=BASE_URL), config, sink, clock=lambda: NOW,
                     overrides=OverrideCache(None), TESTING=True, ADMIN_COOKIE_SECURE=False)
    for n, person in enumerate(CHAIN):  # everyone on another call
        app.extensions["hotline"].guard.engaged(person, f"CA{n:032d}")
    return app, sink


def simulator(client: Any, voice_url: str, status_url: str) -> Simulator:
    return Simulator(FlaskClientTransport(client), AUTH_TOKEN, voice_url=voice_url,
                     status_callback_url=status_url, account_sid=ACCOUNT_SID, clock_start=NOW,
                     seed=5)


def asked_for_a_callback(app: Any, sink: MemorySink, db_url: str) -> str:
    client = app.test_client()
    result = simulator(client, f"{BASE_URL}/voice", f"{BASE_URL}/voice/status").place_call(
        ACME, HOTLINE, CallerScript(digits=["2", "1#"]))
    assert result.errors == []
    store_events(get_engine(db_url), sink.events)
    return result.call_sid


def outcome(db_url: str, call_sid: str) -> str | None:
    with Session(get_engine(db_url)) as session:
        call = session.get(Call, call_sid)
        return call.outcome if call else None


def test_call_back_rings_the_engineer_then_the_customer_from_the_hotline_number(  # type: ignore[no-untyped-def]
        console, config, admin_db_url, redis_url) -> None:
    app, sink = console
    sid = asked_for_a_callback(app, sink, admin_db_url)
    assert outcome(admin_db_url, sid) == ev.OUTCOME_CALLBACK
    client = app.test_client()
    sign_in(client, "ann")
    page = client.get(f"/admin/calls/{sid}/call-back").get_data(as_text=True)
    assert ACME in page and "ACME" in page, "the number and the contract before anything is dialled"
    assert sid in client.get("/admin/follow-ups").get_data(as_text=True)

    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api, \
            provide(services(config, admin_db_url, redis_url, api.url, clock=lambda: NOW)):
        posted = client.post(f"/admin/calls/{sid}/call-back",
                             data={"person": "dana", "csrf_token": csrf_token(page)})
        assert posted.status_code == 303
        work(redis_url)
        (call,) = api.calls
    assert (call["to"], call["from"]) == (DANA, HOTLINE)

    leg = simulator(client, call["url"], call["status_callback"]).place_call(
        HOTLINE, DANA, CallerScript(digits=["1"]), {ACME: Answer(talk_seconds=120)})
    assert leg.errors == []
    assert leg.caller_heard[0].startswith("Callback to ACME on 4 9 3 0 1 2 3 4 5 6 7.")
    assert leg.dialed == [ACME] and leg.connected_to == ACME
    assert leg.heard_by[ACME] == ["Hello, this is the Test hotline calling you back."]
    assert f'callerId="{HOTLINE}"' in leg.requests[1].body, "the customer sees the hotline"
    store_events(get_engine(admin_db_url), sink.events)
    assert outcome(admin_db_url, sid) == ev.OUTCOME_CALLED_BACK
    results = [e["data"] for e in sink.of_type(ev.CALLBACK_RESULT)]
    assert [(r["person"], r["outcome"], r["talk_seconds"]) for r in results] == [
        ("dana", "connected", 120)]
    assert sid not in client.get("/admin/follow-ups").get_data(as_text=True)
    attempts = client.get(f"/admin/calls/{sid}/call-back").get_data(as_text=True)
    assert "customer: connected" in attempts


def test_the_engineer_may_decline_and_an_unanswered_leg_is_logged(console, admin_db_url) -> None:  # type: ignore[no-untyped-def]
    app, sink = console
    sid = asked_for_a_callback(app, sink, admin_db_url)
    key = app.extensions["hotline"].state_key
    state = CallbackState(sid, ACME, "acme", "dana", "", "a1b2")
    query = "&".join(f"{k}={v}" for k, v in state.to_query(key).items()).replace("+", "%2B")
    client = app.test_client()
    sim = simulator(client, f"{BASE_URL}/voice/callback/answered?{query}",
                    f"{BASE_URL}/voice/callback/status?{query}")
    declined = sim.place_call(HOTLINE, DANA, CallerScript(digits=["2"]))
    assert declined.errors == [] and declined.dialed == []
    sim.unanswered_call(HOTLINE, DANA, "no-answer")
    legs = [(e["data"]["leg"], e["data"]["status"]) for e in sink.of_type(ev.CALLBACK_LEG)]
    assert ("engineer", "declined") in legs and ("engineer", "no-answer") in legs
    assert sink.of_type(ev.CALLBACK_RESULT) == []


def test_an_engineer_calls_back_only_calls_of_their_chain(console, admin_db_url) -> None:  # type: ignore[no-untyped-def]
    app, sink = console
    sid = asked_for_a_callback(app, sink, admin_db_url)
    add_engineer(admin_db_url, "dana", "dana")
    add_engineer(admin_db_url, "bob", "bob")
    dana, bob = app.test_client(), app.test_client()
    sign_in(dana, "dana")
    sign_in(bob, "bob")
    assert dana.get(f"/admin/calls/{sid}/call-back").status_code == 200
    assert bob.get(f"/admin/calls/{sid}/call-back").status_code == 403
    page = bob.get("/admin/login", follow_redirects=True).get_data(as_text=True)
    assert bob.post(f"/admin/calls/{sid}/call-back",
                    data={"person": "bob", "csrf_token": csrf_token(page)}).status_code == 403


@pytest.mark.parametrize("tamper", ["n", "o", "m"])
def test_a_callback_state_that_is_not_ours_dials_nothing(console, tamper) -> None:  # type: ignore[no-untyped-def]
    app, sink = console
    key = app.extensions["hotline"].state_key
    values = CallbackState("CA" + "a" * 32, ACME, "acme", "dana", "", "a1b2").to_query(key)
    values[tamper] = "+4990012345678" if tamper == "n" else "X" + values[tamper][1:]
    query = "&".join(f"{k}={v}" for k, v in values.items()).replace("+", "%2B")
    sim = simulator(app.test_client(), f"{BASE_URL}/voice/callback/answered?{query}",
                    f"{BASE_URL}/voice/callback/status?{query}")
    result = sim.place_call(HOTLINE, DANA, CallerScript(digits=["1"]), {ACME: NoAnswer()})
    assert result.errors == [] and result.dialed == []
    assert sink.events == []
