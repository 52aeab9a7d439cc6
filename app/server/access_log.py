"""gunicorn's logger: secrets kept out (a feed URL's token, every secret of the environment),
``LOG_FORMAT`` obeyed (text or JSON lines, app/telemetry/logs.py), and no access line for a
webhook, which the app logs itself with its CallSid, endpoint, step and latency."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

from app.telemetry.logs import WEBHOOK_LOGGED, configure, formatter, log_format

# Query parameters whose value grants access: the calendar feeds' token (app/web/feeds.py).
SECRET_PARAMETERS = frozenset({"token"})
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """``query`` with the value of every secret parameter replaced, the rest as it came.

    Names are compared decoded, as the web tier reads them: ``%74oken=...`` is a token too.
    """
    if "=" not in query:
        return query
    parts = query.split("&")
    changed = False
    for i, part in enumerate(parts):
        name, equals, value = part.partition("=")
        if equals and value and unquote_plus(name) in SECRET_PARAMETERS:
            parts[i] = f"{name}={REDACTED}"
            changed = True
    return "&".join(parts) if changed else query


class RedactingLogger(Logger):
    """Every access-log atom that carries the query string (``%(r)s``, ``%(q)s``,
    ``%({raw_uri}e)s``, ...) gets it with the secret values redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            handler.setFormatter(formatter(base=handler.formatter))
        configure(cfg.loglevel)  # the app's own loggers, inherited by every worker

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get(WEBHOOK_LOGGED) or not self.access_log_enabled:
            return
        if log_format() != "json":
            super().access(resp, req, environ, request_time)
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info("%s", atoms["r"], extra={
            "method": atoms["m"], "path": atoms["U"], "status": atoms["s"],
            "latency_ms": round(request_time.total_seconds() * 1000, 2), "remote": atoms["h"]})

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING") or ""
        safe = redact_query(query)
        if safe == query:
            return atoms
        for key, value in atoms.items():
            if isinstance(value, str) and query in value:
                atoms[key] = value.replace(query, safe)
        return atoms
