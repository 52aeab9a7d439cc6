"""gunicorn's logger with secrets kept out of the access log: a feed URL's token is redacted."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

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
