"""The JSON API for ticketing tools: calls, attempts and events, behind bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.storage.models import Attempt, Call, EventRecord, Voicemail
from app.storage.queries import call_with_attempts
from app.storage.users import ENGINEER, user_for_token
from app.web.admin.calls import current_filter
from app.web.admin.filters import page_of_calls
from app.web.admin.recordings import recording_response
from app.web.admin.timeline import in_flow_order
from app.web.admin.web import db, now

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def authenticate() -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(db(), token.strip(), now()) if scheme.lower() == "bearer" else None
    if user is None:
        response = jsonify(error="unauthorized",
                           message="send a token from `hotline admin token USER` as "
                                   "'Authorization: Bearer <token>'")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="hotline"'
        return response
    if user.role == ENGINEER:  # the API shows every call: an engineer sees only their own
        response = jsonify(error="forbidden", message="an engineer's account has no API access")
        response.status_code = 403
        return response
    g.api_user = user
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException) -> tuple[Response, int]:
    return jsonify(error=(error.name or "error").lower().replace(" ", "_"),
                   message=error.description), error.code or 500


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def call_json(call: Call) -> dict[str, Any]:
    return {
        "call_sid": call.call_sid, "caller": call.caller, "hotline_number": call.hotline_number,
        "contract": call.contract, "contract_name": call.contract_name,
        "started_at": _when(call.started_at), "ended_at": _when(call.ended_at),
        "outcome": call.outcome, "answered_by": call.answered_by,
        "time_to_answer_seconds": call.time_to_answer_seconds,
        "identified_by": call.identified_by,
        "url": url_for("admin.call_page", call_sid=call.call_sid, _external=True),
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "step": attempt.step, "person": attempt.person, "number": attempt.number,
        "leg_sid": attempt.leg_sid, "status": attempt.status, "accept_key": attempt.accept_key,
        "ring_seconds": attempt.ring_seconds, "talk_seconds": attempt.talk_seconds,
        "started_at": _when(attempt.started_at), "ended_at": _when(attempt.ended_at),
        "pass": attempt.pass_number, "caller_id": attempt.caller_id,
    }


def voicemail_json(call_sid: str, voicemail: Voicemail) -> dict[str, Any]:
    return {
        "recording_sid": voicemail.recording_sid, "duration": voicemail.duration,
        "status": voicemail.status,
        "audio_url": url_for("api.voicemail", call_sid=call_sid,
                             recording_sid=voicemail.recording_sid, _external=True),
    }


@bp.get("/calls")
def calls() -> Response:
    f, errors = current_filter()
    if errors:
        return _bad_request(errors)
    page = page_of_calls(db(), f)
    following = (url_for("api.calls", **f.args(page=page.page + 1, per_page=page.per_page),
                         _external=True) if page.page < page.pages or page.more else None)
    return jsonify(
        calls=[{**call_json(c), "attempts": [attempt_json(a) for a in c.attempts]}
               for c in page.calls],
        page=page.page, per_page=page.per_page, total=page.total, pages=page.pages,
        more=page.more, next=following,
    )


@bp.get("/calls/<call_sid>")
def call(call_sid: str) -> Response | tuple[Response, int]:
    found = call_with_attempts(db(), call_sid)
    if found is None:
        return jsonify(error="not_found", message=f"no call {call_sid}"), 404
    events = in_flow_order(
        db().scalars(select(EventRecord).where(EventRecord.call_sid == call_sid)).all())
    return jsonify(
        **call_json(found),
        attempts=[attempt_json(a) for a in found.attempts],
        voicemails=[voicemail_json(call_sid, v) for v in found.voicemails],
        events=[{"key": e.key, "type": e.type, "at": _when(e.at), "data": _public(e.data)}
                for e in events],
    )


@bp.get("/calls/<call_sid>/voicemails/<recording_sid>")
def voicemail(call_sid: str, recording_sid: str) -> Response:
    return recording_response(call_sid, recording_sid, request.headers.get("Range"))


def _public(data: dict[str, Any]) -> dict[str, Any]:
    """Event data without Twilio's recording URL: recordings are fetched through ``audio_url``."""
    return {k: v for k, v in data.items() if k != "recording_url"}


def _bad_request(errors: list[str]) -> Response:
    response = jsonify(error="bad_request", message="; ".join(errors))
    response.status_code = 400
    return response
