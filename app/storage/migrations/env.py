"""Alembic environment: the URL comes from ``app.storage.migrate.alembic_config``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from app.storage.db import WRITE_LOCK, default_database_url, make_engine, normalize_url
from app.storage.models import Base

# Any constant works; it keeps two processes from migrating one PostgreSQL database at once.
PG_MIGRATION_LOCK = 0x686F746C696E65

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return normalize_url(url or default_database_url())


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(database_url()).execution_options(**{WRITE_LOCK: True})
    try:
        with engine.connect() as connection:
            migrate(connection)
    finally:
        engine.dispose()


def migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": PG_MIGRATION_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
