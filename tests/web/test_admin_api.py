"""The JSON API for ticketing tools: bearer tokens, the call list with filters and pages, one
call with its attempts, voicemails and events."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage import get_engine
from app.storage.accounts import ApiToken
from app.storage.users import remove_user, revoke_tokens
from tests.support.admin import sign_in
from tests.support.api import get, token_for
from tests.support.recording_host import RecordingHost


def test_tokens_are_required_and_checked(seeded: Flask, admin_db_url: str) -> None:
    for token in (None, "hl_not-a-token", "Basic dXNlcjpwYXNz"):
        response = get(seeded, "/api/calls", token)
        assert response.status_code == 401 and response.json["error"] == "unauthorized"
    session_only = seeded.test_client()
    sign_in(session_only, "ann")
    assert session_only.get("/api/calls").status_code == 401  # cookies do not open the API
    token = token_for(admin_db_url)
    assert get(seeded, "/api/calls", token).status_code == 200
    with Session(get_engine(admin_db_url)) as session:
        stored = session.scalars(select(ApiToken.token_hash)).one()
        assert token not in stored and len(stored) == 64
        assert revoke_tokens(session, "victor") == 1
        session.commit()
    assert get(seeded, "/api/calls", token).status_code == 401


def test_a_removed_users_tokens_stop_working(seeded: Flask, admin_db_url: str) -> None:
    token = token_for(admin_db_url)
    with Session(get_engine(admin_db_url)) as session:
        remove_user(session, "victor")
        session.commit()
    assert get(seeded, "/api/calls", token).status_code == 401


def test_calls_with_filters_and_pages(seeded: Flask, admin_db_url: str) -> None:
    token = token_for(admin_db_url)
    everything = get(seeded, "/api/calls", token).json
    assert everything["total"] == 7 and everything["next"] is None
    first = get(seeded, "/api/calls?per_page=3", token).json
    assert len(first["calls"]) == 3 and first["pages"] == 3
    assert first["next"] == "http://localhost/api/calls?page=2&per_page=3"
    second = get(seeded, first["next"], token).json
    listed = [c["call_sid"] for c in first["calls"] + second["calls"]]
    assert listed == [c["call_sid"] for c in everything["calls"]][:6]
    missed = get(seeded, "/api/calls?outcome=missed", token).json["calls"]
    assert sorted(c["outcome"] for c in missed) == ["abandoned", "voicemail"]
    dana = get(seeded, "/api/calls?engineer=dana&outcome=connected&contract=acme", token).json
    assert dana["total"] == 3  # rung, whether they or a backup answered
    assert all("dana" in [a["person"] for a in c["attempts"]] for c in dana["calls"])
    assert {c["contract"] for c in dana["calls"]} == {"acme"}
    call = everything["calls"][0]
    assert call["url"] == f"http://localhost/admin/calls/{call['call_sid']}"
    assert [a["person"] for a in call["attempts"]] == ["dana", "erin"]
    assert [a["pass"] for a in call["attempts"]] == [1, 1]
    assert get(seeded, "/api/calls?from=not-a-date", token).status_code == 400


def test_one_call_with_attempts_voicemail_and_events(seeded: Flask, admin_db_url: str) -> None:
    token = token_for(admin_db_url)
    sid = get(seeded, "/api/calls?outcome=voicemail", token).json["calls"][0]["call_sid"]
    call = get(seeded, f"/api/calls/{sid}", token).json
    assert call["outcome"] == "voicemail" and len(call["attempts"]) == 4
    assert {"call.started", "dial.started", "voicemail.recorded", "call.ended"} <= {
        e["type"] for e in call["events"]}
    assert "api.twilio.com" not in str(call)  # recordings only through our own URL
    voicemail = call["voicemails"][0]
    assert voicemail["duration"] == 12
    assert voicemail["audio_url"] == (
        f"http://localhost/api/calls/{sid}/voicemails/{voicemail['recording_sid']}")
    with RecordingHost() as twilio:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        audio = get(seeded, voicemail["audio_url"], token)
        assert audio.status_code == 200 and audio.data == twilio.audio
    missing = get(seeded, "/api/calls/CA0000", token)
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
