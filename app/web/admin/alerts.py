"""The alerts page: every alert with its escalation state; acknowledging one stops its calls."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.alerts.pages import escalation_text
from app.alerts.people import acknowledger
from app.alerts.stop import hang_up_later
from app.alerts.store import acknowledge, get_alert, list_alerts
from app.eventlog.queueing import REDIS_DOWN
from app.web.admin.auth import current_user, engineers_may_open
from app.web.admin.web import bp, db, now, runtime

log = logging.getLogger(__name__)


@bp.get("/alerts")
def alerts() -> str:
    config = runtime().config
    rows = [(alert, escalation_text(alert, config)) for alert in list_alerts(db())]
    return render_template("admin/alerts.html", rows=rows)


@bp.post("/alerts/<int:alert_id>/ack")
@engineers_may_open  # whoever an alert pages signs in from its SMS and acknowledges it there
def acknowledge_alert(alert_id: int) -> BaseResponse:
    user = current_user()
    assert user is not None  # the blueprint's guard signed them in and checked the role
    session = db()
    if get_alert(session, alert_id) is None:
        abort(404)
    by = acknowledger(runtime().config, user.person_id, user.username)
    if acknowledge(session, alert_id, by, via="admin", now=now()):
        session.commit()
        _hang_up(alert_id)
        flash(f"Alert {alert_id} acknowledged: nobody else is called for it.")
    else:
        flash(f"Alert {alert_id} was already acknowledged or resolved.")
    if request.form.get("back") == "alert":
        return redirect(url_for("admin.alert_page", alert_id=alert_id), 303)
    return redirect(url_for("admin.alerts"), 303)


def _hang_up(alert_id: int) -> None:
    """End its calls still ringing (a worker's job); without Redis they ring out, and whoever
    answers hears that the alert is acknowledged."""
    try:
        hang_up_later(runtime().notify_queue, alert_id)
    except REDIS_DOWN as error:
        log.warning("alert %s: calls still ringing not ended (%s)", alert_id, error)
