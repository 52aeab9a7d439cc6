"""``/metrics``: the Prometheus exposition, for whoever holds ``METRICS_TOKEN``.

Without the variable the endpoint does not exist (404). With it, a scrape must send
``Authorization: Bearer <METRICS_TOKEN>``: anything else gets 401 and no figures.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.web.runtime import runtime
from app.web.scrape import scrape_registry

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    rt = runtime()
    token = rt.settings.metrics_token
    if not token:
        return Response("metrics are off: set METRICS_TOKEN\n", 404, mimetype="text/plain")
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Response("a valid bearer token is required\n", 401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(generate_latest(scrape_registry(rt)), 200, mimetype=CONTENT_TYPE_LATEST)
