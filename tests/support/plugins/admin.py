"""Fixtures of the admin console tests (``pytest_plugins`` in tests/conftest.py):
a migrated database with an admin and a viewer, the app on it, signed-in clients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.config import HotlineConfig
from app.settings import Settings
from app.storage import dispose_engines, get_engine, upgrade
from tests.support.admin import add_engineer, add_users, admin_app, seed, sign_in
from tests.support.constants import NOW


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the two accounts, made once and copied for each test."""
    path = tmp_path_factory.mktemp("admin-template") / "hotline.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    add_users(url)
    get_engine(url).dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def admin_db_url(tmp_path: Path, template_db: Path) -> Iterator[str]:
    path = tmp_path / "hotline.db"
    shutil.copyfile(template_db, path)
    yield f"sqlite:///{path}"
    dispose_engines()


@pytest.fixture
def console(settings: Settings, config: HotlineConfig, admin_db_url: str, clock: list[datetime]) -> Flask:
    """The app with the console, on a database with an admin (ann) and a viewer (victor)."""
    return admin_app(settings, config, admin_db_url, clock=lambda: clock[0])


@pytest.fixture
def seeded(console: Flask, settings: Settings, config: HotlineConfig, admin_db_url: str) -> Flask:
    """The console with a week of calls stored, ending just before the fixed clock's now."""
    seed(admin_db_url, settings, config, NOW - timedelta(days=7))
    return console


@pytest.fixture
def as_admin(console: Flask) -> Any:
    client = console.test_client()
    assert sign_in(client, "ann").status_code == 303
    return client


@pytest.fixture
def as_engineer(console: Flask, admin_db_url: str) -> Any:
    """Signed in as alice, an engineer account tied to the person alice."""
    add_engineer(admin_db_url)
    client = console.test_client()
    assert sign_in(client, "alice").status_code == 303
    return client


@pytest.fixture
def as_viewer(console: Flask) -> Any:
    client = console.test_client()
    assert sign_in(client, "victor").status_code == 303
    return client
