"""Log lines for people (text, the default) or for machines (``LOG_FORMAT=json``: one JSON object
a line), from the standard library's logging, with every secret the environment holds redacted.

A line carries the fields bound around it (``bound(call_sid=..., job_id=...)``) and those given
as ``extra``: a webhook's line its CallSid, endpoint, step and latency; a job's lines their job
id, queue and, where the job has one, the CallSid.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from app.settings import var_dir

FORMAT_ENV = "LOG_FORMAT"
FORMATS = ("text", "json")
FIELDS = ("call_sid", "endpoint", "step", "method", "path", "status", "latency_ms", "remote",
          "job_id", "queue")
REDACTED = "[redacted]"
# Set in a request's WSGI environ once the app logged it as a webhook: gunicorn's access log
# then leaves that request out (one line per webhook).
WEBHOOK_LOGGED = "hotline.logged"
# Variables whose value is a secret, and those that are URLs with a password in them.
SECRET_VARIABLES = ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN_SECONDARY", "SECRET_KEY",
                    "METRICS_TOKEN", "ALERTMANAGER_TOKEN")
URL_VARIABLES = ("REDIS_URL", "DATABASE_URL", "SMTP_URL", "HOTLINE_TEST_POSTGRES_URL")
DEMO_SECRETS = ("demo-auth-token", "demo-secret-key", "embedded-redis-password")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)
_BEARER = re.compile(r"(\bBearer\s+)\S+", re.IGNORECASE)
_SHORTEST = 6  # shorter values would redact ordinary words

_NONE: dict[str, Any] = {}
_context: ContextVar[dict[str, Any]] = ContextVar("hotline_log_fields", default=_NONE)  # noqa: B039 (never mutated)


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Every line logged in the block (in this thread or task) carries ``fields``."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """The secret values of ``env`` and of the local demo's files, longest first."""
    found = [env.get(name) or "" for name in SECRET_VARIABLES]
    for name in URL_VARIABLES:
        password = urlsplit(env.get(name) or "").password
        found += [password, unquote(password)] if password else []
    folder = var_dir()
    for name in DEMO_SECRETS:
        try:
            found.append((folder / name).read_text().strip())
        except OSError:
            pass
    return sorted({s for s in found if len(s) >= _SHORTEST}, key=len, reverse=True)


class Redactor:
    """Replaces known secrets, URL passwords and bearer tokens in a finished line."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = list(secrets)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if "://" in text:
            text = _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
        if "earer" in text:
            text = _BEARER.sub(rf"\1{REDACTED}", text)
        return text


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The bound fields and the record's own (``extra``), the record's winning."""
    fields = dict(_context.get())
    fields.update((name, record.__dict__[name]) for name in FIELDS if name in record.__dict__)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the fields, the exception."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage(), "pid": record.process, **fields_of(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """A readable line (or ``base``'s), the fields as ``name=value`` after the message."""

    def __init__(self, redact: Redactor, base: logging.Formatter | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact
        self.base = base

    def format(self, record: logging.LogRecord) -> str:
        text = self.base.format(record) if self.base else super().format(record)
        fields = fields_of(record)
        if fields:
            text += " " + " ".join(f"{name}={value}" for name, value in fields.items())
        return self.redact(text)


def log_format(env: Mapping[str, str] | None = None) -> str:
    """``LOG_FORMAT``: "text" (the default) or "json"."""
    chosen = ((os.environ if env is None else env).get(FORMAT_ENV) or "text").lower()
    if chosen not in FORMATS:
        raise ValueError(f"{FORMAT_ENV} must be one of {', '.join(FORMATS)}, not {chosen!r}")
    return chosen


def formatter(base: logging.Formatter | None = None,
              env: Mapping[str, str] | None = None) -> logging.Formatter:
    """The formatter ``LOG_FORMAT`` asks for; in text mode ``base`` keeps its own layout."""
    env = os.environ if env is None else env
    redact = Redactor(secrets_in(env))
    return JsonFormatter(redact) if log_format(env) == "json" else TextFormatter(redact, base)


class _Ours(logging.StreamHandler):
    """The root handler configure() installs (and replaces when called again)."""


def configure(level: str | int = "INFO") -> None:
    """Every logger of this process writes through one handler on stderr, in ``LOG_FORMAT``."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Ours)]:
        root.removeHandler(handler)
    handler = _Ours(sys.stderr)
    handler.setFormatter(formatter())
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
