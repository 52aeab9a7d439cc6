"""Fixtures for tests that need a real Redis server of their own (see tests/support/redis.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis import RedisServer, running


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with running(RedisServer(tmp_path / "redis")) as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url
