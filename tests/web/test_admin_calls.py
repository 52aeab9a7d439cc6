"""The call pages over a week of simulated calls: filters, search, pages, CSV, one call's
timeline and events, the voicemail proxy, and the follow-up queue."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calls.ledger import parse_at, summarise
from app.storage import get_engine
from app.storage.models import Call, Voicemail
from app.web.admin.recordings import upstream_url
from app.web.admin.timeline import build_timeline
from tests.support.admin import ACME, GLOBEX, PREMIUM, csrf_token
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN
from tests.support.ledger_events import (
    BUSY_FAILED_CANCELED,
    DECLINED_THEN_CONNECTED,
    VOICEMAIL_BOX_THEN_NOBODY,
)
from tests.support.recording_host import RecordingHost

CALL_LINK = re.compile(r'href="/admin/calls/(CA[0-9a-f]{32})"')


def listed(client: Any, query: str = "") -> list[str]:
    """The CallSids the list shows for a query string, in order."""
    response = client.get(f"/admin/calls?{query}")
    assert response.status_code == 200
    return CALL_LINK.findall(response.get_data(as_text=True))


def sids(admin_db_url: str, **where: Any) -> list[str]:
    with Session(get_engine(admin_db_url)) as session:
        stmt = select(Call.call_sid).order_by(Call.started_at.desc())
        for name, value in where.items():
            stmt = stmt.where(getattr(Call, name) == value)
        return list(session.scalars(stmt))


def test_the_list_shows_every_call_newest_first(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    assert listed(as_admin) == sids(admin_db_url)
    assert len(sids(admin_db_url)) == 7


def test_filters_each_narrow_the_list(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    assert listed(as_admin, "outcome=voicemail") == sids(admin_db_url, outcome="voicemail")
    missed = sids(admin_db_url, outcome="voicemail") + sids(admin_db_url, outcome="abandoned")
    assert listed(as_admin, "outcome=missed") == [s for s in sids(admin_db_url) if s in missed]
    assert listed(as_admin, "contract=globex") == sids(admin_db_url, contract="globex")
    assert len(listed(as_admin, "contract=globex")) == 1
    premium = sids(admin_db_url, hotline_number=PREMIUM)
    assert listed(as_admin, f"number={PREMIUM.replace('+', '%2B')}") == premium
    erin = listed(as_admin, "engineer=erin")  # rung, whether or not they answered
    assert len(erin) == 2 and set(sids(admin_db_url, answered_by="erin")) < set(erin)
    # 2026-11-25 .. 2026-11-27, local days, the last included
    assert len(listed(as_admin, "from=2026-11-25&to=2026-11-27")) == 3
    assert listed(as_admin, "from=2026-11-25&to=2026-11-27&outcome=connected") == sids(admin_db_url)[-2:]


def test_caller_search_finds_a_number_in_any_format(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    acme = sids(admin_db_url, caller=ACME)
    assert listed(as_admin, "caller=030+1234567") == acme
    assert listed(as_admin, "caller=%2B49+30+123+4567") == acme
    assert listed(as_admin, "caller=555+0147") == sids(admin_db_url, caller=GLOBEX)
    assert listed(as_admin, "caller=999999") == []


def test_bad_filters_are_named_and_ignored(seeded: Flask, as_admin: Any) -> None:
    page = as_admin.get("/admin/calls?from=yesterday&outcome=nonsense").get_data(as_text=True)
    assert "Ignored: from:" in page and "unknown outcome" in page
    assert len(CALL_LINK.findall(page)) == 7


def test_pages_of_calls(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    first, second = listed(as_admin, "per_page=4"), listed(as_admin, "per_page=4&page=2")
    assert first + second == sids(admin_db_url)
    page = as_admin.get("/admin/calls?outcome=connected&per_page=2").get_data(as_text=True)
    assert "page 1 of 3" in page and 'href="/admin/calls?outcome=connected&amp;page=2"' in page


def test_csv_export_holds_what_the_filter_shows(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    response = as_admin.get("/admin/calls.csv?outcome=connected")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["call_sid"] for r in rows] == sids(admin_db_url, outcome="connected")
    erin = next(r for r in rows if r["answered_by"] == "Erin")
    assert erin["people_rung"] == "Dana > Erin" and erin["line"] == "Premium hotline"
    assert erin["passes"] == "1"
    assert erin["caller"] == ACME  # a phone number stays a phone number
    assert erin["started_local"].startswith("2026-12-01 14:00")  # Berlin, UTC+1


def test_csv_defuses_spreadsheet_formulas() -> None:
    from app.web.admin.export_lines import cell

    assert cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert cell("+49301234567") == "+49301234567" and cell("+49 30 123") == "+49 30 123"
    assert cell("-5") == "-5" and cell("@sum") == "'@sum" and cell(None) == ""
    assert cell("+") == "'+" and cell("-5.5") == "'-5.5" and cell("=5") == "'=5"


def test_a_call_page_tells_the_story(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    sid = sids(admin_db_url, answered_by="erin")[0]
    html = as_admin.get(f"/admin/calls/{sid}").get_data(as_text=True)
    assert "1. Dana — no answer" in html
    assert "2. Erin — accepted and connected, talked 20 s" in html
    assert html.count('<td data-label="Pass">1</td>') == 2
    bars = re.findall(r'<rect x="[\d.]+%" width="[\d.]+%" y="\d+" height="16" class="f-(\w+)"', html)
    # The simulated screening takes no time on our clock (its requests carry no Timestamp).
    assert [b for b in bars if b != "screen"] == ["ring", "ring", "talk"]
    for event in ("call.started", "dial.started", "leg.status", "screen.result", "call.ended"):
        assert f"<code>{event}</code>" in html


class Row(NamedTuple):
    type: str
    at: datetime
    data: dict[str, Any]


Lanes = list[list[tuple[str, float, float]]]


def lanes_of(events: list[dict[str, Any]]) -> tuple[list[tuple[str, str]], Lanes, float]:
    summary = summarise(events)
    rows = [Row(e["type"], parse_at(e["at"]), e["data"]) for e in events]
    timeline = build_timeline(summary.started_at, summary.ended_at, summary.attempts, rows,
                              [v.duration for v in summary.voicemails], lambda p: p or "?")
    return ([(lane.title, lane.result) for lane in timeline.lanes],
            [[(s.phase, s.start, s.end) for s in lane.segments] for lane in timeline.lanes],
            timeline.total)


def test_timeline_phases_from_the_events() -> None:
    titles, lanes, total = lanes_of(DECLINED_THEN_CONNECTED)
    assert titles == [("1. p0", "declined (pressed 2)"),
                      ("2. p1", "accepted and connected, talked 30 s")]
    # Ringing starts with Twilio's first leg callback (initiated, half a second after the dial).
    assert lanes == [[("ring", 2.5, 7), ("screen", 7, 11)],
                     [("ring", 20.5, 25), ("screen", 25, 28), ("talk", 28, 58)]]
    assert total == 60
    titles, lanes, total = lanes_of(VOICEMAIL_BOX_THEN_NOBODY)
    assert titles[0][1].startswith("picked up without pressing 1") and titles[2] == (
        "Voicemail", "recorded 31 s")
    assert lanes == [[("ring", 2.5, 7), ("screen", 7, 11)], [("ring", 21, 44)],
                     [("voicemail", 45, 76)]]
    titles, lanes, _total = lanes_of(BUSY_FAILED_CANCELED)
    assert [t[1] for t in titles] == ["busy", "call failed", "caller hung up while it rang"]
    assert lanes[2] == [("ring", 6.5, 10.5)]


def test_a_voicemail_plays_through_our_server(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    with Session(get_engine(admin_db_url)) as session:
        recording = session.scalars(select(Voicemail)).one()
    with RecordingHost() as twilio:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        html = as_admin.get(f"/admin/calls/{sid}").get_data(as_text=True)
        src = f"/admin/calls/{sid}/voicemail/{recording.recording_sid}"
        assert f'src="{src}"' in html
        assert "api.twilio.com" not in html and AUTH_TOKEN not in html and ACCOUNT_SID not in html
        audio = as_admin.get(src)
        assert audio.status_code == 200 and audio.mimetype == "audio/x-wav"
        assert audio.data == twilio.audio and audio.data[:4] == b"RIFF"
        part = as_admin.get(src, headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and len(part.data) == 100
        assert part.headers["Content-Range"] == f"bytes 0-99/{len(twilio.audio)}"
        assert twilio.requests[0] == (
            f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording.recording_sid}.wav",
            twilio.expected)
        assert as_admin.get(f"/admin/calls/{sid}/voicemail/RE{'0' * 32}").status_code == 404


def test_credentials_do_not_follow_a_redirect_elsewhere(
    seeded: Flask, as_admin: Any, admin_db_url: str
) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    with Session(get_engine(admin_db_url)) as session:
        recording = session.scalars(select(Voicemail)).one()
    with RecordingHost() as twilio, RecordingHost() as cdn:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        twilio.redirect_to = f"{cdn.url}/elsewhere/media.wav"
        audio = as_admin.get(f"/admin/calls/{sid}/voicemail/{recording.recording_sid}")
        assert audio.status_code == 200 and audio.data == cdn.audio
        assert cdn.requests == [("/elsewhere/media.wav", None)]


def test_the_second_auth_token_is_tried_while_tokens_rotate(seeded: Flask, as_admin: Any,
                                                            admin_db_url: str) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    with Session(get_engine(admin_db_url)) as session:
        recording = session.scalars(select(Voicemail)).one()
    runtime = seeded.extensions["hotline"]
    runtime.settings = replace(runtime.settings, auth_tokens=("the-old-token", AUTH_TOKEN))
    with RecordingHost() as twilio:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        audio = as_admin.get(f"/admin/calls/{sid}/voicemail/{recording.recording_sid}")
        assert audio.status_code == 200 and audio.data == twilio.audio
        assert [auth == twilio.expected for _path, auth in twilio.requests] == [False, True]


def test_wrong_credentials_are_not_passed_on(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    with Session(get_engine(admin_db_url)) as session:
        recording = session.scalars(select(Voicemail)).one()
    with RecordingHost(auth_token="another-token") as twilio:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        response = as_admin.get(f"/admin/calls/{sid}/voicemail/{recording.recording_sid}")
        assert response.status_code == 502 and "WWW-Authenticate" not in response.headers
    seeded.config["RECORDINGS_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    assert as_admin.get(f"/admin/calls/{sid}/voicemail/{recording.recording_sid}").status_code == 502


def test_a_stored_url_elsewhere_is_refused_without_a_request(
    seeded: Flask, as_admin: Any, admin_db_url: str
) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    engine = get_engine(admin_db_url)
    with Session(engine) as session:
        recording = session.scalars(select(Voicemail)).one()
        rec = recording.recording_sid
    account = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
    elsewhere = [
        f"https://api.twilio.com{account}/Calls/{sid}.json",
        f"https://api.twilio.com{account}/Recordings/RE{'0' * 32}.wav",  # another recording
        f"https://api.twilio.com{account}/Recordings/{rec}/../../Calls.json",
        f"https://api.twilio.com{account}/Recordings/{rec}/Transcriptions",
        f"https://api.twilio.com{account}/Recordings/{rec}.json",
        f"https://api.twilio.com{account}/Recordings/{rec}?RequestedAt=1",
        f"https://api.twilio.com:8443{account}/Recordings/{rec}",
        f"https://user@api.twilio.com{account}/Recordings/{rec}",
        f"http://api.twilio.com{account}/Recordings/{rec}",
        f"https://evil.example{account}/Recordings/{rec}",
        f"https://api.twilio.com.evil.example{account}/Recordings/{rec}",
        f"https://api.twilio.com/2010-04-01/Accounts/ACsub/Recordings/{rec}",
    ]
    with RecordingHost() as twilio:
        seeded.config["RECORDINGS_BASE_URL"] = twilio.url
        for stored in elsewhere:
            with Session(engine) as session, session.begin():
                session.get(Voicemail, recording.id).url = stored  # type: ignore[union-attr]
            response = as_admin.get(f"/admin/calls/{sid}/voicemail/{rec}")
            assert response.status_code == 404, stored
        assert twilio.requests == [], "nothing was fetched"


def test_upstream_urls_are_only_the_calls_recording() -> None:
    rec, sub = "RE" + "a" * 32, "AC" + "2" * 32
    twilio = f"https://api.twilio.com/2010-04-01/Accounts/{sub}/Recordings/{rec}"
    assert upstream_url(twilio, rec, "ACmain", "http://h") == \
        f"http://h/2010-04-01/Accounts/{sub}/Recordings/{rec}.wav"
    assert upstream_url(twilio + ".mp3", rec, "ACmain", "http://h/") == \
        f"http://h/2010-04-01/Accounts/{sub}/Recordings/{rec}.mp3"
    assert upstream_url(None, rec, "ACmain", "http://h/") == \
        f"http://h/2010-04-01/Accounts/ACmain/Recordings/{rec}.wav"
    for stored in (f"https://evil.example/{rec}", f"http://api.twilio.com/x/{rec}", twilio + "/x"):
        assert upstream_url(stored, rec, "ACmain", "http://h/") is None
    assert upstream_url(None, "RE../../x", "ACmain", "http://h/") is None


def test_follow_ups_until_someone_handles_them(seeded: Flask, as_admin: Any, admin_db_url: str) -> None:
    missed = sids(admin_db_url, outcome="voicemail") + sids(admin_db_url, outcome="abandoned")
    page = as_admin.get("/admin/follow-ups").get_data(as_text=True)
    assert set(CALL_LINK.findall(page)) == set(missed)
    assert '<span class="badge" aria-label="2 waiting">2</span>' in page
    token = csrf_token(page)
    response = as_admin.post(f"/admin/calls/{missed[0]}/follow-up",
                             data={"csrf_token": token, "handled": "1", "note": "called back",
                                   "back": "follow-ups"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/follow-ups"
    page = as_admin.get("/admin/follow-ups").get_data(as_text=True)
    waiting = page.split("Recently handled")[0]
    assert CALL_LINK.findall(waiting) == [missed[1]]
    assert "ann" in page and "called back" in page
    call_page = as_admin.get(f"/admin/calls/{missed[0]}").get_data(as_text=True)
    assert "Handled by <strong>ann</strong>" in call_page
    as_admin.post(f"/admin/calls/{missed[0]}/follow-up", data={"csrf_token": token, "handled": "0"})
    assert len(CALL_LINK.findall(as_admin.get("/admin/follow-ups").get_data(as_text=True))) == 2


def test_a_viewer_reads_calls_but_handles_nothing(seeded: Flask, as_viewer: Any, admin_db_url: str) -> None:
    sid = sids(admin_db_url, outcome="voicemail")[0]
    page = as_viewer.get(f"/admin/calls/{sid}").get_data(as_text=True)
    assert "Nobody has called this customer back yet." in page and "Mark handled" not in page
    token = csrf_token(page)
    assert as_viewer.post(f"/admin/calls/{sid}/follow-up",
                          data={"csrf_token": token, "handled": "1"}).status_code == 403
