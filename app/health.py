"""Liveness endpoint for load balancers and the process runner."""

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[str, int]:
    """200 while calls are answered; says so when an invalid file was not applied."""
    runtime = current_app.extensions["hotline"]
    if runtime.config_errors:
        return f"ok, but the configuration file was not applied: {runtime.config_errors[0]}", 200
    return "ok", 200
