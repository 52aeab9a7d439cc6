"""Console sessions end when they should: on sign-out (also a copied cookie), on removal (and a
new account never inherits one), on a role or password change; passwords change in place."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage import get_engine
from app.storage.models import OverrideRow
from app.storage.users import find_user
from tests.support.admin import PASSWORD, admin_cli, copy_of, csrf_token, sign_in

NEW_PASSWORD = "a brand new passphrase"
SWAP = {"rotation": "primary", "person": "bob", "start": "2026-12-02T12:00",
        "end": "2026-12-02T18:00", "note": "dentist", "confirm": "1"}


def signed_out(client: Any) -> bool:
    response = client.get("/admin/")
    return response.status_code == 303 and response.headers["Location"].startswith("/admin/login")


def add(admin_db_url: str, name: str, role: str, password: str = PASSWORD) -> None:
    code, out = admin_cli(admin_db_url, "add", name, "--role", role, "--password-stdin",
                          stdin=password + "\n")
    assert code == 0, out


def overrides(admin_db_url: str) -> list[OverrideRow]:
    with Session(get_engine(admin_db_url)) as session:
        return list(session.scalars(select(OverrideRow)))


def test_a_removed_accounts_cookie_does_not_come_back_as_the_next_account(
        console: Flask, admin_db_url: str) -> None:
    add(admin_db_url, "vic", "viewer")
    vic = console.test_client()
    assert sign_in(vic, "vic").status_code == 303
    token = csrf_token(vic.get("/admin/on-call").get_data(as_text=True))
    kept = copy_of(console, vic)
    assert admin_cli(admin_db_url, "remove", "vic", "--yes")[0] == 0
    add(admin_db_url, "mallory", "admin")
    with Session(get_engine(admin_db_url)) as session:
        mallory = find_user(session, "mallory")
        assert mallory is not None and mallory.id == 4  # ann 1, victor 2, vic 3: never again
    assert signed_out(kept)
    response = kept.post("/admin/on-call/overrides", data={**SWAP, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/admin/login")
    assert overrides(admin_db_url) == []


def test_sign_out_ends_a_copied_cookie_too(console: Flask) -> None:
    client = console.test_client()
    assert sign_in(client, "ann").status_code == 303
    copied = copy_of(console, client)
    assert not signed_out(copied)
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert signed_out(copied)
    assert signed_out(client)
    assert sign_in(client, "ann").status_code == 303  # signing in again works as before


def test_a_role_change_ends_the_sessions(console: Flask, admin_db_url: str) -> None:
    victor, ann = console.test_client(), console.test_client()
    assert sign_in(victor, "victor").status_code == 303
    assert sign_in(ann, "ann").status_code == 303
    assert admin_cli(admin_db_url, "role", "victor", "--role", "admin") == (
        0, "victor is now admin; their sessions have ended\n")
    assert signed_out(victor) and not signed_out(ann)
    assert sign_in(victor, "victor").status_code == 303
    assert "victor · admin" in victor.get("/admin/").get_data(as_text=True)
    assert admin_cli(admin_db_url, "role", "victor", "--role", "admin")[0] == 0  # no change
    assert not signed_out(victor)
    code, out = admin_cli(admin_db_url, "role", "nobody", "--role", "viewer")
    assert code == 1 and "no user 'nobody'" in out


def test_a_password_change_from_the_command_line(console: Flask, admin_db_url: str,
                                                 clock: list[datetime]) -> None:
    client = console.test_client()
    assert sign_in(client, "ann").status_code == 303
    code, out = admin_cli(admin_db_url, "password", "ann",
                          stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert code == 0 and "password of ann changed; their sessions have ended" in out
    assert NEW_PASSWORD not in out
    assert signed_out(client)
    assert sign_in(console.test_client(), "ann").status_code == 401
    clock[0] += timedelta(seconds=1)  # that failure's wait
    assert sign_in(console.test_client(), "ann", NEW_PASSWORD).status_code == 303
    assert admin_cli(admin_db_url, "password", "ann", "--password-stdin", stdin="short\n")[0] == 1
    code, out = admin_cli(admin_db_url, "password", "nobody", "--password-stdin",
                          stdin=NEW_PASSWORD + "\n")
    assert code == 1 and "no user 'nobody'" in out
    with Session(get_engine(admin_db_url)) as session:
        user = find_user(session, "ann")
        assert user is not None and user.id == 1  # the same account, not a new one


def test_a_removed_accounts_api_token_is_dead(console: Flask, admin_db_url: str) -> None:
    add(admin_db_url, "vic", "viewer")
    code, token = admin_cli(admin_db_url, "token", "vic")
    headers = {"Authorization": f"Bearer {token.strip()}"}
    api = console.test_client()
    assert code == 0 and api.get("/api/calls", headers=headers).status_code == 200
    assert admin_cli(admin_db_url, "remove", "vic", "--yes")[0] == 0
    add(admin_db_url, "mallory", "admin")
    assert api.get("/api/calls", headers=headers).status_code == 401


def change_password(client: Any, current: str, new: str, repeat: str | None = None) -> Any:
    token = csrf_token(client.get("/admin/password").get_data(as_text=True))
    return client.post("/admin/password", data={
        "current": current, "new": new, "repeat": new if repeat is None else repeat,
        "csrf_token": token})


def test_changing_ones_own_password_in_the_console(console: Flask, clock: list[datetime]) -> None:
    here, elsewhere = console.test_client(), console.test_client()
    assert sign_in(here, "victor").status_code == 303
    assert sign_in(elsewhere, "victor").status_code == 303
    page = here.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/password"' in page
    wrong = change_password(here, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 401 and "current password is wrong" in wrong.get_data(as_text=True)
    clock[0] += timedelta(seconds=1)  # that failure's wait
    short = change_password(here, PASSWORD, "short")
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    typo = change_password(here, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert typo.status_code == 400 and "do not match" in typo.get_data(as_text=True)
    assert not signed_out(elsewhere)
    done = change_password(here, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/admin/"
    assert "Your password is changed" in here.get("/admin/").get_data(as_text=True)
    assert not signed_out(here)  # this session goes on, every other one ended
    assert signed_out(elsewhere)
    assert sign_in(console.test_client(), "victor", NEW_PASSWORD).status_code == 303


def test_the_password_form_needs_its_csrf_token(as_viewer: Any) -> None:
    response = as_viewer.post("/admin/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
