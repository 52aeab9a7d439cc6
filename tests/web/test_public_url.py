"""Without PUBLIC_BASE_URL the Host header picks the URL a signature is checked against:
every web process and ``hotline check`` warn about it, outside the local demo."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from click.testing import CliRunner

from app.cli.check import check_command
from app.devtools.simulator import compute_signature
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACME, AUTH_TOKEN, HOTLINE, TEST_CONFIG

PARAMS = {"CallSid": "CA" + "b" * 32, "From": ACME, "To": HOTLINE, "CallStatus": "ringing"}
STAGING = "https://staging.example.com"
WARNING = "PUBLIC_BASE_URL is not set"


def build(settings: Settings, config, sink):  # type: ignore[no-untyped-def]
    return create_app(settings, config, sink, overrides=OverrideCache(None))


def replayed_from_staging(settings: Settings, config, sink) -> int:  # type: ignore[no-untyped-def]
    """A request Twilio signed for staging, sent here with staging's host: the status."""
    client = build(settings, config, sink).test_client()
    signature = compute_signature(AUTH_TOKEN, f"{STAGING}/voice", PARAMS)
    return client.post("/voice", data=PARAMS, base_url=STAGING,
                       headers={"X-Twilio-Signature": signature}).status_code


def test_public_base_url_refuses_a_request_signed_for_another_deployment(settings, config, sink) -> None:  # type: ignore[no-untyped-def]
    assert replayed_from_staging(settings, config, sink) == 200  # what the warning is about
    pinned = dataclasses.replace(settings, public_base_url="https://hotline.example.com")
    assert replayed_from_staging(pinned, config, sink) == 403


@pytest.mark.parametrize("proxies", [0, 1])  # a proxy forwards the Host it was given
def test_each_web_process_warns_without_public_base_url(settings, config, sink, caplog, proxies: int) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING):
        build(dataclasses.replace(settings, trusted_proxies=proxies), config, sink)
    assert [r.levelno for r in caplog.records if WARNING in r.getMessage()] == [logging.WARNING]


@pytest.mark.parametrize("change", [{"public_base_url": "https://hotline.example.com"},
                                    {"demo_token": True}])
def test_no_warning_with_public_base_url_or_in_the_demo(settings, config, sink, caplog, change) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING):
        build(dataclasses.replace(settings, **change), config, sink)
    assert WARNING not in caplog.text


@pytest.mark.parametrize(("env", "warns"), [
    ({"TWILIO_AUTH_TOKEN": AUTH_TOKEN}, True),
    ({"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TRUSTED_PROXY_COUNT": "1"}, True),
    ({"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": "https://hotline.example.com"}, False),
    ({}, False),  # the local demo
])
def test_hotline_check_warns_without_public_base_url(monkeypatch, env: dict[str, str], warns: bool) -> None:  # type: ignore[no-untyped-def]
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN_SECONDARY", "PUBLIC_BASE_URL",
                 "TRUSTED_PROXY_COUNT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(check_command, ["--config", str(TEST_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    assert (WARNING in result.stderr) is warns
