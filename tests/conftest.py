"""Shared fixtures: a test configuration, the app with an in-memory sink and a fixed clock."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from app.config import HotlineConfig, load_config
from app.eventlog.port import MemorySink
from app.settings import Settings
from app.storage.overrides import OverrideCache
from app.web import create_app
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN, NOW, SECRET_KEY, TEST_CONFIG

pytest_plugins = [
    "tests.support.plugins.databases", "tests.support.plugins.twiml",
    "tests.support.plugins.admin", "tests.support.plugins.redis",
    "tests.support.plugins.call_world", "tests.support.plugins.alerting",
]


def pytest_configure(config: pytest.Config) -> None:
    """Start a throwaway PostgreSQL for the session when one can run (required in CI)."""
    from tests.support.postgres import start_postgres, unavailable_reason

    if os.environ.get("HOTLINE_TEST_POSTGRES_URL") or hasattr(config, "workerinput"):
        return
    required = os.environ.get("CI") == "true" or os.environ.get("HOTLINE_REQUIRE_POSTGRES") == "1"
    reason = unavailable_reason()
    if reason:
        if required:
            raise pytest.UsageError(f"PostgreSQL is required for this run: {reason}")
        print(f"PostgreSQL tests not collected: {reason}")
        return
    url, stop = start_postgres(Path(tempfile.mkdtemp(prefix="hotline-tests-")))
    os.environ["HOTLINE_TEST_POSTGRES_URL"] = url
    config.add_cleanup(stop)


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "var"
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(path))
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        config_path=TEST_CONFIG, redis_url=None, auth_tokens=(AUTH_TOKEN,),
        account_sid=ACCOUNT_SID, public_base_url=None, secret_key=SECRET_KEY,
        trusted_proxies=0, spool_path=tmp_path / "spool" / "events.jsonl",
    )


@pytest.fixture
def config() -> HotlineConfig:
    return load_config(TEST_CONFIG)


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def clock() -> list[datetime]:
    """The app's current time; tests move it by replacing ``clock[0]``."""
    return [NOW]


@pytest.fixture
def app(settings: Settings, config: HotlineConfig, sink: MemorySink, clock: list[datetime]):  # type: ignore[no-untyped-def]
    return create_app(settings, config, sink, clock=lambda: clock[0],
                      overrides=OverrideCache(None), TESTING=True)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def sim(client):  # type: ignore[no-untyped-def]
    from app.devtools.simulator import FlaskClientTransport, Simulator

    return Simulator(
        FlaskClientTransport(client), AUTH_TOKEN, voice_url="http://hotline.test/voice",
        status_callback_url="http://hotline.test/voice/status", account_sid=ACCOUNT_SID,
        clock_start=NOW, seed=7,
    )
