"""The admin blueprint object and what every page shares: database session, clock, filters."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.schedule.readable import SECONDS, local_time
from app.storage.db import get_engine
from app.web.runtime import runtime

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Pages load nothing from elsewhere and run no inline script or style.
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
       "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def engine() -> Engine:
    return get_engine(runtime().settings.database_url or None)


def db() -> Session:
    """This request's database session, closed when the request ends."""
    if "admin_db" not in g:
        g.admin_db = Session(engine(), expire_on_commit=False)
    return g.admin_db


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("admin_db", None)
    if session is not None:
        session.close()


def now() -> datetime:
    return runtime().clock()


def zone() -> ZoneInfo:
    return ZoneInfo(runtime().config.hotline.timezone)


def local(moment: datetime | None, fmt: str = SECONDS) -> str:
    """A UTC instant in the hotline's time zone (the zone the team lives in), named."""
    return local_time(moment, zone(), fmt)


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    total = round(float(value))
    return f"{total} s" if total < 60 else f"{total // 60} min {total % 60:02d} s"


def person_name(person_id: str | None) -> str:
    if not person_id:
        return "–"
    person = runtime().config.people.get(person_id)
    return person.name if person else person_id


@bp.app_template_filter("local")
def _local_filter(moment: datetime | None, fmt: str = SECONDS) -> str:
    return local(moment, fmt)


@bp.app_template_filter("secs")
def _secs_filter(value: float | None) -> str:
    return seconds(value)


@bp.app_template_filter("person")
def _person_filter(person_id: str | None) -> str:
    return person_name(person_id)


@bp.context_processor
def _inject_names() -> dict[str, object]:
    return {"hotline_name": lambda: runtime().config.hotline.name}


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "admin.static":
        # Call logs hold customers' numbers: keep them out of shared and back-button caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
