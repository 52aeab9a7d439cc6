"""The alerts page: alerts with their escalation state; acknowledging there stops the calls."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from app.alerts.store import get_alert
from app.storage import get_engine
from tests.support.admin import csrf_token
from tests.support.alerting import open_alert


def test_an_admin_acknowledges_an_alert_and_its_escalation_stops(
    console: Flask, as_admin: Any, admin_db_url: str
) -> None:
    alert_id = open_alert(admin_db_url)
    page = as_admin.get("/admin/alerts").get_data(as_text=True)
    assert f"Alert {alert_id}" in page and "paging" in page and "Acknowledge" in page
    response = as_admin.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    with Session(get_engine(admin_db_url)) as session:
        alert = get_alert(session, alert_id)
        assert alert is not None
        assert (alert.status, alert.acknowledged_by, alert.next_step_at) == ("acknowledged", "ann", None)
    after = as_admin.get("/admin/alerts").get_data(as_text=True)
    assert "acknowledged by ann" in after and ">Acknowledge<" not in after


def test_a_viewer_sees_alerts_but_cannot_acknowledge(
    console: Flask, as_viewer: Any, admin_db_url: str
) -> None:
    alert_id = open_alert(admin_db_url)
    page = as_viewer.get("/admin/alerts").get_data(as_text=True)
    assert f"Alert {alert_id}" in page and "Acknowledge" not in page
    refused = as_viewer.post(f"/admin/alerts/{alert_id}/ack", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 403
