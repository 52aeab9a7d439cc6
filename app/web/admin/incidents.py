"""The console's incident messages: set one, clear it, and how many callers heard it; the API's.

A change is refreshed into this process's cache at once; every other web process reads it at
its next refresh (``HOTLINE_REFRESH_SECONDS``, as the overrides).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.calls.incident import parse_duration, scope_problem
from app.storage.incidents import (
    IncidentRow,
    clear_incident,
    heard_counts,
    list_incidents,
    set_incident,
)
from app.storage.users import ADMIN
from app.web.admin import api
from app.web.admin.auth import current_user
from app.web.admin.web import bp, db, now, runtime


def _refreshed() -> None:
    current_app.extensions["hotline_incidents"].refresh()


def _create(form: Any, by: str) -> IncidentRow:
    """An incident from a form or JSON body (ValueError says what is wrong)."""
    length = parse_duration(str(form.get("for") or "4h"))
    if length is None:
        raise ValueError("'for' must be minutes, hours or days, e.g. 90m, 4h, 2d (at most 7d)")
    contracts, lines = _ids(form.get("contracts")), _ids(form.get("lines"))
    problem = scope_problem(runtime().config, contracts, lines)
    if problem:
        raise ValueError(problem)
    press = form.get("press_through", True)
    press_through = press not in (False, "false", "0", "no", "chain")
    at = now()
    row = set_incident(db(), str(form.get("message") or ""), at + length, at, by, contracts,
                       lines, press_through)
    db().commit()
    _refreshed()
    return row


def _ids(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())[:50]


def _as_json(row: IncidentRow, counts: dict[int, tuple[int, int]]) -> dict[str, Any]:
    heard, pressed = counts.get(row.id, (0, 0))
    return {"id": row.id, "message": row.message, "contracts": row.contracts,
            "lines": row.lines, "press_through": row.press_through,
            "created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "cleared_at": row.cleared_at.isoformat() if row.cleared_at else None,
            "created_by": row.created_by, "heard": heard, "pressed": pressed}


@bp.get("/incidents")
def incidents() -> str:
    rows = list_incidents(db())
    return render_template("admin/incidents.html", rows=rows, counts=heard_counts(db(), rows),
                           at=now(), config=runtime().config)


@bp.post("/incidents")
def set_incident_page() -> BaseResponse:
    user = current_user()
    assert user is not None  # the guard let only signed-in admins through
    try:
        row = _create(request.form, user.username)
    except ValueError as error:
        flash(f"No incident message set: {error}.")
    else:
        flash(f"Incident {row.id} is said to callers from now on.")
    return redirect(url_for("admin.incidents"), 303)


@bp.post("/incidents/<int:incident_id>/clear")
def clear_incident_page(incident_id: int) -> BaseResponse:
    if clear_incident(db(), now(), incident_id=incident_id):
        db().commit()
        _refreshed()
        flash(f"Incident {incident_id} cleared.")
    return redirect(url_for("admin.incidents"), 303)


@api.bp.get("/incidents")
def api_incidents() -> Response:
    rows = list_incidents(db())
    counts = heard_counts(db(), rows)
    return jsonify(incidents=[_as_json(row, counts) for row in rows])


@api.bp.post("/incidents")
def api_set_incident() -> tuple[Response, int]:
    if g.api_user.role != ADMIN:
        return jsonify(error="forbidden", message="only an admin sets incident messages"), 403
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="bad request", message="send a JSON object"), 400
    try:
        row = _create(body, f"api:{g.api_user.username}")
    except ValueError as error:
        return jsonify(error="bad request", message=str(error)), 400
    return jsonify(_as_json(row, {})), 201


@api.bp.delete("/incidents/<int:incident_id>")
def api_clear_incident(incident_id: int) -> tuple[Response, int]:
    if g.api_user.role != ADMIN:
        return jsonify(error="forbidden", message="only an admin clears incident messages"), 403
    if not clear_incident(db(), now(), incident_id=incident_id):
        return jsonify(error="not found", message=f"no active incident {incident_id}"), 404
    db().commit()
    _refreshed()
    return jsonify(id=incident_id, cleared=True), 200

