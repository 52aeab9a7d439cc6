"""hotline: a self-hosted 24/7 support hotline. ``create_app`` builds the web application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import HotlineConfig
from app.config.reload import ConfigWatcher, load_with_snapshot
from app.guard import Guard, LocalGuard
from app.runtime import Runtime, Sink
from app.sessions import WebhookFreeSessionInterface
from app.settings import Settings
from app.storage.db import get_engine
from app.storage.overrides import OverrideCache


def create_app(
    settings: Settings | None = None,
    config: HotlineConfig | None = None,
    sink: Sink | None = None,
    clock: Callable[[], datetime] | None = None,
    overrides: OverrideCache | None = None,
    **flask_config: Any,
) -> Flask:
    """Build the app from the environment (or the given parts).

    An invalid configuration file raises ConfigError, unless a last good snapshot exists: then
    this worker answers with that one and reports the errors (see app.config.reload).
    """
    settings = settings or Settings.from_env()
    watcher_needed = config is None
    errors: list[str] = []
    if config is None:
        config, errors = load_with_snapshot(settings.config_path)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(flask_config)
    app.session_interface = WebhookFreeSessionInterface(("/voice", "/alerts/", "/healthz"))
    runtime = Runtime(settings, config, sink or make_sink(settings), config_errors=errors)
    if clock is not None:
        runtime.clock = clock
    cache = overrides or OverrideCache(get_engine(settings.database_url), settings.refresh_seconds)
    cache.start()
    app.extensions["hotline_overrides"] = cache
    runtime.overrides = lambda: cache.index
    runtime.guard = make_guard(settings, config)
    if watcher_needed:
        runtime.watcher = watch(runtime)
    app.extensions["hotline"] = runtime
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    from app import feeds, health, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(feeds.bp)
    from app import admin

    admin.init_app(app)
    from app.alerts.views import init_app as init_alerts

    init_alerts(app)
    return app


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def watch(runtime: Runtime) -> ConfigWatcher:
    def apply(config: HotlineConfig) -> None:
        runtime.config = config

    def report(errors: list[str]) -> None:
        runtime.config_errors = errors

    watcher = ConfigWatcher(runtime.settings.config_path, runtime.config.version, apply, report)
    watcher.start()
    return watcher


def make_guard(settings: Settings, config: HotlineConfig) -> Guard:
    """PIN limits and presence shared through Redis when there is one, else per process."""
    limits = config.security
    ttl = limits.max_call_minutes * 60
    if settings.redis_url:
        from app.guard_redis import RedisGuard

        return RedisGuard(settings.redis_url, limits.pin_failures_per_caller,
                          limits.pin_failures_global, ttl)
    return LocalGuard(limits.pin_failures_per_caller, limits.pin_failures_global, ttl)


def make_sink(settings: Settings) -> Sink:
    """Events go to Redis; while it is unreachable they are spooled to disk and replayed."""
    from app.eventlog import EventSink

    return EventSink(settings.redis_url or DEFAULT_REDIS_URL, spool_path=settings.spool_path)
