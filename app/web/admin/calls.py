"""Call pages: the filtered list, one call's story, and the follow-up queue (the CSV: export.py)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from app.storage.accounts import FollowUp
from app.storage.models import Call, EventRecord
from app.storage.queries import call_with_attempts
from app.storage.waiting import mark_handled, put_back, waiting_calls, waiting_count
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
    user = current_user()
    assert user is not None  # the guard let only signed-in admins through
    if request.form.get("handled") == "1":
        note = (request.form.get("note") or "").strip()[:200] or None
        mark_handled(engine(), call_sid, user.username, now(), note)
        flash("Marked as handled.")
    elif db().get(FollowUp, call_sid) is not None:
        put_back(engine(), call_sid)
        flash("Back in the follow-up queue.")
    if request.form.get("back") == "follow-ups":
        return redirect(url_for("admin.follow_ups"), 303)
    return redirect(url_for("admin.call_page", call_sid=call_sid), 303)


def shown_waiting_count() -> int:
    """The count the navigation and the overview show: the waiting calls' table counted on
    each page, so a change shows in every worker at once (decision 0021)."""
    return waiting_count(db().connection())


@bp.context_processor
def _inject_counts() -> dict[str, Any]:
    return {"waiting_count": shown_waiting_count}


@bp.get("/follow-ups")
def follow_ups() -> str:
    waiting = db().scalars(waiting_calls().options(selectinload(Call.voicemails))
                           .limit(FOLLOW_UP_LIMIT))
    done = db().execute(select(Call, FollowUp).join(FollowUp, FollowUp.call_sid == Call.call_sid)
                        .order_by(FollowUp.handled_at.desc()).limit(20))
    return render_template("admin/follow_ups.html", waiting=list(waiting), done=list(done),
                           line_name=line_name)
