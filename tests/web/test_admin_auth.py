"""Access to the console: every route needs a login, viewers change nothing, CSRF, cookies,
growing waits after failed sign-ins, sign-out and revoked accounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Rule

from app.settings import Settings
from app.storage import get_engine
from app.storage.users import find_user, remove_user
from app.web.admin import secure_cookies
from app.web.admin.throttle import IP_ALLOWANCE, ip_wait, user_wait
from tests.support.admin import PASSWORD, admin_app, csrf_token, sign_in

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
EXEMPT_ENDPOINTS = {"static", "admin.static", "admin.login"}


def exempt(rule: Rule) -> bool:
    """Twilio's webhooks (signed: voice and incoming SMS), the health and readiness checks,
    the metrics (their own bearer token), static files, calendar feeds (tokens) and the alert
    receivers (bearer token; their Twilio webhooks are signed)."""
    path = rule.rule
    return (path.startswith(("/voice", "/sms/")) or path in ("/healthz", "/readyz", "/metrics")
            or path.startswith("/calendar/")
            or path.startswith("/alerts/") or rule.endpoint in EXEMPT_ENDPOINTS)


def requests_of(app: Flask, methods: tuple[str, ...] | None = None) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) for every route and method, with made-up values in the URL."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = {arg: 7 if isinstance(rule._converters[arg], IntegerConverter) else "CA7"
                  for arg in rule.arguments}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                url = adapter.build(rule.endpoint, values, method=method)
                found.append((method, url, rule.endpoint if not exempt(rule) else ""))
    return found


def test_every_route_but_the_public_ones_needs_a_login(console: Flask) -> None:
    client = console.test_client()
    checked = []
    for method, url, endpoint in requests_of(console):
        if not endpoint:
            continue
        response = client.open(url, method=method)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert response.status_code in (302, 303), (method, url, response.status_code)
            assert response.headers["Location"].startswith("/admin/login"), (method, url)
        checked.append(endpoint)
    expected = {"admin.overview", "admin.calls", "admin.calls_csv", "admin.call_page",
                "admin.voicemail", "admin.follow_up", "admin.follow_ups", "admin.on_call_page",
                "admin.create_override", "admin.remove_override", "admin.contracts",
                "admin.logout", "api.calls", "api.call", "api.voicemail"}
    assert expected <= set(checked)


def test_the_exempt_routes_are_only_webhooks_health_static_and_feeds(console: Flask) -> None:
    public = {url.split("/")[1] for _m, url, endpoint in requests_of(console) if not endpoint}
    assert public <= {"voice", "sms", "healthz", "readyz", "metrics", "static", "calendar", "admin",
                      "alerts"}
    admin_public = {e for e in EXEMPT_ENDPOINTS if e.startswith("admin.")}
    assert admin_public == {"admin.static", "admin.login"}


def test_a_viewer_can_change_nothing(console: Flask, as_viewer: Any) -> None:
    token = csrf_token(as_viewer.get("/admin/on-call").get_data(as_text=True))
    refused = 0
    for method, url, endpoint in requests_of(console, UNSAFE):
        # Their own session and password are a viewer's to change (test_admin_sessions.py).
        if not endpoint or endpoint in ("admin.logout", "admin.password") or url.startswith("/api/"):
            continue
        response = as_viewer.open(url, method=method, data={"csrf_token": token, "handled": "1",
                                                            "confirm": "1"})
        assert response.status_code == 403, (method, url, response.status_code)
        refused += 1
    assert refused >= 3
    page = as_viewer.get("/admin/on-call").get_data(as_text=True)
    assert "New override" not in page and "Sign out" in page


def test_the_api_changes_only_incident_messages(console: Flask) -> None:
    """Setting and clearing incident messages is the API's one change (an admin's token:
    tests/web/test_incidents_admin.py); everything else it only reads."""
    unsafe = {(m, u) for m, u, _ in requests_of(console, UNSAFE) if u.startswith("/api/")}
    assert unsafe == {("POST", "/api/incidents"), ("DELETE", "/api/incidents/7")}


def test_every_form_needs_its_csrf_token(console: Flask, as_admin: Any) -> None:
    for method, url, endpoint in requests_of(console, UNSAFE):
        if not endpoint:
            continue
        response = as_admin.open(url, method=method, data={"handled": "1"})
        if url.startswith("/api/"):  # a bearer token or nothing: the session cookie opens no API
            assert response.status_code == 401, (method, url)
            continue
        assert response.status_code == 400, (method, url)
        assert "Form expired" in response.get_data(as_text=True)
    anonymous = console.test_client()
    response = anonymous.post("/admin/login", data={"username": "ann", "password": PASSWORD})
    assert response.status_code == 400


def set_cookie(response: Any, prefix: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(prefix)]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return str(found[0])


def test_sign_in_sets_a_fresh_http_only_lax_session(console: Flask) -> None:
    client = console.test_client()
    before = csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = sign_in(client, "ANN")  # usernames are case-insensitive
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    cookie = set_cookie(response, "hotline_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    device = set_cookie(response, "hotline_device=")
    assert "HttpOnly" in device and "SameSite=Strict" in device and "Max-Age=31536000" in device
    page = client.get("/admin/").get_data(as_text=True)
    assert "ann · admin" in page
    assert csrf_token(page) != before


def test_cookies_are_secure_unless_the_local_demo(settings: Settings, config: Any, admin_db_url: str) -> None:
    assert secure_cookies({}, settings) is True
    assert secure_cookies({}, replace(settings, demo_token=True)) is False
    assert secure_cookies({"SESSION_COOKIE_SECURE": "0"}, settings) is False
    assert secure_cookies({"SESSION_COOKIE_SECURE": "true"}, replace(settings, demo_token=True))
    with pytest.raises(ValueError, match="SESSION_COOKIE_SECURE"):
        secure_cookies({"SESSION_COOKIE_SECURE": "maybe"}, settings)
    app = admin_app(settings, config, admin_db_url, ADMIN_COOKIE_SECURE=None)
    client = app.test_client()
    response = sign_in(client, "ann")
    cookie = set_cookie(response, "__Host-hotline=")
    assert "; Secure" in cookie and "Path=/" in cookie
    device = set_cookie(response, "__Host-hotline-device=")
    assert "; Secure" in device and "Path=/" in device


def test_passwords_are_stored_as_argon2id(admin_db_url: str) -> None:
    with Session(get_engine(admin_db_url)) as session:
        user = find_user(session, "ann")
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def client_from(app: Flask, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_waits_grow_after_each_failure_per_user(console: Flask, clock: list[datetime]) -> None:
    client = console.test_client()
    waits: list[int] = []
    for _attempt in range(5):
        clock[0] += timedelta(seconds=waits[-1] if waits else 0)
        assert sign_in(client, "ann", "wrong password!").status_code == 401
        refused = sign_in(client, "ann")  # even the right password must wait
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
    assert waits == [1, 2, 4, 8, 16]
    elsewhere = client_from(console, "192.0.2.9")
    assert sign_in(elsewhere, "ann").status_code == 303  # not an address that has not failed
    clock[0] += timedelta(seconds=15)
    assert sign_in(client, "ann").status_code == 429
    clock[0] += timedelta(seconds=1)
    assert sign_in(client, "ann").status_code == 303
    clock[0] += timedelta(seconds=1)
    assert sign_in(console.test_client(), "ann", "wrong password!").status_code == 401
    assert "Too many" in sign_in(console.test_client(), "ann").get_data(as_text=True)


def test_one_address_guessing_many_names_waits_too(console: Flask, clock: list[datetime]) -> None:
    client = client_from(console, "198.51.100.7")
    for i in range(IP_ALLOWANCE):
        response = sign_in(client, f"guess{i}", "wrong password!")
        assert response.status_code == 401, i
        assert "Wrong username or password." in response.get_data(as_text=True)
    assert sign_in(client, "victor").status_code == 429
    other = client_from(console, "198.51.100.8")
    assert sign_in(other, "victor").status_code == 303
    clock[0] += timedelta(seconds=ip_wait(IP_ALLOWANCE))
    assert sign_in(client, "victor").status_code == 303


def test_wait_rules() -> None:
    assert [user_wait(n) for n in range(6)] == [0, 1, 2, 4, 8, 16]
    assert user_wait(40) == 15 * 60
    assert ip_wait(IP_ALLOWANCE - 1) == 0 and ip_wait(IP_ALLOWANCE) == 1


def test_sign_out_ends_the_session(as_admin: Any) -> None:
    token = csrf_token(as_admin.get("/admin/").get_data(as_text=True))
    response = as_admin.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/login"
    assert as_admin.get("/admin/calls").headers["Location"] == "/admin/login?next=/admin/calls"


def test_a_viewer_may_sign_out(as_viewer: Any) -> None:
    token = csrf_token(as_viewer.get("/admin/").get_data(as_text=True))
    assert as_viewer.post("/admin/logout", data={"csrf_token": token}).status_code == 303


def test_removing_an_account_ends_its_sessions(as_admin: Any, admin_db_url: str) -> None:
    assert as_admin.get("/admin/").status_code == 200
    with Session(get_engine(admin_db_url)) as session:
        assert remove_user(session, "ann")
        session.commit()
    assert as_admin.get("/admin/").status_code == 303


def test_after_sign_in_only_local_pages(console: Flask) -> None:
    client = console.test_client()
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    for target, landing in [("/admin/calls?outcome=missed", "/admin/calls?outcome=missed"),
                            ("https://evil.example/admin/", "/admin/"),
                            ("//evil.example/admin/", "/admin/"), ("/voice", "/admin/")]:
        response = client.post("/admin/login", data={"username": "ann", "password": PASSWORD,
                                                     "csrf_token": token, "next": target})
        assert response.headers["Location"] == landing, target
        client.post("/admin/logout", data={"csrf_token": csrf_token(
            client.get("/admin/").get_data(as_text=True))})
        token = csrf_token(client.get("/admin/login").get_data(as_text=True))


def test_pages_forbid_framing_and_outside_resources(as_admin: Any) -> None:
    response = as_admin.get("/admin/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN, no outside fonts
