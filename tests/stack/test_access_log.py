"""The access log of the real gunicorn (app/gunicorn_conf.py) keeps calendar-feed tokens out."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from app.feeds.tokens import feed_token
from app.server.access_log import REDACTED, RedactingLogger, redact_query
from tests.support.processes import NO_PROXY, Stack, running_web
from tests.support.waiting import wait_until

pytestmark = pytest.mark.stack
FEED = "/calendar/person/alice.ics"


@pytest.fixture
def web(tmp_path: Path, redis_url: str) -> Iterator[Stack]:
    with running_web(tmp_path, redis_url) as stack:
        yield stack


def status_of(url: str) -> int:
    try:
        with NO_PROXY.open(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_feed_token_never_reaches_the_access_log(web: Stack) -> None:
    token = feed_token("stack-test", "person", "alice")  # the Stack's SECRET_KEY
    today = datetime.now(UTC).date().isoformat()
    asked = {
        f"token={token}": 200,
        f"from={today}&token={token}": 200,
        f"%74oken={token}": 200,  # the name percent-encoded: the web tier still reads a token
        "token=a-wrong-guess-0123": 404,
    }
    for query, expected in asked.items():
        assert status_of(f"{web.base_url}{FEED}?{query}") == expected, query

    assert web.web is not None

    def feed_lines() -> list[str]:
        lines = [line for line in web.web.log_path.read_text().splitlines() if FEED in line]
        return lines if len(lines) == len(asked) else []

    lines = wait_until(feed_lines, 10, "the feed requests in the access log")
    log = "\n".join(lines)
    assert token not in log and "a-wrong-guess-0123" not in log, log
    assert log.count(f"oken={REDACTED}") == len(asked), log
    assert f"from={today}&token={REDACTED}" in log, log  # the rest of the query stays


def test_redaction_leaves_other_queries_alone() -> None:
    assert redact_query("") == ""
    assert redact_query("t=2&c=acme") == "t=2&c=acme"
    assert redact_query("tokens=x&token") == "tokens=x&token"
    assert redact_query("token=abc&to=2027-01-01") == f"token={REDACTED}&to=2027-01-01"
    assert redact_query("a=1&token=x&token=y") == f"a=1&token={REDACTED}&token={REDACTED}"
    assert redact_query("token+=x") == "token+=x"  # decodes to "token ", which the tier ignores


def test_every_atom_with_the_query_is_redacted() -> None:
    """gunicorn's Logger exercised directly: %(r)s, %(q)s and the environ atoms."""
    logger = RedactingLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"{FEED}?token=s3cret&to=x",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": FEED, "QUERY_STRING": "token=s3cret&to=x",
               "REMOTE_ADDR": "127.0.0.1"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("HOST", "hotline.example.com")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    texts = [value for value in atoms.values() if isinstance(value, str)]
    assert not [text for text in texts if "s3cret" in text]
    assert atoms["r"] == f"GET {FEED}?token={REDACTED}&to=x HTTP/1.1"
    assert atoms["q"] == f"token={REDACTED}&to=x"
    assert atoms["{raw_uri}e"] == f"{FEED}?token={REDACTED}&to=x"
