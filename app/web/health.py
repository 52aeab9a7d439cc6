"""Liveness endpoint for load balancers and the process runner."""

from flask import Blueprint

from app.web.runtime import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int]:
    """200 while calls are answered; says so when an invalid file was not applied."""
    errors = runtime().config_errors
    if errors:
        return f"ok, but the configuration file was not applied: {errors[0]}", 200
    return "ok", 200
