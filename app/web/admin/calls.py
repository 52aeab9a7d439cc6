"""Call pages: the filtered list, one call's story, and the follow-up queue (the CSV: export.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response as BaseResponse

from app.storage.accounts import FollowUp
from app.storage.models import Call, EventRecord
from app.storage.queries import call_with_attempts
from app.web.admin.auth import current_user
from app.web.admin.filters import (
    MISSED_OUTCOMES,
    OUTCOMES,
    CallFilter,
    page_of_calls,
    parse_filter,
)
from app.web.admin.timeline import PHASE_NAMES, build_timeline, in_flow_order, tick_label
from app.web.admin.web import bp, db, engine, now, person_name, runtime, zone

FOLLOW_UP_LIMIT = 200
WAITING_SECONDS = 30.0  # how long a worker shows the same follow-up count (another's change)
_waiting: dict[str, tuple[float, int]] = {}  # database URL -> (when counted, count)
_waiting_lock = threading.Lock()


def current_filter(max_per_page: int = 200) -> tuple[CallFilter, list[str]]:
    config = runtime().config
    return parse_filter(request.args, zone(), config.hotline.default_region, max_per_page)


def filter_choices() -> dict[str, Any]:
    config = runtime().config
    lines = [config.default_line, *config.lines.values()]
    return {
        "contracts": sorted(((c.id, c.name) for c in config.contracts.values()), key=lambda c: c[1]),
        "outcomes": OUTCOMES,
        "engineers": sorted(((p.id, p.name) for p in config.people.values()), key=lambda p: p[1]),
        "numbers": [(n, f"{line.name} ({n})") for line in lines for n in line.numbers],
    }


def line_name(number: str | None) -> str:
    return runtime().config.line_for(number).name if number else "–"


@bp.get("/calls")
def calls() -> str:
    f, errors = current_filter()
    page = page_of_calls(db(), f)
    return render_template("admin/calls.html", f=f, errors=errors, page=page,
                           choices=filter_choices(), line_name=line_name)


@bp.get("/calls/<call_sid>")
def call_page(call_sid: str) -> str:
    call = call_with_attempts(db(), call_sid)
    if call is None:
        abort(404)
    events = in_flow_order(db().scalars(select(EventRecord)
                                        .where(EventRecord.call_sid == call_sid)).all())
    timeline = build_timeline(call.started_at, call.ended_at, call.attempts, events,
                              [v.duration for v in call.voicemails], person_name)
    return render_template("admin/call.html", call=call, events=events, timeline=timeline,
                           phases=PHASE_NAMES, tick_label=tick_label,
                           follow_up=db().get(FollowUp, call_sid), line_name=line_name,
                           needs_follow_up=call.outcome in MISSED_OUTCOMES)


@bp.post("/calls/<call_sid>/follow-up")
def follow_up(call_sid: str) -> BaseResponse:
    if db().get(Call, call_sid) is None:
        abort(404)
    row = db().get(FollowUp, call_sid)
    user = current_user()
    assert user is not None  # the guard let only signed-in admins through
    if request.form.get("handled") == "1":
        if row is None:
            note = (request.form.get("note") or "").strip()[:200] or None
            db().add(FollowUp(call_sid=call_sid, handled_at=now(), handled_by=user.username,
                              note=note))
        flash("Marked as handled.")
    elif row is not None:
        db().delete(row)
        flash("Back in the follow-up queue.")
    db().commit()
    _forget_waiting_count()
    if request.form.get("back") == "follow-ups":
        return redirect(url_for("admin.follow_ups"), 303)
    return redirect(url_for("admin.call_page", call_sid=call_sid), 303)


def waiting_query() -> Any:
    """Missed calls nobody marked handled: the (outcome, started_at) index, a probe each."""
    handled = exists().where(FollowUp.call_sid == Call.call_sid)
    return select(Call).where(Call.outcome.in_(MISSED_OUTCOMES), ~handled)


def waiting_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(waiting_query().subquery())) or 0)


def shown_waiting_count() -> int:
    """The count the navigation and the overview show: counted at most every
    ``WAITING_SECONDS`` per worker, since counting reads every missed call of the log (decision
    0021); a follow-up handled in this worker shows at once."""
    key = str(engine().url)
    with _waiting_lock:
        counted = _waiting.get(key)
    if counted is not None and time.monotonic() - counted[0] < WAITING_SECONDS:
        return counted[1]
    count = waiting_count(db())
    with _waiting_lock:
        _waiting[key] = (time.monotonic(), count)
    return count


def _forget_waiting_count() -> None:
    with _waiting_lock:
        _waiting.pop(str(engine().url), None)


@bp.context_processor
def _inject_counts() -> dict[str, Any]:
    return {"waiting_count": shown_waiting_count}


@bp.get("/follow-ups")
def follow_ups() -> str:
    waiting = db().scalars(waiting_query().options(selectinload(Call.voicemails))
                           .order_by(Call.started_at.desc()).limit(FOLLOW_UP_LIMIT))
    done = db().execute(select(Call, FollowUp).join(FollowUp, FollowUp.call_sid == Call.call_sid)
                        .order_by(FollowUp.handled_at.desc()).limit(20))
    return render_template("admin/follow_ups.html", waiting=list(waiting), done=list(done),
                           line_name=line_name)
