"""Liveness (``/healthz``) and readiness (``/readyz``) for load balancers, runners and people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from app.web.runtime import Runtime, runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int]:
    """200 while calls are answered; says so when an invalid file was not applied.

    Unauthenticated: the errors (the file's path, a rejected PIN) go only to the log and to the
    signed-in admin console.
    """
    if runtime().config_errors:
        return "ok, but the configuration file was not applied: see the log or the admin console", 200
    return "ok", 200


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Whether this host does all its work: 200 ready, 503 not; never waits more than about
    two seconds (each look has its deadline). Names no path, URL or value."""
    report = readiness(runtime())
    return jsonify(report), 200 if report["ready"] else 503


def readiness(rt: Runtime) -> dict[str, Any]:
    """Redis ("ok", or "spooling": events wait on this host's disk, calls go on), the database,
    the configuration applied, and the call log's lag against READY_LOG_LAG_SECONDS."""
    lag = rt.probes.lag(rt.clock())
    database = rt.probes.database()
    threshold = rt.settings.ready_log_lag_seconds
    applied = not rt.config_errors
    report: dict[str, Any] = {
        "redis": "ok" if lag.redis is not None else "spooling",
        "database": database,
        "configuration": {"applied": applied, "version": rt.config.version},
        "log_lag": {"seconds": round(lag.seconds, 1), "threshold": threshold,
                    "ok": lag.seconds <= threshold},
    }
    report["ready"] = database == "ok" and applied and lag.seconds <= threshold
    return report
