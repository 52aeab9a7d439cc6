"""An engineer takes over a colleague's shift, or part of it, and may undo it later.

The takeover is an override at once (the call path's cache is refreshed); a job tells the
colleague and the admins by SMS and e-mail. The engineer is always the one who takes over:
their account names the person, the form never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.feeds.window import parse_bound
from app.notify.takeovers import Takeover, displaced
from app.storage.overrides import add_override
from app.web.admin.auth import current_user, engineers_may_open, signed_in_person
from app.web.admin.oncall import refresh_runtime, stored_overrides
from app.web.admin.shift_news import taken_over
from app.web.admin.web import bp, db, local, now, person_name, runtime, zone

MAX_TAKEOVER = timedelta(days=31)
FIELDS = ("rotation", "start", "end", "note")


@dataclass(frozen=True)
class Asked:
    rotation: str
    start: datetime
    end: datetime


def _person() -> str:
    person = signed_in_person()
    if person is None or person not in runtime().config.people:
        abort(403)  # only an engineer of the configuration takes shifts over
    return person


def _times(form: dict[str, str], errors: list[str]) -> tuple[datetime, datetime] | None:
    try:
        start, end = (parse_bound(form[k], zone()) for k in ("start", "end"))
    except ValueError:
        errors.append("Give the start and the end as a date and time.")
        return None
    start = max(start, now().replace(second=0, microsecond=0))  # the past is past
    if end <= start:
        errors.append("The end must come after the start, and after now.")
    elif end - start > MAX_TAKEOVER:
        errors.append("Take over at most 31 days at once.")
    return (start, end) if not errors else None


def _checked(person: str, form: dict[str, str]) -> tuple[Asked | None, list[str], list[str]]:
    """What is asked, the colleagues it takes the shift from, and what is wrong with it."""
    rotation = runtime().config.rotations.get(form["rotation"])
    errors = [] if rotation else ["Choose a rotation."]
    times = _times(form, errors)
    if rotation is None or times is None:
        return None, [], errors
    asked = Asked(rotation.id, *times)
    probe = Takeover(0, rotation.id, person, asked.start, asked.end, asked.start)
    colleagues = displaced(rotation, probe, stored_overrides())
    if not colleagues:
        errors.append("Nobody else is on call in this rotation then: nothing to take over.")
    return asked, colleagues, errors


def _form() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {k: (source.get(k) or "").strip()[:200] for k in FIELDS}


def _local_input(value: str) -> str:
    """An ISO time from a link, as a datetime-local field shows it; unparseable ones as given."""
    try:
        return f"{parse_bound(value, zone()).astimezone(zone()):%Y-%m-%dT%H:%M}"
    except ValueError:
        return value


@bp.route("/me/takeover", methods=["GET", "POST"])
@engineers_may_open
def takeover() -> BaseResponse | tuple[str, int] | str:
    person, form = _person(), _form()
    if request.method == "GET":
        form.update(start=_local_input(form["start"]), end=_local_input(form["end"]))
    asked, colleagues, errors = _checked(person, form)
    if asked is not None and request.method == "GET":  # a running shift: from now on
        form["start"] = f"{asked.start.astimezone(zone()):%Y-%m-%dT%H:%M}"
    page = {"form": form, "colleagues": colleagues, "asked": asked,
            "rotations": sorted(runtime().config.rotations), "tz_name": zone().key}
    if request.method == "GET" or asked is None or errors:
        status = 400 if request.method == "POST" else 200
        return render_template("admin/takeover.html", errors=errors, **page), status
    user = current_user()
    assert user is not None  # the guard signed them in
    row = add_override(db(), asked.rotation, person, asked.start, asked.end,
                       created_by=user.username, note=form["note"] or None, created_at=now())
    db().commit()
    refresh_runtime()
    taken_over(row)
    flash(f"You are on call for {asked.rotation} from {local(asked.start, '%a %d %b %H:%M')} "
          f"until {local(asked.end, '%a %d %b %H:%M')}, instead of "
          f"{', '.join(person_name(p) for p in colleagues)}; they and the admins are told.")
    return redirect(url_for("admin.my_shifts"), 303)
