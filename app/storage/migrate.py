"""Schema migrations (Alembic, kept inside this package) run from code: ``upgrade(url)``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.storage.db import default_database_url, normalize_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration without any ini file; env.py reads the URL from its attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = normalize_url(url or default_database_url())
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: ``default_database_url()``) to ``revision``."""
    command.upgrade(alembic_config(url), revision)
