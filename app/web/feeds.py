"""The feeds blueprint: a person's or a rotation's shifts as an iCalendar file behind a token."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, request
from icalendar import Calendar

from app.feeds.ical import person_calendar, rotation_calendar
from app.feeds.tokens import FeedKind, token_matches
from app.feeds.window import Overrides, feed_window
from app.web.runtime import Runtime, runtime

bp = Blueprint("feeds", __name__)

Builder = Callable[..., Calendar]


@bp.get("/calendar/person/<ident>.ics")
def person_feed(ident: str) -> Response:
    return _serve("person", ident, person_calendar)


@bp.get("/calendar/rotation/<ident>.ics")
def rotation_feed(ident: str) -> Response:
    return _serve("rotation", ident, rotation_calendar)


def _serve(kind: FeedKind, ident: str, build: Builder) -> Response:
    rt = runtime()
    known = rt.config.people if kind == "person" else rt.config.rotations
    # The same 404 for a wrong token and an unknown id: a URL reveals nothing without its token.
    if not token_matches(rt.settings.secret_key, kind, ident, request.args.get("token")) \
            or ident not in known:
        abort(404)
    now = rt.clock()
    try:
        start, end = feed_window(now, ZoneInfo(rt.config.hotline.timezone),
                                 request.args.get("from"), request.args.get("to"))
    except ValueError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    calendar = build(rt.config, ident, start, end, runtime_overrides(rt), now)
    response = Response(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private"
    return response


def runtime_overrides(runtime: Runtime) -> Overrides:
    """The overrides the runtime provides (an index, a sequence or a callable giving one)."""
    provided = getattr(runtime, "overrides", None)
    if callable(provided):
        provided = provided()
    return provided if provided is not None else ()
