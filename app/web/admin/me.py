"""An engineer's own page: their next shifts, their calendar link, the calls that rang them."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.feeds import whole_shifts
from app.feeds.tokens import feed_path, feed_token
from app.schedule import OverrideIndex, Shift
from app.storage.queries import rings_of
from app.web.admin.auth import engineers_may_open, signed_in_person
from app.web.admin.oncall import stored_overrides
from app.web.admin.web import bp, db, now, runtime, zone

AHEAD = timedelta(days=28)  # how far the page lists shifts
OFFER_AHEAD = timedelta(days=14)  # how far it offers colleagues' shifts to take over
MAX_LISTED = 30
ALLOWANCES = "admin.allowances"


def upcoming(person: str, mine: bool, ahead: timedelta) -> list[Shift]:
    """Shifts from now on, overrides applied: the person's own, or everyone else's."""
    moment, index = now(), OverrideIndex(stored_overrides())
    found = [s for rotation in runtime().config.rotations.values()
             for s in whole_shifts(rotation, moment, moment + ahead, index)
             if (s.person == person) == mine and s.end > moment]
    return sorted(found, key=lambda s: (s.start, s.rotation_id))[:MAX_LISTED]


def calendar_link(person: str) -> str:
    settings = runtime().settings
    base = (settings.public_base_url or request.host_url).rstrip("/")
    return f"{base}{feed_path('person', person)}?token={feed_token(settings.secret_key, 'person', person)}"


@bp.get("/me")
@engineers_may_open
def my_shifts() -> BaseResponse | str:
    person = signed_in_person()
    if person is None:
        flash("That page is an engineer's own; an admin or viewer account has none.")
        return redirect(url_for("admin.overview"))
    known = person in runtime().config.people
    return render_template(
        "admin/me.html", person=person, known=known,
        mine=upcoming(person, True, AHEAD) if known else [],
        others=upcoming(person, False, OFFER_AHEAD) if known else [],
        calendar=calendar_link(person) if known else None,
        rings=rings_of(db(), person),
        allowances=ALLOWANCES in current_app.view_functions, tz_name=zone().key)
