"""Each webhook timed (``hotline_webhook_duration_seconds``) and logged in one line with its
CallSid, endpoint, step and latency; gunicorn's access log leaves those requests to this line."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request

from app.telemetry.logs import WEBHOOK_LOGGED
from app.telemetry.series import WEBHOOK_RESPONSES, WEBHOOK_SECONDS
from app.web.runtime import runtime
from app.web.voice.views import state_of

WEBHOOKS = frozenset({"voice", "alert_voice", "alerts", "sms"})  # blueprints Twilio or Alertmanager call
STARTED = "hotline.started"
log = logging.getLogger("app.webhooks")


def init_app(app: Flask, timed: bool) -> None:
    """Log every webhook; time it too when ``timed`` (metrics on)."""

    @app.before_request
    def stamp() -> None:
        request.environ[STARTED] = time.perf_counter()

    @app.after_request
    def observe(response: Response) -> Response:
        if request.blueprint not in WEBHOOKS:
            return response
        environ = request.environ
        elapsed = time.perf_counter() - environ.get(STARTED, time.perf_counter())
        endpoint = request.endpoint or "unmatched"
        status = response.status_code
        if timed:
            WEBHOOK_SECONDS.labels(endpoint).observe(elapsed)
            WEBHOOK_RESPONSES.labels(endpoint, f"{status // 100}xx").inc()
        log.info("%s %s %s", request.method, request.path, status, extra={
            "call_sid": call_sid_of(), "endpoint": endpoint,
            "step": step_of() if status == 200 else None, "status": status,
            "latency_ms": round(elapsed * 1000, 2), "remote": request.remote_addr})
        environ[WEBHOOK_LOGGED] = True
        return response


def call_sid_of() -> str | None:
    """The CallSid of a form the view already read; a body never read (too large, refused
    before any work) is not read here either."""
    form = request.__dict__.get("form")  # werkzeug caches the parsed form on the request
    return (form.get("CallSid") or None) if form is not None else None


def step_of() -> int | None:
    """The chain step in the call's sealed state, if the webhook carries one."""
    query = request.query_string
    if request.blueprint != "voice" or not query:
        return None
    found = state_of(query, runtime().state_key)
    return found.step if found is not None else None
