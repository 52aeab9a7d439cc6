"""On call: the calendar of the coming weeks, overrides made and deleted with a preview of the
chain, the call path seeing them at once, and the contracts page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.schedule import Override, OverrideIndex
from app.storage import get_engine
from app.storage.models import OverrideRow
from app.web.admin.calendar import weeks
from tests.support.admin import csrf_token, post_form
from tests.support.constants import NOW

SWAP = {"rotation": "primary", "person": "bob", "start": "2026-12-02T12:00",
        "end": "2026-12-02T18:00", "note": "dentist"}


def chain_of(html: str, marker: str) -> list[str]:
    """The names of the first chain after ``marker`` in a page."""
    section = html.split(marker, 1)[1].split("</ol>", 1)[0]
    return re.findall(r"<li><strong>([^<]+)</strong>", section)


def test_calendar_weeks_with_handoffs_and_overrides(config: Any) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    grid = weeks(config.rotations["primary"], OverrideIndex(), NOW, tz, 2)
    monday = grid[0][0]
    assert monday.day.isoformat() == "2026-11-30"
    assert [(e.person, e.span) for e in monday.entries] == [("bob", "until 09:00"), ("dana", "from 09:00")]
    assert [d.today for d in grid[0]] == [False, False, True, False, False, False, False]
    assert [(e.person, e.span) for e in grid[0][2].entries] == [("dana", "all day")]
    swap = Override("1", "primary", "erin", datetime(2026, 12, 2, 11, tzinfo=tz),
                    datetime(2026, 12, 2, 15, tzinfo=tz))
    wednesday = weeks(config.rotations["primary"], OverrideIndex([swap]), NOW, tz, 1)[0][2]
    assert [(e.person, e.kind, e.span) for e in wednesday.entries] == [
        ("dana", "rotation", "until 11:00"), ("erin", "override", "11:00–15:00"),
        ("dana", "rotation", "from 15:00")]


def test_the_on_call_page(console: Flask, as_admin: Any) -> None:
    html = as_admin.get("/admin/on-call").get_data(as_text=True)
    assert html.count('<table class="calendar">') == 2  # primary and night
    assert html.count('aria-current="date"') == 2
    assert "Rotation <strong>primary</strong>: Dana" in html
    assert chain_of(html, 'id="chain-now"') == ["Dana", "Alice", "Erin", "Carol"]
    for label in ("Rotation", "Who takes over", "From (Europe/Berlin)", "Until (Europe/Berlin)"):
        assert f">{label}</label>" in html


def test_an_override_is_previewed_saved_and_used_at_once(console: Flask, as_admin: Any,
                                                         admin_db_url: str) -> None:
    preview = post_form(as_admin, "/admin/on-call/overrides", SWAP)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Save this override?" in html
    assert chain_of(html, "rings now") == ["Dana", "Alice", "Erin", "Carol"]
    assert chain_of(html, 'id="chain-after"') == ["Bob", "Alice", "Erin", "Carol"]
    with Session(get_engine(admin_db_url)) as session:
        assert session.scalars(select(OverrideRow)).all() == []  # nothing saved by a preview
    saved = as_admin.post("/admin/on-call/overrides",
                          data={**SWAP, "confirm": "1", "csrf_token": csrf_token(html)})
    assert saved.status_code == 303
    page = as_admin.get("/admin/on-call").get_data(as_text=True)
    assert "Override saved: Bob is on call from Wed 02 Dec 12:00 CET." in page
    assert chain_of(page, 'id="chain-now"') == ["Bob", "Alice", "Erin", "Carol"]
    assert re.search(r'class="who c\d k-override">.*?<span class="name">Bob</span> '
                     r'<span class="span">12:00–18:00', page)
    with Session(get_engine(admin_db_url)) as session:
        row = session.scalars(select(OverrideRow)).one()
        assert (row.person, row.created_by, row.note) == ("bob", "ann", "dentist")
    runtime = console.extensions["hotline"]
    assert runtime.who(console.extensions["hotline"].config.rotations["primary"], NOW) == "bob"


def test_wrong_overrides_are_explained(console: Flask, as_admin: Any) -> None:
    cases = [
        ({**SWAP, "end": "2026-12-02T11:00"}, "The end must come after the start."),
        ({**SWAP, "person": "mallory"}, "Choose who takes over."),
        ({**SWAP, "rotation": "nope"}, "Choose a rotation from the list."),
        ({**SWAP, "start": "soon"}, "Give the start as a date and time."),
        ({**SWAP, "start": "2026-11-01T09:00", "end": "2026-11-02T09:00"}, "would be over already"),
    ]
    for form, message in cases:
        response = post_form(as_admin, "/admin/on-call/overrides", form)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True)


def test_deleting_asks_first_and_shows_the_chain_after(console: Flask, as_admin: Any,
                                                       admin_db_url: str) -> None:
    post_form(as_admin, "/admin/on-call/overrides", {**SWAP, "confirm": "1"})
    with Session(get_engine(admin_db_url)) as session:
        override_id = session.scalars(select(OverrideRow.id)).one()
    confirm = as_admin.get(f"/admin/on-call/overrides/{override_id}/delete")
    html = confirm.get_data(as_text=True)
    assert "Delete this override?" in html
    assert chain_of(html, "rings now") == ["Bob", "Alice", "Erin", "Carol"]
    assert chain_of(html, "Without the override") == ["Dana", "Alice", "Erin", "Carol"]
    done = as_admin.post(f"/admin/on-call/overrides/{override_id}/delete",
                         data={"csrf_token": csrf_token(html)})
    assert done.status_code == 303
    page = as_admin.get("/admin/on-call").get_data(as_text=True)
    assert "Override deleted." in page and "No overrides." in page
    assert chain_of(page, 'id="chain-now"')[0] == "Dana"
    assert console.extensions["hotline"].who(
        console.extensions["hotline"].config.rotations["primary"], NOW) == "dana"
    assert as_admin.get(f"/admin/on-call/overrides/{override_id}/delete").status_code == 404


def test_a_viewer_sees_the_calendar_without_the_forms(as_viewer: Any) -> None:
    html = as_viewer.get("/admin/on-call").get_data(as_text=True)
    assert "Rotation primary: the next weeks" in html
    assert "New override" not in html and 'name="person"' not in html


def test_contracts_and_numbers_without_pins(as_viewer: Any) -> None:
    html = as_viewer.get("/admin/contracts").get_data(as_text=True)
    for text in ("ACME", "Globex", "+49301234567", "+12125550147", "business-hours",
                 "Premium hotline", "+49305550200", "+49305550100"):
        assert text in html
    assert "4711" not in html and "2048" not in html
