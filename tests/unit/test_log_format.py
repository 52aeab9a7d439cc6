"""Log lines as text or JSON: the fields bound around them, and no secret in either."""

from __future__ import annotations

import json
import logging

import pytest

from app.telemetry.logs import REDACTED, JsonFormatter, Redactor, TextFormatter, bound, secrets_in

TOKEN = "0123456789abcdef0123456789abcdef"


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("app.webhooks", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_carries_the_bound_fields_and_its_own() -> None:
    formatter = JsonFormatter(Redactor([]))
    with bound(job_id="events-1", call_sid="CA1"):
        line = json.loads(formatter.format(record("stored %d events", 3, latency_ms=1.5)))
    assert line["message"] == "stored 3 events" and line["level"] == "info"
    assert (line["job_id"], line["call_sid"], line["latency_ms"]) == ("events-1", "CA1", 1.5)
    assert "job_id" not in json.loads(formatter.format(record("after the block")))


def test_text_keeps_its_layout_and_adds_the_fields() -> None:
    text = TextFormatter(Redactor([])).format(record("POST /voice 200", endpoint="voice.incoming"))
    assert text.endswith("INFO app.webhooks: POST /voice 200 endpoint=voice.incoming")


@pytest.mark.parametrize("formatter", [JsonFormatter, TextFormatter])
@pytest.mark.parametrize("message", [
    f"token {TOKEN} in a message",
    "Redis at redis://:s3cr3t-password@127.0.0.1:6379/0 is down",
    "postgresql+psycopg://hotline:pa%2Fss@db/hotline refused",
    "header Authorization: Bearer abc.def.ghi",
])
def test_no_secret_reaches_a_line(formatter: type[JsonFormatter], message: str) -> None:
    line = formatter(Redactor([TOKEN])).format(record(message))
    for secret in (TOKEN, "s3cr3t-password", "pa%2Fss", "abc.def.ghi"):
        assert secret not in line
    assert REDACTED in line


def test_the_environments_secrets_are_known(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "k" * 32, "METRICS_TOKEN": "m" * 20,
           "REDIS_URL": "redis://:pw%40123456@host:6379/0", "DATABASE_URL": "sqlite:///x.db"}
    found = secrets_in(env)
    assert {TOKEN, "k" * 32, "m" * 20, "pw@123456", "pw%40123456"} <= set(found)
