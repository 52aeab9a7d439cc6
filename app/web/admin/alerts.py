"""The alerts page: every alert with its escalation state; acknowledging one stops its calls."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.alerts.pages import escalation_text
from app.alerts.store import acknowledge, get_alert, list_alerts
from app.config.alerts import alerts_of
from app.web.admin.auth import current_user
from app.web.admin.web import bp, db, now, runtime


@bp.get("/alerts")
def alerts() -> str:
    config = runtime().config
    names = {pid: person.name for pid, person in config.people.items()}
    repeats = alerts_of(config).repeats
    rows = [(alert, escalation_text(alert, names, repeats)) for alert in list_alerts(db())]
    return render_template("admin/alerts.html", rows=rows)


@bp.post("/alerts/<int:alert_id>/ack")
def acknowledge_alert(alert_id: int) -> BaseResponse:
    user = current_user()
    assert user is not None  # the blueprint's guard signed them in and checked the role
    session = db()
    if get_alert(session, alert_id) is None:
        abort(404)
    if acknowledge(session, alert_id, user.username, via="admin", now=now()):
        session.commit()
        flash(f"Alert {alert_id} acknowledged: nobody else is called for it.")
    else:
        flash(f"Alert {alert_id} was already acknowledged or resolved.")
    return redirect(url_for("admin.alerts"), 303)
