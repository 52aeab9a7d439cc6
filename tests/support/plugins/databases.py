"""Database fixtures for every test that needs SQL: SQLite always, PostgreSQL when running.

The session's PostgreSQL server is started in ``pytest_configure`` (tests/conftest.py) before
collection, because the backends are a parametrization: ``HOTLINE_TEST_POSTGRES_URL`` names it
(``tests.support.postgres.postgres_url``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.storage import dispose_engines, normalize_url, upgrade
from tests.support.postgres import postgres_url


def backends(sqlite: bool = True) -> list[object]:
    return (["sqlite"] if sqlite else []) + (
        [pytest.param("postgresql", marks=pytest.mark.postgres)] if postgres_url() else []
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Read at collection, after pytest_configure started the server.
    if "empty_db" in metafunc.fixturenames:
        sqlite = metafunc.definition.get_closest_marker("postgres_only") is None
        metafunc.parametrize("empty_db", backends(sqlite), indirect=True)


@pytest.fixture
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'calls.db'}"
        dispose_engines()
        return
    base = postgres_url()
    assert base
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(base))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    dispose_engines()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def db_url(empty_db: str) -> str:
    upgrade(empty_db)
    return empty_db


def sqlite_job_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        name: str = "log.db") -> Iterator[str]:
    """A migrated SQLite file that ``DATABASE_URL`` names, as jobs run in this process find it;
    for a module's own ``db_url`` fixture (``yield from`` it)."""
    url = f"sqlite:///{tmp_path / name}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    dispose_engines()
