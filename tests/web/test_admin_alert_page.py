"""One alert's page: signed in only, its pages with their outcomes, Acknowledge for those who may."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.notify.delivery import CALL, Outgoing
from app.notify.ledger import dropped, record
from app.storage import get_engine
from tests.support.alerting import open_alert
from tests.support.constants import NOW


def test_the_page_needs_a_login_and_comes_back_after_it(console: Flask, admin_db_url: str) -> None:
    alert_id = open_alert(admin_db_url)
    answer = console.test_client().get(f"/admin/alerts/{alert_id}")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/admin/login?next=/admin/alerts/{alert_id}")


def test_the_timeline_shows_each_page_and_its_outcome(console: Flask, as_admin: Any,
                                                      admin_db_url: str) -> None:
    alert_id = open_alert(admin_db_url)
    engine = get_engine(admin_db_url)
    (page_id,) = record(engine, [Outgoing(f"alert:{alert_id}:r0s1", "alert", "alice", CALL,
                                          "+4915155500001", "words")], NOW)
    dropped(engine, page_id, "the alert was acknowledged by erin", NOW)
    html = as_admin.get(f"/admin/alerts/{alert_id}").get_data(as_text=True)
    assert "paged (step 2, round 1)" in html and "Alice" in html
    assert "not sent: the alert was acknowledged by erin" in html
    assert 'name="back" value="alert"' in html and ">Acknowledge<" in html
    assert as_admin.get("/admin/alerts/999").status_code == 404


def test_a_viewer_sees_the_alert_without_the_button(console: Flask, as_viewer: Any,
                                                    admin_db_url: str) -> None:
    alert_id = open_alert(admin_db_url)
    html = as_viewer.get(f"/admin/alerts/{alert_id}").get_data(as_text=True)
    assert "Timeline" in html and "Acknowledge" not in html
