"""Call pages: the filtered list, its CSV export, one call's story, and the follow-up queue."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response as BaseResponse

from app.config import HotlineConfig
from app.storage.accounts import FollowUp
from app.storage.models import Call, EventRecord
from app.storage.queries import call_with_attempts
from app.web.admin.auth import current_user
from app.web.admin.filters import (
    MISSED_OUTCOMES,
    OUTCOMES,
    CallFilter,
    calls_query,
    page_of_calls,
    parse_filter,
)
from app.web.admin.timeline import PHASE_NAMES, build_timeline, in_flow_order, tick_label
from app.web.admin.web import bp, db, engine, local, now, person_name, runtime, zone

CSV_COLUMNS = ("started_local", "started_utc", "call_sid", "caller", "hotline_number", "line",
               "contract", "outcome", "answered_by", "time_to_answer_seconds", "attempts",
               "people_rung", "ended_utc", "identified_by")
FOLLOW_UP_LIMIT = 200
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d ]*$")


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


@bp.get("/calls.csv")
def calls_csv() -> Response:
    f, _errors = current_filter()
    rows = _csv_rows(engine(), f, runtime().config, zone())
    stamp = local(now(), "%Y%m%d-%H%M")
    return Response(rows, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="hotline-calls-{stamp}.csv"'})


def _csv_rows(db_engine: Engine, f: CallFilter, config: HotlineConfig,
              tz: ZoneInfo) -> Iterator[str]:
    """The CSV, a row at a time, read in batches: an export of a year stays small in memory.

    It runs after the view returned, outside the request: it gets all it needs as arguments.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    stmt = calls_query(f).options(selectinload(Call.attempts)).execution_options(yield_per=500)
    with Session(db_engine) as session:
        for call in session.scalars(stmt):
            writer.writerow([_cell(v) for v in _csv_values(call, config, tz)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_values(call: Call, config: HotlineConfig, tz: ZoneInfo) -> list[Any]:
    names = {p.id: p.name for p in config.people.values()}
    people = [names.get(a.person or "", a.person or "?") for a in call.attempts]
    started = call.started_at
    return [
        started.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if started else "",
        started.isoformat() if started else "", call.call_sid, call.caller,
        call.hotline_number, config.line_for(call.hotline_number).name if call.hotline_number
        else "", call.contract_name or call.contract,
        call.outcome or "in-progress", names.get(call.answered_by or "", call.answered_by),
        call.time_to_answer_seconds, len(call.attempts), " > ".join(people),
        call.ended_at.isoformat() if call.ended_at else "", call.identified_by,
    ]


def _cell(value: Any) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas; phone numbers stay as they are."""
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) and not _NUMBER.match(text) else text


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
    if request.form.get("back") == "follow-ups":
        return redirect(url_for("admin.follow_ups"), 303)
    return redirect(url_for("admin.call_page", call_sid=call_sid), 303)


def waiting_query() -> Any:
    handled = select(FollowUp.call_sid)
    return select(Call).where(Call.outcome.in_(MISSED_OUTCOMES), Call.call_sid.not_in(handled))


def waiting_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(waiting_query().subquery())) or 0)


@bp.context_processor
def _inject_counts() -> dict[str, Any]:
    return {"waiting_count": lambda: waiting_count(db())}


@bp.get("/follow-ups")
def follow_ups() -> str:
    waiting = db().scalars(waiting_query().options(selectinload(Call.voicemails))
                           .order_by(Call.started_at.desc()).limit(FOLLOW_UP_LIMIT))
    done = db().execute(select(Call, FollowUp).join(FollowUp, FollowUp.call_sid == Call.call_sid)
                        .order_by(FollowUp.handled_at.desc()).limit(20))
    return render_template("admin/follow_ups.html", waiting=list(waiting), done=list(done),
                           line_name=line_name)
