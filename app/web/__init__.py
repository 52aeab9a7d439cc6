"""The web tier, the only Flask code: ``create_app`` builds the application.

Blueprints: ``voice`` (Twilio's webhooks), ``health``, ``feeds`` (calendar files), ``admin`` (the
console and the JSON API), ``alerts`` (Alertmanager and generic webhooks) and ``alert_calls``
(the TwiML of an alert call), ``sms`` (SMS replies to alerts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import HotlineConfig
from app.config.reload import ConfigWatcher, load_with_snapshot
from app.eventlog.port import Sink
from app.jobs.events import triggers
from app.services import build_services, make_guard, make_sink
from app.settings import Settings, public_url_warning
from app.storage.incidents import IncidentCache
from app.storage.overrides import OverrideCache
from app.web import admin, alert_calls, alerts, feeds, health, metrics, observe, sms, voice
from app.web.runtime import Runtime
from app.web.sessions import WebhookFreeSessionInterface

WEBHOOK_PREFIXES = ("/voice", "/alerts/", "/sms/", "/healthz", "/readyz", "/metrics")
log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    config: HotlineConfig | None = None,
    sink: Sink | None = None,
    clock: Callable[[], datetime] | None = None,
    overrides: OverrideCache | None = None,
    **flask_config: Any,
) -> Flask:
    """Build the app from the environment (or the given parts).

    An invalid configuration file raises ConfigError, unless a last good snapshot of that same
    file exists: then this worker answers with that one and reports the errors (see
    app.config.reload).
    """
    settings = settings or Settings.from_env()
    if warning := public_url_warning(settings.public_base_url, settings.demo_token):
        log.warning(warning)  # decision 0009: warned at each start, not refused
    watcher_needed = config is None
    errors: list[str] = []
    if config is None:
        config, errors = load_with_snapshot(settings.config_path)
    services = build_services(settings, config)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=64 * 1024)
    app.config.update(flask_config)
    app.session_interface = WebhookFreeSessionInterface(WEBHOOK_PREFIXES)
    # While Redis is away, events that queue a notification still go on to a worker.
    sink = sink or make_sink(settings, lambda event: bool(triggers([event])))
    runtime = Runtime(settings, config, sink, config_errors=errors,
                      services=services)
    if clock is not None:
        runtime.clock = clock
    cache = overrides or OverrideCache(services.engine, settings.refresh_seconds)
    cache.start()
    app.extensions["hotline_overrides"] = cache
    # Incidents refresh like the overrides, from the same database (none: no incidents).
    incidents = IncidentCache(cache.engine, settings.refresh_seconds)
    incidents.start()
    app.extensions["hotline_incidents"] = incidents
    runtime.incidents = lambda: incidents.incidents
    runtime.overrides = lambda: cache.index
    runtime.guard = make_guard(settings, config)
    if watcher_needed:
        runtime.watcher = watch(runtime)
    app.extensions["hotline"] = runtime
    app.add_template_global(lambda: runtime.config_errors, "config_errors")  # the console's banner
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    observe.init_app(app, timed=bool(settings.metrics_token))
    for blueprint in (voice.bp, health.bp, feeds.bp, alerts.bp, alert_calls.voice_bp, sms.bp,
                      metrics.bp):
        app.register_blueprint(blueprint)
    admin.init_app(app)
    return app


def watch(runtime: Runtime) -> ConfigWatcher:
    def apply(config: HotlineConfig) -> None:
        runtime.config = config

    def report(errors: list[str]) -> None:
        runtime.config_errors = errors

    watcher = ConfigWatcher(runtime.settings.config_path, runtime.config.version, apply, report)
    watcher.start()
    return watcher
