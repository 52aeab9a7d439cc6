"""Incident messages set from the console, the API and the CLI; the page counts who heard them."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from flask import Flask

from app.cli import main
from app.devtools.simulator import Answer, CallerScript, FlaskClientTransport, Simulator
from app.storage import get_engine, store_events
from app.storage.incidents import IncidentCache
from tests.support.admin import csrf_token
from tests.support.api import token_for
from tests.support.constants import ACCOUNT_SID, ACME, AUTH_TOKEN, DANA, HOTLINE, NOW, TEST_CONFIG

MESSAGE = "The EU cluster is down since 3 am. We are working on it."


def incidents_of(app: Flask) -> IncidentCache:
    return app.extensions["hotline_incidents"]  # type: ignore[no-any-return]


def post_form(client: Any, url: str, **form: str) -> Any:
    token = csrf_token(client.get("/admin/incidents").get_data(as_text=True))
    return client.post(url, data={**form, "csrf_token": token})


def test_an_admin_sets_one_callers_hear_it_and_the_page_counts_them(  # type: ignore[no-untyped-def]
        console, as_admin, admin_db_url) -> None:
    posted = post_form(as_admin, "/admin/incidents", message=MESSAGE, contracts="acme",
                       press_through="true", **{"for": "1h"})
    assert posted.status_code == 303
    (incident,) = incidents_of(console).incidents  # this process knows at once
    assert (incident.message, incident.contracts) == (MESSAGE, ("acme",))

    sink = console.extensions["hotline"].sink
    sim = Simulator(FlaskClientTransport(console.test_client()), AUTH_TOKEN,
                    voice_url="http://hotline.test/voice",
                    status_callback_url="http://hotline.test/voice/status",
                    account_sid=ACCOUNT_SID, clock_start=NOW)
    pressed = sim.place_call(ACME, HOTLINE, CallerScript(digits=["1"]), {DANA: Answer(press="1")})
    silent = sim.place_call(ACME, HOTLINE, CallerScript(digits=[None], record_key="#"))
    assert MESSAGE in pressed.caller_heard and MESSAGE in silent.caller_heard
    store_events(get_engine(admin_db_url), sink.events)
    page = as_admin.get("/admin/incidents").get_data(as_text=True)
    assert '<td class="num">2</td>\n    <td class="num">1</td>' in page  # heard 2, pressed 1

    cleared = post_form(as_admin, f"/admin/incidents/{incident.id}/clear")
    assert cleared.status_code == 303 and incidents_of(console).incidents == ()


def test_a_message_too_long_or_for_an_unknown_contract_is_not_set(console, as_admin) -> None:  # type: ignore[no-untyped-def]
    post_form(as_admin, "/admin/incidents", message=" ".join(["word"] * 30), **{"for": "1h"})
    post_form(as_admin, "/admin/incidents", message=MESSAGE, contracts="ghost", **{"for": "1h"})
    page = as_admin.get("/admin/incidents").get_data(as_text=True)
    assert "No incident messages yet." in page and "no contract &#39;ghost&#39;" in page
    assert incidents_of(console).incidents == ()


def test_a_viewer_reads_the_page_but_sets_nothing(console, as_viewer) -> None:  # type: ignore[no-untyped-def]
    assert as_viewer.get("/admin/incidents").status_code == 200
    assert post_form(as_viewer, "/admin/incidents", message=MESSAGE).status_code == 403


def test_the_api_sets_lists_and_clears(console, admin_db_url) -> None:  # type: ignore[no-untyped-def]
    client = console.test_client()
    admin = {"Authorization": f"Bearer {token_for(admin_db_url, 'ann')}"}
    viewer = {"Authorization": f"Bearer {token_for(admin_db_url, 'victor')}"}
    body = {"message": MESSAGE, "for": "2h", "lines": ["premium"], "press_through": False}
    assert client.post("/api/incidents", json=body, headers=viewer).status_code == 403
    assert client.post("/api/incidents", data="[", headers=admin).status_code == 400
    assert client.post("/api/incidents", json={**body, "for": "9y"}, headers=admin).status_code == 400
    created = client.post("/api/incidents", json=body, headers=admin)
    assert created.status_code == 201
    found = created.get_json()
    assert (found["lines"], found["press_through"], found["created_by"]) == (
        ["premium"], False, "api:ann")
    listed = client.get("/api/incidents", headers=viewer).get_json()["incidents"]
    assert [(i["id"], i["heard"], i["pressed"]) for i in listed] == [(found["id"], 0, 0)]
    assert client.delete(f"/api/incidents/{found['id']}", headers=admin).status_code == 200
    assert client.delete(f"/api/incidents/{found['id']}", headers=admin).status_code == 404
    assert incidents_of(console).incidents == ()


def test_the_cli_sets_lists_and_clears(admin_db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", admin_db_url)
    runner = CliRunner()
    config = ["--config", str(TEST_CONFIG)]
    made = runner.invoke(main, ["incident", "set", MESSAGE, "--for", "90m", "--contract", "acme",
                                "--chain", *config])
    assert made.exit_code == 0, made.output
    assert made.output.startswith("incident 1: said until ")
    listed = runner.invoke(main, ["incident", "list", *config])
    assert "\tacme\theard 0, pressed 1: 0\t" + MESSAGE in listed.output
    bad = runner.invoke(main, ["incident", "set", MESSAGE, "--contract", "ghost", *config])
    assert bad.exit_code != 0 and "no contract 'ghost'" in bad.output
    assert runner.invoke(main, ["incident", "clear", "1"]).exit_code == 0
    assert runner.invoke(main, ["incident", "clear", "1"]).exit_code != 0
    assert "\tcleared\t" in runner.invoke(main, ["incident", "list", *config]).output
    cache = IncidentCache(get_engine(admin_db_url))
    assert cache.refresh() and cache.incidents == ()
