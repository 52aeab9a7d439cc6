"""The admin console: pages for calls and the rotation, and a JSON API.

``init_app(app)`` registers it on an app built by ``create_app``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from flask import Flask

from app.settings import Settings
from app.web.admin import (  # noqa: F401 (routes)
    alert_page,
    alerts,
    allowances,
    api,
    auth,
    call_back,
    calls,
    export,
    incidents,
    me,
    oncall,
    overview,
    recordings,
    sla,
    takeover,
)
from app.web.admin.web import bp, close_db

TWILIO_API = "https://api.twilio.com"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def secure_cookies(env: Mapping[str, str], settings: Settings) -> bool:
    """``SESSION_COOKIE_SECURE`` if set, else on, except for the local demo.

    The demo (no TWILIO_AUTH_TOKEN) is served over plain http://127.0.0.1, where a browser
    would drop a Secure cookie and nobody could sign in; anything facing Twilio runs behind
    HTTPS, where the cookie must never travel in clear.
    """
    raw = (env.get("SESSION_COOKIE_SECURE") or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw:
        raise ValueError(f"SESSION_COOKIE_SECURE={raw!r}: write 1 or 0 (true/false)")
    return not settings.demo_token


def init_app(app: Flask) -> None:
    """Register the console and the API, session cookie rules and CSRF protection."""
    runtime = app.extensions["hotline"]
    secure = app.config.get("ADMIN_COOKIE_SECURE")
    if secure is None:
        secure = secure_cookies(os.environ, runtime.settings)
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        # __Host-: the browser refuses it unless Secure, on this exact host, for every path.
        SESSION_COOKIE_NAME="__Host-hotline" if secure else "hotline_session",
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: a link to a call page in an alert SMS or e-mail must open signed in.
        # Every change is a POST with a CSRF token, which Lax never sends cross-site anyway.
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # CSRF is checked by the admin guard only: Twilio's webhooks carry signatures instead.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: a phone tab left open at night
    )
    app.config.setdefault("RECORDINGS_BASE_URL", TWILIO_API)
    app.config.setdefault("EXPORT_SECONDS", export.export_seconds(os.environ))
    auth.csrf.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    app.teardown_appcontext(close_db)


__all__ = ["init_app", "secure_cookies"]
