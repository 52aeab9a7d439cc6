"""Device cookies: a browser someone signed in from before is known for their username.

A sign-in from a known browser waits only for that browser's own failures, never for those
of its address: others' guesses cannot lock the owner out, not even from behind a proxy that
shows every client with one address. The cookie is signed with the app's secret and says
nothing but a random id and the usernames; a stolen one still waits after its own failures.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

KEPT = timedelta(days=365)
MAX_NAMES = 5  # a browser shared by a few colleagues
_SALT = "hotline-admin-device"


def cookie_name(app: Flask) -> str:
    # __Host-: only over HTTPS, for this exact host, for every path (as the session cookie).
    return "__Host-hotline-device" if app.config["SESSION_COOKIE_SECURE"] else "hotline_device"


def device_for(username: str) -> str | None:
    """This browser's id if ``username`` signed in from it before, else None."""
    device, names = _read()
    return device if username in names else None


def remember(response: Response, username: str) -> None:
    """Mark this browser as one ``username`` signed in from (for a year from now)."""
    device, names = _read()
    names = [username, *(n for n in names if n != username)][:MAX_NAMES]
    value = _serializer().dumps({"d": device or secrets.token_urlsafe(16), "u": names})
    response.set_cookie(cookie_name(current_app), value, max_age=int(KEPT.total_seconds()),
                        path="/", secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Strict")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def _read() -> tuple[str | None, list[str]]:
    raw = request.cookies.get(cookie_name(current_app))
    if not raw or len(raw) > 1024:
        return None, []
    try:
        data: Any = _serializer().loads(raw, max_age=int(KEPT.total_seconds()))
    except BadData:
        return None, []
    device, names = (data.get("d"), data.get("u")) if isinstance(data, dict) else (None, None)
    if not isinstance(device, str) or not 0 < len(device) <= 32 or not isinstance(names, list):
        return None, []
    return device, [n for n in names if isinstance(n, str)]
