"""Liveness endpoint for load balancers and the process runner."""

from flask import Blueprint

from app.web.runtime import runtime

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
