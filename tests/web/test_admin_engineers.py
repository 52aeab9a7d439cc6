"""The engineer role: their own page, the pages they may not open, taking over a colleague's
shift (the call path rings them at once), and deleting only their own overrides."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls import events as ev
from app.devtools.simulator import Answer, FlaskClientTransport, Simulator
from app.settings import Settings
from app.storage import get_engine
from app.storage.models import OverrideRow
from app.storage.overrides import add_override
from app.storage.users import issue_token
from tests.support.admin import add_engineer, csrf_token, post_form, sign_in
from tests.support.constants import ACCOUNT_SID, ACME, ALICE, AUTH_TOKEN, HOTLINE, NOW
from tests.support.ports import free_port

# NOW is Wed 2 Dec 13:00 in Berlin: Dana holds primary this week, alice the next one.
PART = {"rotation": "primary", "start": "2026-12-02T13:00", "end": "2026-12-02T18:00",
        "note": "Dana at the dentist"}
ADMIN_ONLY = ["/admin/", "/admin/calls", "/admin/calls.csv", "/admin/follow-ups",
              "/admin/alerts", "/admin/contracts", "/admin/calls/CA0123"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No Redis listens here: the console's queue is unreachable (see test_takeover_notify.py
    for the queue that works)."""
    return replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}")


def overrides(admin_db_url: str) -> list[OverrideRow]:
    with Session(get_engine(admin_db_url), expire_on_commit=False) as session:
        return list(session.scalars(select(OverrideRow).order_by(OverrideRow.id)))


def test_signing_in_lands_on_their_own_page(as_engineer: Any) -> None:
    html = as_engineer.get("/admin/me").get_data(as_text=True)
    mine = html.split('id="my-shifts"', 1)[1].split("</ul>", 1)[0]
    assert "Mon 07 Dec 09:00 CET → Mon 14 Dec 09:00 CET" in mine
    assert re.search(r'value="http://localhost/calendar/person/alice\.ics\?token=[\w-]{24}"', html)
    offered = html.split('id="colleague-shifts"', 1)[1].split("</ul>", 1)[0]
    assert "<strong>Dana</strong>, primary" in offered and "<strong>Bob</strong>, night" in offered
    assert "Alice</strong>" not in offered
    assert 'href="/admin/me"' in html and 'href="/admin/calls"' not in html


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_an_engineer_cannot_open_the_other_pages(as_engineer: Any, path: str) -> None:
    response = as_engineer.get(path)
    if path == "/admin/":  # the overview sends them to their own page instead
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/me")
    else:
        assert response.status_code == 403, path
        assert "account opens their own shifts" in response.get_data(as_text=True)


def test_an_engineer_cannot_post_admin_forms(as_engineer: Any) -> None:
    swap = {"rotation": "primary", "person": "alice", "start": "2026-12-02T13:00",
            "end": "2026-12-02T18:00", "confirm": "1"}
    assert post_form(as_engineer, "/admin/on-call/overrides", swap,
                     page="/admin/me").status_code == 403
    assert post_form(as_engineer, "/admin/calls/CA0123/follow-up", {},
                     page="/admin/me").status_code == 403


def test_an_engineer_token_opens_no_api(console: Flask, as_engineer: Any,
                                        admin_db_url: str) -> None:
    with Session(get_engine(admin_db_url)) as session:
        token = issue_token(session, "alice", None, NOW)
        session.commit()
    answer = console.test_client().get("/api/calls", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.get_json()["error"] == "forbidden"


def test_the_takeover_form_is_prefilled_from_now_on(as_engineer: Any) -> None:
    html = as_engineer.get("/admin/me/takeover?rotation=primary&start=2026-11-30T08:00:00%2B00:00"
                           "&end=2026-12-07T08:00:00%2B00:00").get_data(as_text=True)
    assert 'value="2026-12-02T13:00"' in html and 'value="2026-12-07T09:00"' in html
    assert "you are on call for <strong>primary</strong> instead of <strong>Dana</strong>" in html


def test_a_takeover_is_an_override_at_once_and_the_next_call_rings_the_engineer(
        console: Flask, as_engineer: Any, admin_db_url: str) -> None:
    done = post_form(as_engineer, "/admin/me/takeover", PART, page="/admin/me")
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/me")
    (row,) = overrides(admin_db_url)
    assert (row.rotation_id, row.person, row.created_by, row.note) == (
        "primary", "alice", "alice", "Dana at the dentist")
    page = as_engineer.get("/admin/me").get_data(as_text=True)
    assert "instead of Dana; they and the admins are told." in page
    assert "could not be queued: tell your colleague yourself" in page  # said, not hidden
    sink = console.extensions["hotline"].sink
    sim = Simulator(FlaskClientTransport(console.test_client()), AUTH_TOKEN,
                    account_sid=ACCOUNT_SID, voice_url="http://hotline.test/voice",
                    clock_start=NOW)
    result = sim.place_call(ACME, HOTLINE, phones={ALICE: Answer(press="1")})
    assert result.dialed[0] == ALICE and result.connected_to == ALICE
    assert sink.of_type(ev.CHAIN_CHOSEN)[-1]["data"]["chain"][0] == "alice"


@pytest.mark.parametrize(("form", "message"), [
    ({**PART, "rotation": "nope"}, "Choose a rotation."),
    ({**PART, "end": "2026-12-02T12:00"}, "The end must come after the start, and after now."),
    ({**PART, "start": "soon"}, "Give the start and the end as a date and time."),
    ({**PART, "start": "2026-12-07T09:00", "end": "2026-12-08T09:00"}, "nothing to take over"),
    ({**PART, "end": "2027-02-02T18:00"}, "at most 31 days"),
])
def test_wrong_takeovers_are_explained(as_engineer: Any, admin_db_url: str,
                                       form: dict[str, str], message: str) -> None:
    response = post_form(as_engineer, "/admin/me/takeover", form, page="/admin/me")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert overrides(admin_db_url) == []


def test_the_form_cannot_name_someone_else(as_engineer: Any, admin_db_url: str) -> None:
    post_form(as_engineer, "/admin/me/takeover", {**PART, "person": "erin"}, page="/admin/me")
    assert [row.person for row in overrides(admin_db_url)] == ["alice"]


def test_admins_and_viewers_have_no_takeover(as_admin: Any, as_viewer: Any) -> None:
    assert post_form(as_admin, "/admin/me/takeover", PART).status_code == 403
    assert post_form(as_viewer, "/admin/me/takeover", PART).status_code == 403
    assert as_admin.get("/admin/me").status_code == 302


def test_an_engineer_deletes_only_their_own_overrides(
        console: Flask, as_engineer: Any, as_admin: Any, admin_db_url: str) -> None:
    with Session(get_engine(admin_db_url)) as session, session.begin():
        theirs = add_override(session, "primary", "erin", NOW, NOW.replace(hour=20),
                              created_by="ann", created_at=NOW).id
    post_form(as_engineer, "/admin/me/takeover", {**PART, "start": "2026-12-02T21:00",
                                                  "end": "2026-12-02T23:00"}, page="/admin/me")
    own = overrides(admin_db_url)[-1].id
    page = as_engineer.get("/admin/on-call").get_data(as_text=True)
    assert f"/overrides/{own}/delete" in page and f"/overrides/{theirs}/delete" not in page
    assert "by ann, made Wed 02 Dec 13:00 CET" in page
    assert as_engineer.get(f"/admin/on-call/overrides/{theirs}/delete").status_code == 403
    assert post_form(as_engineer, f"/admin/on-call/overrides/{theirs}/delete", {},
                     page="/admin/me").status_code == 403
    assert [row.id for row in overrides(admin_db_url)] == [theirs, own]
    confirm = as_engineer.get(f"/admin/on-call/overrides/{own}/delete").get_data(as_text=True)
    done = as_engineer.post(f"/admin/on-call/overrides/{own}/delete",
                            data={"csrf_token": csrf_token(confirm)})
    assert done.status_code == 303
    assert [row.id for row in overrides(admin_db_url)] == [theirs]
    assert post_form(as_admin, f"/admin/on-call/overrides/{theirs}/delete", {}).status_code == 303
    assert overrides(admin_db_url) == []


def test_a_viewer_cannot_open_the_delete_page(as_admin: Any, as_viewer: Any,
                                              admin_db_url: str) -> None:
    with Session(get_engine(admin_db_url)) as session, session.begin():
        row_id = add_override(session, "primary", "erin", NOW, NOW.replace(hour=20)).id
    assert as_viewer.get(f"/admin/on-call/overrides/{row_id}/delete").status_code == 403
    assert as_admin.get(f"/admin/on-call/overrides/{row_id}/delete").status_code == 200


def test_an_engineer_whose_person_left_the_file(console: Flask, admin_db_url: str) -> None:
    add_engineer(admin_db_url, "zoe", "zoe")
    client = console.test_client()
    assert sign_in(client, "zoe").status_code == 303
    assert "not in the hotline's configuration any more" in client.get("/admin/me").get_data(
        as_text=True)
    assert post_form(client, "/admin/me/takeover", PART, page="/admin/me").status_code == 403

