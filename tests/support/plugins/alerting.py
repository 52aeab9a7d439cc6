"""The ``hotline`` fixture of the alert tests (see tests/support/alerting.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import HotlineConfig
from app.settings import Settings
from app.storage import dispose_engines, upgrade
from tests.support.alerting import TOKEN, Hotline
from tests.support.constants import ACCOUNT_SID, AUTH_TOKEN
from tests.support.fake_twilio_api import FakeTwilioApi
from tests.support.redis import RedisServer


@pytest.fixture
def hotline(tmp_path: Path, settings: Settings, config: HotlineConfig,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Hotline]:
    monkeypatch.setenv("ALERTMANAGER_TOKEN", TOKEN)
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    db_url = f"sqlite:///{tmp_path / 'hotline.db'}"
    upgrade(db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield Hotline(tmp_path, settings, config, redis.url, db_url, api)
    redis.stop()
    dispose_engines()
