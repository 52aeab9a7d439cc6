"""Failed sign-ins slow down the guesser, not the owner: waits per username and client, per
address, and a valve for guesses from many addresses, none of which locks out a browser that
signed in before or an address that has not been failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from app.web.admin.devices import cookie_name
from app.web.admin.throttle import IP_ALLOWANCE, MAX_WAIT, USER_ALLOWANCE, valve_wait
from tests.support.admin import PASSWORD, csrf_token, sign_in

WRONG = "wrong password!"


def client_from(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_out(client: Any) -> None:
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303


def test_a_guess_every_quarter_hour_does_not_lock_the_owner_out(console: Flask,
                                                                clock: list[datetime]) -> None:
    attacker = client_from(console, "203.0.113.66")
    retry = []
    for _quarter in range(3 * USER_ALLOWANCE):
        assert sign_in(attacker, "ann", WRONG).status_code == 401
        refused = sign_in(attacker, "ann")  # the attacker's own client waits, right or wrong
        assert refused.status_code == 429
        retry.append(int(refused.headers["Retry-After"]))
        clock[0] += timedelta(minutes=15)
    assert retry[:4] == [1, 2, 4, 8] and retry[-1] == MAX_WAIT
    assert sign_in(attacker, "ann", WRONG).status_code == 401
    clock[0] += timedelta(minutes=1)
    owner = client_from(console, "192.0.2.10")  # a browser that never signed in before
    assert sign_in(owner, "ann").status_code == 303
    refused = sign_in(attacker, "ann")  # the owner's sign-in forgave the attacker nothing
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == MAX_WAIT - 60


def test_behind_an_unconfigured_proxy_a_known_browser_still_signs_in(
        console: Flask, clock: list[datetime]) -> None:
    owner = console.test_client()  # every client shows the proxy's address, 127.0.0.1
    assert sign_in(owner, "ann").status_code == 303  # earlier: this browser is now known
    assert owner.get_cookie(cookie_name(console)) is not None
    sign_out(owner)
    attacker = console.test_client()
    for i in range(3 * IP_ALLOWANCE):
        clock[0] += timedelta(seconds=MAX_WAIT)  # the attacker waits as long as told to
        name = "ann" if i % 2 else f"guess{i}"
        assert sign_in(attacker, name, WRONG).status_code == 401, i
    assert sign_in(attacker, "victor").status_code == 429  # the address waits...
    assert sign_in(console.test_client(), "ann").status_code == 429
    assert sign_in(owner, "victor").status_code == 429  # the browser is known for ann only
    assert sign_in(owner, "ann").status_code == 303  # ...and ann's own browser does not wait


def test_guesses_from_many_addresses_close_the_valve_for_failing_addresses_only(
        console: Flask, clock: list[datetime]) -> None:
    bots = [client_from(console, f"198.51.100.{i}") for i in range(USER_ALLOWANCE + 2)]
    for bot in bots:
        assert sign_in(bot, "ann", WRONG).status_code == 401
    clock[0] += timedelta(seconds=2)  # every bot's own wait is over, the valve's is not
    refused = sign_in(bots[0], "ann")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == valve_wait(USER_ALLOWANCE + 2) - 2
    newcomer = client_from(console, "198.51.100.200")
    assert sign_in(newcomer, "ann", WRONG).status_code == 401  # one guess per fresh address
    clock[0] += timedelta(seconds=2)
    assert sign_in(newcomer, "ann").status_code == 429
    assert sign_in(client_from(console, "192.0.2.10"), "ann").status_code == 303  # the owner
    assert sign_in(bots[1], "victor").status_code == 303  # the valve is ann's, not the address's


def test_the_known_browser_waits_after_its_own_failures(console: Flask, clock: list[datetime]) -> None:
    owner = console.test_client()
    assert sign_in(owner, "ann").status_code == 303
    sign_out(owner)
    waits = []
    for _attempt in range(3):
        assert sign_in(owner, "ann", WRONG).status_code == 401
        refused = sign_in(owner, "ann")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock[0] += timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4]
    assert sign_in(owner, "ann").status_code == 303
    sign_out(owner)
    assert sign_in(owner, "ann", WRONG).status_code == 401  # the slate is clean again
    assert int(sign_in(owner, "ann").headers["Retry-After"]) == 1


def test_a_forged_or_foreign_device_cookie_counts_for_nothing(console: Flask,
                                                              clock: list[datetime]) -> None:
    attacker = client_from(console, "203.0.113.66")
    for i in range(IP_ALLOWANCE + 3):
        clock[0] += timedelta(seconds=10)
        assert sign_in(attacker, f"guess{i}", WRONG).status_code == 401
    clock[0] += timedelta(seconds=2)  # the address still waits 6 s
    forged = client_from(console, "203.0.113.66")
    forged.set_cookie(cookie_name(console), '{"d":"x","u":["ann"]}')
    assert sign_in(forged, "ann").status_code == 429
    insider = client_from(console, "203.0.113.66")
    insider.set_cookie(cookie_name(console), _known_browser_cookie(console, "victor"))
    assert sign_in(insider, "ann").status_code == 429
    assert sign_in(insider, "victor").status_code == 303


def _known_browser_cookie(app: Flask, username: str) -> str:
    client = client_from(app, "192.0.2.77")
    assert sign_in(client, username).status_code == 303
    cookie = client.get_cookie(cookie_name(app))
    assert cookie is not None
    return str(cookie.value)


def test_a_wrong_current_password_on_the_password_form_counts(as_viewer: Any,
                                                              clock: list[datetime]) -> None:
    form = {"current": WRONG, "new": "a brand new passphrase", "repeat": "a brand new passphrase"}
    token = csrf_token(as_viewer.get("/admin/password").get_data(as_text=True))
    assert as_viewer.post("/admin/password", data={**form, "csrf_token": token}).status_code == 401
    again = as_viewer.post("/admin/password", data={**form, "current": PASSWORD,
                                                    "csrf_token": token})
    assert again.status_code == 429 and again.headers["Retry-After"] == "1"
    clock[0] += timedelta(seconds=1)
    done = as_viewer.post("/admin/password", data={**form, "current": PASSWORD,
                                                   "csrf_token": token})
    assert done.status_code == 303


def test_valve_rule() -> None:
    assert valve_wait(USER_ALLOWANCE - 1) == 0
    assert [valve_wait(USER_ALLOWANCE + n) for n in range(4)] == [1, 2, 4, 8]
    assert valve_wait(USER_ALLOWANCE + 40) == MAX_WAIT
