"""The alert webhooks: ``POST /alerts/alertmanager`` and ``POST /alerts/generic``.

Both want ``Authorization: Bearer <token>``, the token being the environment variable the
``[alerts]`` section names (``token_env``, default ``ALERTMANAGER_TOKEN``). A request is only
validated and queued (one RQ job, its id derived from the content, so Alertmanager's retries
and repeats queue nothing twice); a worker records it and pages. See app.alerts.payloads for
the bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from rq import Retry

from app.alerts.payloads import Incoming, PayloadError, parse_alertmanager, parse_generic
from app.config.alerts import alerts_of
from app.eventlog.queueing import REDIS_DOWN
from app.notify.queueing import enqueue
from app.web.runtime import runtime

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Alertmanager sends a whole group in one request
INGEST_RETRY = Retry(max=10, interval=[2, 10, 30, 60, 300])


@bp.before_request
def check_token() -> Response | None:
    request.max_content_length = MAX_BODY
    name = alerts_of(runtime().config).token_env
    expected = os.environ.get(name, "")
    if not expected:
        log.error("alert webhook refused: the environment variable %s is not set", name)
        return _error(503, f"alerts are not set up: set the environment variable {name}")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             expected.encode()):
        log.warning("alert webhook refused: missing or wrong bearer token")
        answer = _error(401, "a valid bearer token is required")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="hotline alerts"'
        return answer
    return None


@bp.post("/alertmanager")
def alertmanager() -> Response:
    return accept(parse_alertmanager)


@bp.post("/generic")
def generic() -> Response:
    return accept(parse_generic)


def accept(parse: Callable[[Any], Incoming]) -> Response:
    """Validate, queue, answer 202: the work happens in a worker."""
    body = request.get_json(force=True, silent=True)
    if body is None:
        return _error(400, "the body must be JSON")
    try:
        payload = parse(body).to_json()
    except PayloadError as error:
        return _error(400, str(error))
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    job_id = "alert-in-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]
    try:
        queued = enqueue(runtime().notify_queue, "app.jobs.alerts.ingest_alert", payload, job_id=job_id,
                         retry=INGEST_RETRY)
    except REDIS_DOWN as error:
        log.error("alert webhook: cannot queue (%s); the sender will retry", error)
        return _error(503, "cannot take alerts right now; retry")
    answer = jsonify(status="accepted" if queued else "duplicate", job=job_id)
    answer.status_code = 202
    return answer


def _error(status: int, message: str) -> Response:
    answer = jsonify(error=message)
    answer.status_code = status
    return answer

